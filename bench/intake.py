"""Durable intake: Slack's ack delay and events per second with every request committed before its 200.

Slack: signed `message` events posted to /slack/events, IN_FLIGHT at once (a workshop burst, as
Slack delivers them concurrently). The ack delay is the time from sending a request until its
HTTP answer; Slack gives up at 3 s. idearoom answers only once the request is committed to the
inbox table; the bare Bolt app (the library on its own, one echo listener) answers before any work.
Events per second: end to end, first request sent -> last reply recorded by the fake.
Telegram: the adapter as it is (long polling) against a bare python-telegram-bot echo, as in
bench/overhead.py. SQLite; sending limits off; the fakes of tests/fakes.

Run: `python -m bench.intake [--ideas 300] [--in-flight 50] [--rounds 2]`. Prints a table; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bench.overhead import (
    PEOPLE,
    SLACK_SECRET,
    TELEGRAM_TOKEN,
    WARMUP,
    Replies,
    bare_bolt_echo,
    idearoom_slack,
    telegram_bare,
    telegram_bot,
    wait_for_replies,
)
from tests.fakes.slack_api import FakeSlackAPI, event_callback, message_event, signed_request_headers
from tests.fakes.telegram_api import FakeTelegramAPI

ACK_BUDGET = 3.0  # seconds Slack waits for an answer


def event_bodies(channel: str, count: int, tag: str) -> list[str]:
    return [
        json.dumps(
            event_callback(
                message_event(
                    channel,
                    f"U{n % PEOPLE:05d}",
                    f"#아이디어 {tag} 아이디어 {n}: 민원 절차 간소화 방안",
                    ts=f"{1700000000 + n}.{uuid.uuid4().int % 1000000:06d}",
                ),
                event_id=f"Ev{uuid.uuid4().hex[:12].upper()}",
            )
        )
        for n in range(count)
    ]


async def post_timed(url: str, bodies: list[str], in_flight: int) -> list[float]:
    """Post every body, `in_flight` at a time; the seconds each waited for its answer."""
    delays: list[float] = []
    queue = iter(bodies)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

        async def worker() -> None:
            for body in queue:
                started = time.perf_counter()
                async with session.post(
                    url, data=body.encode(), headers=signed_request_headers(SLACK_SECRET, body)
                ) as answer:
                    await answer.read()
                delays.append(time.perf_counter() - started)
                if answer.status != 200:
                    print(f"  Slack event answered {answer.status}")

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return delays


async def slack_burst(
    fake: FakeSlackAPI, url: str, channel: str, count: int, tag: str, in_flight: int
) -> tuple[float, list[float]]:
    replies = Replies(fake.delivered, channel)
    replies()
    before = replies.count
    started = time.perf_counter()
    delays = await post_timed(url, event_bodies(channel, count, tag), in_flight)
    await wait_for_replies(fake, replies, before + count)
    return count / (time.perf_counter() - started), delays


async def slack_bare(fake: FakeSlackAPI, channel: str, ideas: int, in_flight: int) -> tuple[float, list[float]]:
    async with bare_bolt_echo(fake) as url:
        await slack_burst(fake, url, channel, WARMUP, "warmup", in_flight)
        return await slack_burst(fake, url, channel, ideas, "bench", in_flight)


async def slack_bot(
    fake: FakeSlackAPI, channel: str, ideas: int, in_flight: int, folder: str
) -> tuple[float, list[float]]:
    async with idearoom_slack(fake, folder) as url:
        await slack_burst(fake, url, channel, WARMUP, "warmup", in_flight)
        return await slack_burst(fake, url, channel, ideas, "bench", in_flight)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(name: str, run: Callable[[int], Awaitable[tuple[float, list[float]]]], rounds: int) -> dict[str, Any]:
    rates, delays = [], []
    for round_ in range(rounds):
        rate, round_delays = await run(round_)
        rates.append(rate)
        delays.extend(round_delays)
        print(
            f"  {name} round {round_ + 1}: {rate:7.1f} events/s, worst ack {max(round_delays) * 1000:7.1f} ms",
            flush=True,
        )
    return {
        "name": name,
        "rate": statistics.median(rates),
        "worst": max(delays),
        "p99": percentile(delays, 0.99),
        "median": statistics.median(delays),
        "late": sum(d > ACK_BUDGET for d in delays),
    }


async def run(ideas: int, in_flight: int, rounds: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"{ideas} ideas per round from {PEOPLE} people, {in_flight} requests in flight, {rounds} rounds; SQLite.")
    with tempfile.TemporaryDirectory() as folder:
        async with FakeSlackAPI() as slack:
            bare = await measure("slack bare Bolt", lambda r: slack_bare(slack, f"CBARE{r}", ideas, in_flight), rounds)
            bot = await measure(
                "slack idearoom", lambda r: slack_bot(slack, f"CBOT{r}", ideas, in_flight, folder), rounds
            )
        telegram_rates: dict[str, list[float]] = {"bare": [], "bot": []}
        async with FakeTelegramAPI(token=TELEGRAM_TOKEN) as telegram:
            for round_ in range(rounds):
                telegram_rates["bare"].append(await telegram_bare(telegram, -1001000000000 - 2 * round_, ideas))
                telegram_rates["bot"].append(await telegram_bot(telegram, -1001000000001 - 2 * round_, ideas, folder))
                print(
                    f"  telegram round {round_ + 1}: bare {telegram_rates['bare'][-1]:7.1f}/s, "
                    f"idearoom {telegram_rates['bot'][-1]:7.1f}/s",
                    flush=True,
                )
    print()
    print(f"{'Slack HTTP':<18} {'events/s':>9} {'median ack':>11} {'p99 ack':>9} {'worst ack':>10} {'> 3 s':>6}")
    for row in (bare, bot):
        print(
            f"{row['name']:<18} {row['rate']:>9.1f} {row['median'] * 1000:>8.1f} ms {row['p99'] * 1000:>6.1f} ms "
            f"{row['worst'] * 1000:>7.1f} ms {row['late']:>6}"
        )
    print(
        f"{'Telegram polling':<18} bare {statistics.median(telegram_rates['bare']):.1f}/s, "
        f"idearoom {statistics.median(telegram_rates['bot']):.1f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300, help="ideas per measured round")
    parser.add_argument("--in-flight", type=int, default=50, help="Slack requests posted at once")
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.ideas, arguments.in_flight, arguments.rounds))


if __name__ == "__main__":
    main()
