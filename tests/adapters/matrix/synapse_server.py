"""A real Synapse homeserver for the tests: installed into its own cached venv, configured, started, users made."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.ops.worker_processes import free_port

SYNAPSE_VERSION = "matrix-synapse==1.163.2"
VENV = Path(os.environ.get("IDEAROOM_SYNAPSE_VENV", Path.home() / ".cache" / "idearoom" / "synapse-venv"))
SERVER_NAME = "idearoom.test"
SHARED_SECRET = "idearoom-test-registration-secret"
INSTALL_TIMEOUT = 600


class SynapseUnavailable(Exception):
    """Synapse could not be installed or started here; the message says why."""


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_installed() -> Path:
    """The venv's python with Synapse importable; installs it the first time (about a minute)."""
    python = venv_python()
    if (
        python.exists()
        and subprocess.run([python, "-c", "import synapse, signedjson"], capture_output=True).returncode == 0
    ):
        return python
    base = sys.executable if sys.version_info[:2] == (3, 11) else "python3.11"
    steps = [[base, "-m", "venv", "--clear", str(VENV)], [str(python), "-m", "pip", "install", "-q", SYNAPSE_VERSION]]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SynapseUnavailable(f"{' '.join(step)}: {error}") from error
        if done.returncode != 0:
            raise SynapseUnavailable(f"{' '.join(step)} failed:\n{done.stderr[-2000:]}")
    return python


def write_config(directory: Path, port: int, python: Path) -> Path:
    """A homeserver.yaml for one test session: SQLite, loopback only, no federation, quick bcrypt."""
    key = directory / "signing.key"
    subprocess.run(
        [
            str(python),
            "-c",
            (
                "import signedjson.key as k, sys;"
                "f=open(sys.argv[1],'w'); k.write_signing_keys(f,[k.generate_signing_key('a_test')]); f.close()"
            ),
            str(key),
        ],
        check=True,
    )
    (directory / "log.yaml").write_text(
        "version: 1\nformatters: {plain: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}\n"
        f"handlers: {{file: {{class: logging.FileHandler, filename: {directory / 'synapse.log'}, formatter: plain}}}}\n"
        "root: {level: WARNING, handlers: [file]}\ndisable_existing_loggers: false\n"
    )
    relaxed = "{per_second: 1000, burst_count: 1000}"
    config = f"""
server_name: {SERVER_NAME}
pid_file: {directory / "homeserver.pid"}
public_baseurl: http://127.0.0.1:{port}/
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources: [{{names: [client], compress: false}}]
database:
  name: sqlite3
  args: {{database: {directory / "homeserver.db"}}}
log_config: {directory / "log.yaml"}
media_store_path: {directory / "media"}
signing_key_path: {key}
report_stats: false
registration_shared_secret: {SHARED_SECRET}
enable_registration: false
bcrypt_rounds: 4
federation_domain_whitelist: []
trusted_key_servers: []
suppress_key_server_warning: true
enable_metrics: false
presence: {{enabled: false}}
url_preview_enabled: false
caches: {{sync_response_cache_duration: 0}}  # each poll of a test client sees the server as it is now
rc_message: {relaxed}
rc_registration: {relaxed}
rc_login: {{address: {relaxed}, account: {relaxed}, failed_attempts: {relaxed}}}
rc_joins: {{local: {relaxed}, remote: {relaxed}}}
rc_joins_per_room: {relaxed}
rc_invites: {{per_room: {relaxed}, per_user: {relaxed}, per_issuer: {relaxed}}}
rc_admin_redaction: {relaxed}
rc_3pid_validation: {relaxed}
rc_media_create: {relaxed}
"""
    path = directory / "homeserver.yaml"
    path.write_text(config)
    return path


@dataclass
class Account:
    user_id: str
    access_token: str
    password: str


@dataclass
class Synapse:
    """A running homeserver at `url`; `register` makes accounts through the shared-secret admin API."""

    url: str
    process: subprocess.Popen[bytes]
    directory: Path
    admin: Account | None = None
    accounts: dict[str, Account] = field(default_factory=dict)

    @classmethod
    def start(cls, directory: Path) -> Synapse:
        python = ensure_installed()
        port = free_port()
        config = write_config(directory, port, python)
        log = (directory / "stdout.log").open("wb")
        process = subprocess.Popen(
            [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        server = cls(f"http://127.0.0.1:{port}", process, directory)
        server.wait_ready()
        server.admin = server.register("admin", admin=True)
        return server

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SynapseUnavailable(f"Synapse exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SynapseUnavailable(f"Synapse not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        texts = [
            p.read_text(errors="replace")[-3000:]
            for p in (self.directory / "stdout.log", self.directory / "synapse.log")
            if p.exists()
        ]
        return "\n".join(texts)

    def register(self, localpart: str, *, admin: bool = False) -> Account:
        """A new account (HMAC-SHA1 over nonce, user, password and admin flag, as Synapse's admin API asks)."""
        if localpart in self.accounts:
            return self.accounts[localpart]
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        password = f"pw-{localpart}"
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join(p.encode() for p in (nonce, localpart, password, "admin" if admin else "notadmin")))
        signature = mac.hexdigest()
        answer = httpx.post(
            endpoint,
            json={"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": signature},
            timeout=30,
        )
        answer.raise_for_status()
        data = answer.json()
        account = Account(data["user_id"], data["access_token"], password)
        self.accounts[localpart] = account
        return account

    def set_ratelimit(self, user_id: str, messages_per_second: int, burst_count: int) -> None:
        """The admin API's per-user override of the message rate limit (0, 0 removes every limit)."""
        assert self.admin is not None
        answer = httpx.post(
            f"{self.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            json={"messages_per_second": messages_per_second, "burst_count": burst_count},
            headers={"Authorization": f"Bearer {self.admin.access_token}"},
            timeout=10,
        )
        answer.raise_for_status()

    def devices(self, user_id: str) -> list[dict]:
        """The account's devices (one per login), through the admin API."""
        assert self.admin is not None
        answer = httpx.get(
            f"{self.url}/_synapse/admin/v2/users/{user_id}/devices",
            headers={"Authorization": f"Bearer {self.admin.access_token}"},
            timeout=10,
        )
        answer.raise_for_status()
        return list(answer.json()["devices"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
