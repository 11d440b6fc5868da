"""`idearoom run` on the console serves the dashboard too, says where, and `/web` there signs one in."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from idearoom.cli import main
from tests.commands import IDEAROOM, command_env

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/web/login/[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_console_prints_the_dashboard_address_and_its_link_opens(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "IDEAROOM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "IDEAROOM_HTTP_HOST": "127.0.0.1",
        "IDEAROOM_HTTP_PORT": str(port),
    }
    for token in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "MATRIX_HOMESERVER_URL"):
        env.pop(token, None)
    process = subprocess.Popen(
        [*IDEAROOM, "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=command_env(env),
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("/as sujin\n/in dm\n/web\n")
        process.stdin.flush()
        seen: list[str] = []
        link = None
        for line in process.stdout:  # the session waits for more input, so the server is still up
            seen.append(line)
            if found := LINK.search(line):
                link = found.group(1)
                break
        assert link, "".join(seen)
        assert f"웹 대시보드: http://127.0.0.1:{port}/web — 로그인: /in dm 에서 /web" in "".join(
            seen
        )  # in the bot's language
        with urllib.request.urlopen(link, timeout=30) as page:
            body = page.read().decode()
        assert page.status == 200 and "로그인" in body
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/overview", timeout=30)
            raise AssertionError("an organizer page opened without signing in")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        process.stdin.close()
        process.wait(timeout=120)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_operators_print_a_link_with_idearoom_web_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command's entry point, in this process (the test above runs the installed command)."""
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("IDEAROOM_WEB_BASE_URL", "https://idearoom.example.go.kr")
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "people.csv"
    directory.write_text("handle,name,department,role\nkimhead,김부장,교통정책과,head\n", encoding="utf-8")
    assert main(["directory", "import", str(directory)]) == 0
    capsys.readouterr()
    assert main(["web", "link", "kimhead"]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"https://idearoom\.example\.go\.kr/web/login/[A-Za-z0-9_-]{20,}\n", out)
    assert "works once, for 10 minutes" in err
    assert main(["web", "link", "nobody"]) == 2
    assert "no such person: nobody" in capsys.readouterr().err
