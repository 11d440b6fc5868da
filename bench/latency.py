"""Low load: from an update to its confirmation sent, one idea at a time, next to a bare echo.

One `/idea` at a time through the TelegramAdapter (long polling, storage, the reply with its
support button, the outbox sender) against the local FakeTelegramAPI, a pause between ideas; the
same against a bare python-telegram-bot Application echoing each text, in the same run. Latency:
the moment the update is handed to the fake until the fake accepted the reply (both on the fake's
clock). SQLite; sending limits off.

Run: `python -m bench.latency [--ideas 100] [--pause 0.05]`. Prints a table; never asserts.
Target (issue 18): p50 < 15 ms, p95 < 40 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bench.common import Transactions
from bench.overhead import TELEGRAM_TOKEN, bare_ptb_echo, bot_settings, push_idea, start_bot
from tests.fakes.telegram_api import FakeTelegramAPI

P50, P95 = 15.0, 40.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_at_a_time(fake: FakeTelegramAPI, chat: int, ideas: int, pause: float, tag: str) -> list[float]:
    """Milliseconds from each update pushed to the first reply into the chat after it."""
    latencies = []
    for n in range(ideas):
        seen = len(fake.delivered)
        pushed = fake.clock()
        push_idea(fake, chat, n, tag)
        await fake.wait_until(
            lambda seen=seen: any(str(d.chat_id) == str(chat) for d in fake.delivered[seen:]), timeout=30
        )  # type: ignore[misc]
        reply = next(d for d in fake.delivered[seen:] if str(d.chat_id) == str(chat))
        latencies.append((reply.at - pushed) * 1000)
        await asyncio.sleep(pause)
    return latencies


COUNTED: list[Transactions] = []


@asynccontextmanager
async def idearoom(fake: FakeTelegramAPI, folder: str) -> AsyncIterator[None]:
    from adapters.telegram import TelegramAdapter

    app, adapter = await start_bot(
        bot_settings(folder, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_BASE_URL=fake.url), TelegramAdapter
    )
    COUNTED.append(Transactions(app))
    try:
        yield
    finally:
        await adapter.stop()
        await app.close()


async def measure(
    fake: FakeTelegramAPI, chat: int, start: Callable[[], Any], ideas: int, pause: float
) -> tuple[list[float], int]:
    """The latencies, and the transactions begun for the measured ideas (when the bot's are counted)."""
    async with start():
        await one_at_a_time(fake, chat, 10, pause, f"warmup{chat}")  # people and the room become known
        before = COUNTED[-1].count if COUNTED else 0
        latencies = await one_at_a_time(fake, chat, ideas, pause, f"bench{chat}")
        await asyncio.sleep(pause)
        return latencies, (COUNTED[-1].count if COUNTED else 0) - before


async def run(ideas: int, pause: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegramAPI(token=TELEGRAM_TOKEN, long_poll_cap=10.0) as fake:
            bare, _ = await measure(fake, -1002000000000, lambda: bare_ptb_echo(fake), ideas, pause)
            ours, transactions = await measure(fake, -1002000000001, lambda: idearoom(fake, folder), ideas, pause)
    print(
        f"{ideas} ideas one at a time ({pause * 1000:.0f} ms apart, after 10 warm-up ideas), Telegram polling, SQLite;"
    )
    print("update handed to the fake -> reply accepted by the fake")
    print()
    print(f"{'':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p50 < {P50:.0f}, p95 < {P95:.0f}")
    for name, values in (("bare PTB echo", bare), ("idearoom /idea", ours)):
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        verdict = "" if name.startswith("bare") else ("met" if p50 < P50 and p95 < P95 else "MISSED")
        print(f"{name:<24} {p50:>8.1f} {p95:>8.1f} {max(values):>8.1f}  {verdict}")
    print(
        f"\nidearoom: {transactions / ideas:.2f} database transactions per idea (intake, core and sender; load-independent)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between one reply and the next idea")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.ideas, arguments.pause))


if __name__ == "__main__":
    main()
