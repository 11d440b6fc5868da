"""Idle wake-ups: what an idle `idearoom run` does per minute, counted (load-independent), next to a bare PTB echo.

The bot runs as its own process as in `bench.footprint` (Telegram polling and Slack HTTP mode
against the fakes, the sender and the scheduler, SQLite), started through a probe that counts,
from the moment /healthz first answers plus a settling time: the event loop's iterations
(wake-ups), the callbacks each ran (grouped by the coroutine or function they belong to), the
database transactions begun and the SQL statements sent. The bare library is probed the same way.
Counts do not depend on the machine's load; the CPU time beside them does.

Run: `python -m bench.wakeups [--idle 60]`. Prints a table; never asserts.
Target (issue 18): idle CPU < 2 s per hour; no periodic work where nothing can be due.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.footprint import BARE, READY_TIMEOUT, TELEGRAM_TOKEN, bot_environment, free_port
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI

SETTLE = 5.0

# Run inside the probed process: counts loop iterations, callbacks, transactions and statements,
# from when the file named by IDEAROOM_PROBE_START appears until SIGUSR1, then writes them out.
PROBE = r"""
import asyncio, asyncio.base_events, asyncio.events, json, os, resource, signal, sys, time
from collections import Counter

counts = {"iterations": 0, "callbacks": Counter(), "transactions": 0, "statements": 0}
counting = [False]
out = os.environ["IDEAROOM_PROBE_OUT"]

def where(handle):
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    coroutine = getattr(owner, "get_coro", lambda: None)()
    if coroutine is not None:
        code = getattr(coroutine, "cr_code", None)
        place = "/".join(code.co_filename.rsplit("/", 2)[-2:]) if code else "?"
        return f"task {getattr(coroutine, '__qualname__', '?')} ({place})"
    return getattr(callback, "__qualname__", repr(callback))[:80]

run_once = asyncio.base_events.BaseEventLoop._run_once
def counted_run_once(self):
    if counting[0]:
        counts["iterations"] += 1
    return run_once(self)
asyncio.base_events.BaseEventLoop._run_once = counted_run_once

handle_run = asyncio.events.Handle._run
def counted_run(self):
    if counting[0]:
        counts["callbacks"][where(self)] += 1
    return handle_run(self)
asyncio.events.Handle._run = counted_run

def start(*_):
    counting[0] = True
    counts["cpu0"] = time.process_time()
    counts["t0"] = time.monotonic()

def dump(*_):
    counting[0] = False
    usage = resource.getrusage(resource.RUSAGE_SELF)
    counts["seconds"] = time.monotonic() - counts.get("t0", time.monotonic())
    counts["cpu"] = time.process_time() - counts.get("cpu0", time.process_time())
    counts["rss_mib"] = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    counts["packages"] = sorted({name.split(".")[0] for name in sys.modules})
    with open(out, "w") as file:
        json.dump({**counts, "callbacks": counts["callbacks"].most_common(25)}, file)

if os.environ.get("WAKEUPS_WHO"):
    import traceback
    class Who:
        def find_spec(self, name, path=None, target=None):
            if name in os.environ["WAKEUPS_WHO"].split(","):
                with open(os.environ.get("WAKEUPS_WHO_FILE", out + ".who"), "a") as file:
                    file.write(f"== {name}\n" + "".join(traceback.format_stack(limit=40)[:-1]))
            return None
    sys.meta_path.insert(0, Who())

signal.signal(signal.SIGUSR2, start)
signal.signal(signal.SIGUSR1, dump)

try:
    import sqlalchemy.event
    from sqlalchemy.engine import Engine

    def on_begin(connection):
        if counting[0]:
            counts["transactions"] += 1
    def on_statement(*args):
        if counting[0]:
            counts["statements"] += 1
    sqlalchemy.event.listen(Engine, "begin", on_begin)
    sqlalchemy.event.listen(Engine, "before_cursor_execute", on_statement)
except ImportError:
    pass

if sys.argv[1] == "bot":
    from idearoom.cli import main
    sys.exit(main(["run"]))
code = sys.argv[2]
sys.argv = [sys.argv[0], *sys.argv[3:]]
exec(compile(code, "bare", "exec"), {"__name__": "__main__"})
"""


async def probe(
    label: str, argv: list[str], env: dict[str, str], ready: str | None, telegram: FakeTelegramAPI, idle: float
) -> dict:
    out = Path(env["IDEAROOM_PROBE_OUT"])
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        deadline = started + READY_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline and process.returncode is None:
                if ready is None:
                    if [c for c in telegram.calls if c.at >= started and c.method == "getUpdates"]:
                        break
                else:
                    try:
                        async with session.get(ready) as answer:
                            if answer.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE)
        process.send_signal(signal.SIGUSR2)
        await asyncio.sleep(idle)
        process.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if out.exists() and out.stat().st_size:
                break
            await asyncio.sleep(0.05)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
    if not out.exists():
        errors = (await process.stderr.read()).decode(errors="replace") if process.stderr else ""
        print(f"  {label}: no counts:\n{errors[-2000:]}")
        return {}
    return json.loads(out.read_text())


async def run(idle: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegramAPI(token=TELEGRAM_TOKEN, long_poll_cap=10.0) as telegram, FakeSlackAPI() as slack:
            base = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("IDEAROOM_", "TELEGRAM_", "SLACK_"))
            }
            results["bare PTB echo"] = await probe(
                "bare PTB echo",
                ["bare", BARE, TELEGRAM_TOKEN, telegram.base_url],
                base | {"IDEAROOM_PROBE_OUT": str(Path(folder) / "bare.json")},
                None,
                telegram,
                idle,
            )
            port = free_port()
            env = bot_environment(folder, port, telegram, slack) | {
                "IDEAROOM_PROBE_OUT": str(Path(folder) / "bot.json")
            }
            results["idearoom run"] = await probe(
                "idearoom run", ["bot"], env, f"http://127.0.0.1:{port}/healthz", telegram, idle
            )
    print(
        f"idle {idle:.0f} s after ready + {SETTLE:.0f} s; Telegram long polls held 10 s by the fake; SQLite; per minute:"
    )
    print()
    print(f"{'process':<16} {'wake-ups':>9} {'callbacks':>10} {'transactions':>13} {'statements':>11} {'CPU s/h':>8}")
    for name, counts in results.items():
        if not counts:
            continue
        minutes = counts["seconds"] / 60
        callbacks = sum(n for _, n in counts["callbacks"])
        print(
            f"{name:<16} {counts['iterations'] / minutes:>9.1f} {callbacks / minutes:>10.1f} "
            f"{counts['transactions'] / minutes:>13.1f} {counts['statements'] / minutes:>11.1f} "
            f"{counts['cpu'] / counts['seconds'] * 3600:>8.1f}"
        )
    if os.environ.get("WAKEUPS_PACKAGES"):
        bare = set(results.get("bare PTB echo", {}).get("packages", []))
        for name, counts in results.items():
            print(
                f"{name}: {counts.get('rss_mib', 0):.1f} MiB; packages beyond the bare echo's: {sorted(set(counts.get('packages', [])) - bare)}"
            )
    for name, counts in results.items():
        if counts:
            print(f"\n{name}: callbacks per minute by what they ran")
            for where, n in counts["callbacks"][:15]:
                print(f"  {n / (counts['seconds'] / 60):>7.1f}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idling counted (after the settling time)")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.idle))


if __name__ == "__main__":
    main()
