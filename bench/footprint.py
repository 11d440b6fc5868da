"""Footprint: resident memory of an idle `idearoom run` and the time from process start to ready.

The bot runs as its own process, as deployed: Telegram long polling against a FakeTelegramAPI,
Slack in HTTP mode against a FakeSlackAPI, the outbox sender and the scheduler (role "all"), on a
SQLite file in a temporary folder. Ready is /healthz answering 200 (all adapters started, the
HTTP server up); the first getUpdates call at the fake is shown next to it. It is started twice:
on a fresh database (migrations and the demo organisation first), then again on the same one.

Idle CPU is counted after a settling time (the first seconds after ready are start-up work) and
given as CPU seconds per hour; the fake holds a long poll for up to 10 s, as Telegram does. A bare
python-telegram-bot Application polling the same fake, in a process of its own, is measured the
same way beside it.

After the idle time two alike ideas are sent through Telegram, once the Korean analyser's process
(the ranker's child, started when the bot is ready) has gone quiet: the second idea's similar ideas
are compared by meaning there. The resident memory of the bot and of that child is given after them.
The CPU seconds the bot's process (and its finished children: the migrations, the holidays look-up)
spent until ready are given too: on a loaded host they say more than the wall-clock time.

The project's modules are compiled to bytecode first, as installing a package does: with
PYTHONDONTWRITEBYTECODE set (this development environment sets it) an editable checkout is
otherwise compiled from source by every process, ~0.2 s of CPU a start; `--from-source` measures that.

Run: `python -m bench.footprint [--idle 30] [--from-source]`. Prints a table; never asserts.
Targets (issue 18): ready < 2 s, < 120 MiB resident, idle CPU < 2 s per hour; the analyser's share
as small as the ranking targets allow (no figure).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from bench.overhead import Replies, wait_for_replies
from tests.commands import PACKAGES, ROOT, write_bytecode
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI

TELEGRAM_TOKEN = "7000000001:bench"
READY_TIMEOUT = 60.0
SETTLE = 5.0  # seconds after ready before idling is measured
READY_S, RSS_MIB, CPU_S_PER_HOUR = 2.0, 120.0, 2.0
IDEA_CHAT, IDEA_AUTHOR = -1001000000077, 100077
QUIET_TIMEOUT = 120.0
BARE = """
import asyncio, sys
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text or "")

app = Application.builder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(timeout=10)
"""


@dataclass
class Start:
    """One start of the bot and what it took."""

    label: str
    to_http_ready: float | None
    to_first_poll: float | None
    rss_mib: float
    peak_rss_mib: float
    idle_cpu_s_per_hour: float
    health: str
    children_rss_mib: float = 0.0
    cpu_to_ready_s: tuple[float, float] | None = None  # own, finished children's
    after_ideas_rss_mib: float | None = None
    after_ideas_children_rss_mib: float | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bot_environment(folder: str, port: int, telegram: FakeTelegramAPI, slack: FakeSlackAPI) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IDEAROOM_", "TELEGRAM_", "SLACK_"))}
    env.update(
        IDEAROOM_DATABASE_URL=f"sqlite+aiosqlite:///{Path(folder) / 'idearoom.db'}",
        IDEAROOM_REPORT_DIR=str(Path(folder) / "reports"),
        IDEAROOM_HTTP_HOST="127.0.0.1",
        IDEAROOM_HTTP_PORT=str(port),
        IDEAROOM_LOG_LEVEL="WARNING",
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET="bench-signing-secret",
        SLACK_API_BASE_URL=slack.api_url,
    )
    return env


async def wait_healthy(url: str, process: asyncio.subprocess.Process) -> tuple[bool, str]:
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return True, await answer.text()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    return False, ""


async def start_once(label: str, folder: str, telegram: FakeTelegramAPI, slack: FakeSlackAPI, idle: float) -> Start:
    port = free_port()
    executable = Path(sys.executable).with_name("idearoom")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(executable),
        "run",
        cwd=folder,
        env=bot_environment(folder, port, telegram, slack),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        healthy, health = await wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        to_http_ready = time.monotonic() - started if healthy else None
        watched = psutil.Process(process.pid)
        at_ready = watched.cpu_times()
        # Its own user and system time, and its finished children's (the migrations, the holidays).
        cpu_to_ready = (at_ready.user + at_ready.system, at_ready.children_user + at_ready.children_system)
        await asyncio.sleep(SETTLE)
        before = watched.cpu_times()
        began = time.monotonic()
        samples = []
        end = time.monotonic() + idle
        while time.monotonic() < end and process.returncode is None:
            samples.append(watched.memory_info().rss)
            await asyncio.sleep(0.5)
        after = watched.cpu_times()
        cpu = (after.user + after.system - before.user - before.system) / (time.monotonic() - began) * 3600
        children = sum(child.memory_info().rss for child in watched.children(recursive=True))
        # A long poll is recorded when it returns, with the moment it arrived.
        polls = [c.at for c in telegram.calls_to("getUpdates") if c.at >= started]
        to_first_poll = min(polls) - started if polls else None
        rss = samples[-1] if samples else 0
        peak = max(samples, default=0)
        after = await after_two_ideas(telegram, watched) if healthy else None
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        errors = (await process.stderr.read()).decode(errors="replace").strip() if process.stderr else ""
    if not healthy and errors:
        print(f"  {label}: the bot did not become ready:\n{errors[-2000:]}")
    return Start(
        label,
        to_http_ready,
        to_first_poll,
        rss / 2**20,
        peak / 2**20,
        cpu,
        health,
        children / 2**20,
        cpu_to_ready if healthy else None,
        after[0] if after else None,
        after[1] if after else None,
    )


def _children_cpu(watched: psutil.Process) -> float:
    return sum(sum(child.cpu_times()[:2]) for child in watched.children(recursive=True))


async def after_two_ideas(telegram: FakeTelegramAPI, watched: psutil.Process) -> tuple[float, float] | None:
    """The bot's and its children's RSS (MiB) after two alike ideas, sent once the analyser's process is quiet."""
    deadline = time.monotonic() + QUIET_TIMEOUT
    used = _children_cpu(watched)
    while time.monotonic() < deadline:  # the analyser is built when its process stops using CPU
        await asyncio.sleep(1.0)
        now = _children_cpu(watched)
        if watched.children() and now - used < 0.02:
            break
        used = now
    replies = Replies(telegram.delivered, IDEA_CHAT)
    for n, text in enumerate(
        ("회의실 예약 현황을 메신저로 알려 주세요", "회의실 예약 상황을 메신저 알림으로 받고 싶어요")
    ):
        before = replies()
        telegram.push_message(
            IDEA_CHAT,
            IDEA_AUTHOR + n,
            f"/idea {text}",
            chat_type="supergroup",
            chat_title="아이디어방",
            first_name=f"직원{n}",
            username=f"footprint{n}",
        )
        try:
            await wait_for_replies(telegram, replies, before + 1, timeout=60)
        except TimeoutError:
            print("  no answer to an idea within 60 s")
            return None
    await asyncio.sleep(1.0)
    children = sum(child.memory_info().rss for child in watched.children(recursive=True))
    return watched.memory_info().rss / 2**20, children / 2**20


async def bare_once(telegram: FakeTelegramAPI, idle: float) -> Start:
    """The bare library's own footprint: a polling echo Application against the same fake."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BARE,
        TELEGRAM_TOKEN,
        telegram.base_url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = started + READY_TIMEOUT
        while (
            not [c for c in telegram.calls if c.at >= started and c.method == "getUpdates"]
            and time.monotonic() < deadline
        ):  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        ready = time.monotonic() - started
        watched = psutil.Process(process.pid)
        await asyncio.sleep(SETTLE)
        before, began = watched.cpu_times(), time.monotonic()
        await asyncio.sleep(idle)
        after = watched.cpu_times()
        cpu = (after.user + after.system - before.user - before.system) / (time.monotonic() - began) * 3600
        rss = watched.memory_info().rss
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    return Start("bare PTB echo", None, ready, rss / 2**20, rss / 2**20, cpu, "")


def cpu_seconds(value: tuple[float, float] | None) -> str:
    return f"{value[0]:.2f} s (+ {value[1]:.2f} s)" if value is not None else "never"


def seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "never"


def compile_project(from_source: bool) -> None:
    """Write the bytecode an installation would have, or remove the project's so that each process compiles
    its modules from source."""
    import shutil

    if not from_source:
        write_bytecode()
        return
    for package in PACKAGES:
        for cache in (ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


async def run(idle: float, from_source: bool = False) -> None:
    compile_project(from_source)
    starts = []
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegramAPI(token=TELEGRAM_TOKEN, long_poll_cap=10.0) as telegram, FakeSlackAPI() as slack:
            starts.append(await bare_once(telegram, idle))
            starts.append(await start_once("fresh database", folder, telegram, slack, idle))
            starts.append(await start_once("existing database", folder, telegram, slack, idle))
    print("`idearoom run`: Telegram polling + Slack HTTP mode (fake servers), outbox sender, scheduler; SQLite")
    print(
        "the project's modules: "
        + ("compiled from source by each process" if from_source else "bytecode written first")
    )
    print(
        f"RSS after {SETTLE:.0f} + {idle:.0f} s idle (psutil), idle CPU over the {idle:.0f} s as CPU seconds per hour"
    )
    print(f"targets: ready < {READY_S:.0f} s, RSS < {RSS_MIB:.0f} MiB, idle CPU < {CPU_S_PER_HOUR:.0f} s/h")
    print("+ children: the ranker's process (the Korean analyser), built once the bot is ready")
    print()
    print(
        f"{'start':<18} {'to /healthz 200':>15} {'CPU to ready (+ children)':>25} {'to 1st getUpdates':>18} {'RSS idle':>9} {'RSS peak':>9} {'+ children':>10} {'idle CPU':>10}  targets"
    )
    for s in starts:
        verdict = ""
        if s.to_http_ready is not None:
            met = s.to_http_ready < READY_S and s.rss_mib < RSS_MIB and s.idle_cpu_s_per_hour < CPU_S_PER_HOUR
            verdict = (
                "met"
                if met
                else "MISSED "
                + ", ".join(
                    name
                    for name, ok in (
                        ("ready", s.to_http_ready < READY_S),
                        ("RSS", s.rss_mib < RSS_MIB),
                        ("CPU", s.idle_cpu_s_per_hour < CPU_S_PER_HOUR),
                    )
                    if not ok
                )
            )
        print(
            f"{s.label:<18} {seconds(s.to_http_ready):>15} {cpu_seconds(s.cpu_to_ready_s):>25} {seconds(s.to_first_poll):>18} "
            f"{s.rss_mib:>5.1f} MiB {s.peak_rss_mib:>5.1f} MiB {s.children_rss_mib:>6.1f} MiB {s.idle_cpu_s_per_hour:>7.1f} s/h  {verdict}"
        )
    print()
    print("after two alike ideas (the second compared by meaning in the ranker's process):")
    for s in starts:
        if s.after_ideas_rss_mib is not None and s.after_ideas_children_rss_mib is not None:
            print(
                f"{s.label:<18} bot {s.after_ideas_rss_mib:5.1f} MiB, ranker's process {s.after_ideas_children_rss_mib:5.1f} MiB"
            )
    if starts and starts[-1].health:
        print(f"\n/healthz said: {starts[-1].health}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idling measured (after the settling time)")
    parser.add_argument(
        "--from-source", action="store_true", help="leave the project uncompiled (each process compiles it)"
    )
    arguments = parser.parse_args()
    asyncio.run(run(arguments.idle, arguments.from_source))


if __name__ == "__main__":
    main()
