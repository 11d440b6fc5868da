"""Real `idearoom run` worker processes for multi-worker tests: start, probe, deliver webhooks to, kill."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from tests.commands import IDEAROOM, command_env
from tests.ops import forked_workers
from tests.ops.forked_workers import ForkedProcess

T = TypeVar("T")

# Settings of the developer's shell must not leak into the workers.
SETTING_PREFIXES = ("IDEAROOM_", "TELEGRAM_", "SLACK_", "MATRIX_")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any bot settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    return env | settings


async def run_command(args: Sequence[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """`idearoom <args>` to the end, through the command's entry point in this process, with `env` as its whole
    environment and `cwd` as its directory; its output, or an AssertionError saying why it failed.

    A process of its own would add only the start-up of Python (`idearoom run`, started by `WorkerProcess`,
    runs the installed command)."""
    from idearoom.cli import main

    def run() -> tuple[int, str]:
        with _one_command:
            return run_here()

    def run_here() -> tuple[int, str]:
        output = io.StringIO()
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                try:
                    code = main(list(args))
                except SystemExit as exit:  # argparse refuses the arguments
                    code = exit.code if isinstance(exit.code, int) else 2
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        return code, output.getvalue()

    try:
        code, text = await asyncio.wait_for(asyncio.to_thread(run), timeout)
    except TimeoutError:
        raise AssertionError(f"idearoom {' '.join(args)} did not finish within {timeout}s") from None
    assert code == 0, f"idearoom {' '.join(args)} failed ({code}):\n{text}"
    return text


_one_command = threading.Lock()  # the environment and the directory are the process's own


@dataclass
class WorkerProcess:
    """One `idearoom run` process listening on its own loopback port, its output in a log file."""

    name: str
    port: int
    process: subprocess.Popen[bytes] | ForkedProcess
    log_path: Path

    @classmethod
    def start(
        cls, name: str, env: dict[str, str], cwd: Path, role: str = "all", port: int | None = None
    ) -> WorkerProcess:
        """Start a worker; `port` lets a restarted worker take the address its predecessor had."""
        port = port or free_port()
        log_path = cwd / f"{name}.log"
        worker_env = command_env(env) | {"IDEAROOM_HTTP_HOST": "127.0.0.1", "IDEAROOM_HTTP_PORT": str(port)}
        if not forked_workers.EXEC:
            log_path.write_bytes(b"")
            process = forked_workers.start(["run", "--role", role], worker_env, cwd, log_path)
            return cls(name, port, process, log_path)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*IDEAROOM, "run", "--role", role],
                env=worker_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return cls(name, port, process, log_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask politely, then kill; never leaves the process behind."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self) -> None:
        """SIGTERM, as systemd sends on a restart or a deploy."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} (port {self.port}, exit {self.process.poll()}) ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )

    async def health(self, http: aiohttp.ClientSession) -> dict[str, Any] | None:
        """The /healthz answer when it is 200, else None (not up yet, or gone)."""
        try:
            async with http.get(f"{self.url}/healthz", timeout=aiohttp.ClientTimeout(total=3)) as response:
                return await response.json() if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return None


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float, what: str, every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy; fail saying `what` did not happen in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(every)


class Webhook:
    """Plays Telegram: POSTs an update to a worker with the secret; on failure retries at the next one."""

    def __init__(self, http: aiohttp.ClientSession, secret: str, timeout: float = 30.0) -> None:
        self.http = http
        self.secret = secret
        self.timeout = timeout
        self.refused = 0  # deliveries that had to go to another worker

    async def deliver(self, update: dict[str, Any], workers: Sequence[WorkerProcess]) -> WorkerProcess:
        """Deliver to the first worker that answers 200, trying them in the given order, round and round."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        attempt = 0
        while True:
            worker = workers[attempt % len(workers)]
            attempt += 1
            try:
                async with self.http.post(
                    f"{worker.url}{WEBHOOK_PATH}",
                    json=update,
                    headers={SECRET_HEADER: self.secret},
                    timeout=aiohttp.ClientTimeout(total=20),
                ) as response:
                    if response.status == 200:
                        return worker
                    problem = f"HTTP {response.status}: {await response.text()}"
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = repr(error)
            self.refused += 1
            if loop.time() >= deadline:
                raise AssertionError(f"update {update['update_id']} was never accepted; last: {problem}")
            if attempt % len(workers) == 0:
                await asyncio.sleep(0.2)  # every worker refused: give them a moment, as Telegram would
