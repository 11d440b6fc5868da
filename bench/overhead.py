"""Overhead over the library: ideas captured per second through the real adapters next to a bare echo app.

Telegram: the TelegramAdapter (long polling, storage, the reply with its support button, the
outbox sender) against a bare python-telegram-bot Application whose one handler echoes each text.
Slack: the SlackAdapter in HTTP mode (signed `message` events posted to /slack/events) against a
bare Bolt AsyncApp whose one listener echoes with chat.postMessage. Each pair runs against the
same kind of local fake server (tests/fakes), in the same process and run, rounds alternating.
A rate is measured end to end: from the first update pushed until the fake has recorded the
last reply. IDEAROOM_SEND_RATE_LIMITS=off: the fakes do not enforce limits here.

Run: `python -m bench.overhead [--ideas 400] [--rounds 3]`. Prints a table; never asserts.
Target (issue 18): the bot does at least half the bare library's rate. The ideas do not look alike
(as people's ideas do not), so the similar-idea check has its usual work, not 400 near copies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.counts import Counts, counting
from idearoom.wiring import App, build_app
from tests.fakes.slack_api import FakeSlackAPI, event_callback, message_event, signed_request_headers
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import distinct_text, test_settings

TELEGRAM_TOKEN = "7000000001:bench"
SLACK_TOKEN = "xoxb-bench"
SLACK_SECRET = "bench-signing-secret"
PEOPLE = 50
WARMUP = 20
IN_FLIGHT = 8  # Slack event requests posted at once (Slack itself delivers events concurrently)
TARGET = 0.5  # issue 18: at least half the bare library's rate

Run = Callable[[int, int], Awaitable[float]]  # (round, ideas) -> ideas per second
# CPU milliseconds per idea of the last measured burst (the process's, fakes included): on a loaded
# host the rates follow the CPU each idea needs, so this is the steadier figure to compare.
last_cpu_ms = 0.0
# The database transactions per idea of the last measured burst of the bot (load-independent).
last_transactions = 0.0
_counted: list[Counts] = []


def _timed(count: int, start: float, cpu: float) -> float:
    global last_cpu_ms, last_transactions
    last_cpu_ms = (time.process_time() - cpu) * 1000 / count
    last_transactions = _counted.pop().transactions / count if _counted else 0.0
    return count / (time.perf_counter() - start)


class Replies:
    """Counts the fake's deliveries into one chat, looking only at the new ones each time."""

    def __init__(self, delivered: list[Any], chat: int | str) -> None:
        self.delivered = delivered
        self.chat = str(chat)
        self.count = 0
        self._seen = 0

    def __call__(self) -> int:
        for delivery in self.delivered[self._seen :]:
            if str(delivery[0]) == self.chat:
                self.count += 1
        self._seen = len(self.delivered)
        return self.count


async def wait_for_replies(fake: Any, replies: Replies, expected: int, timeout: float = 120.0) -> None:
    await fake.wait_until(lambda: replies() >= expected, timeout)


def bot_settings(folder: str, **values: object) -> Any:
    url = f"sqlite+aiosqlite:///{Path(folder) / f'overhead-{uuid.uuid4().hex[:6]}.db'}"
    return test_settings(
        url, IDEAROOM_HTTP_HOST="127.0.0.1", IDEAROOM_HTTP_PORT=0, IDEAROOM_SEND_RATE_LIMITS="off", **values
    )


async def start_bot(settings: Any, make_adapter: Callable[[App], Any]) -> tuple[App, Any]:
    app = build_app(settings)
    app.sender.settings = settings
    await app.prepare(migrate=False)
    adapter = make_adapter(app)
    app.add_gateway(adapter.gateway)
    await adapter.start()
    if app.http.has_routes:
        await app.http.start()
    app.start_sender()
    return app, adapter


# --- Telegram --------------------------------------------------------------------------------


def push_idea(fake: FakeTelegramAPI, chat: int, n: int, tag: str) -> None:
    """The n-th idea of a run, from one of PEOPLE staff members in turn, into the group `chat`."""
    person = n % PEOPLE
    fake.push_message(
        chat,
        100000 + person,
        f"/idea {distinct_text(tag, n)}",
        chat_type="supergroup",
        chat_title="아이디어방",
        first_name=f"직원{person}",
        username=f"staff{person}",
    )


def push_ideas(fake: FakeTelegramAPI, chat: int, count: int, tag: str) -> None:
    for n in range(count):
        push_idea(fake, chat, n, tag)


async def telegram_burst(fake: FakeTelegramAPI, chat: int, count: int, tag: str, app: App | None = None) -> float:
    """Push `count` ideas at once and time until `count` replies reached the chat (counting `app`'s transactions)."""
    replies = Replies(fake.delivered, chat)
    replies()
    before = replies.count
    with counting(app.db.engine) if app is not None else _no_counting() as counts:
        start, cpu = time.perf_counter(), time.process_time()
        push_ideas(fake, chat, count, tag)
        await wait_for_replies(fake, replies, before + count)
    if app is not None:
        _counted.append(counts)
    return _timed(count, start, cpu)


@contextmanager
def _no_counting() -> Iterator[Counts]:
    yield Counts()


@asynccontextmanager
async def bare_ptb_echo(fake: FakeTelegramAPI) -> AsyncIterator[None]:
    """A bare python-telegram-bot echo, long polling the fake, for as long as the block runs."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    application = (
        Application.builder().token(TELEGRAM_TOKEN).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=10)
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def telegram_bare(fake: FakeTelegramAPI, chat: int, ideas: int) -> float:
    async with bare_ptb_echo(fake):
        await telegram_burst(fake, chat, WARMUP, "warmup")
        return await telegram_burst(fake, chat, ideas, "bench")


async def telegram_bot(fake: FakeTelegramAPI, chat: int, ideas: int, folder: str) -> float:
    from adapters.telegram import TelegramAdapter

    settings = bot_settings(folder, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_BASE_URL=fake.url)
    app, adapter = await start_bot(settings, TelegramAdapter)
    try:
        await telegram_burst(fake, chat, WARMUP, "warmup")  # people and the room become known
        return await telegram_burst(fake, chat, ideas, "bench", app)
    finally:
        await adapter.stop()
        await app.close()


# --- Slack -----------------------------------------------------------------------------------


async def post_events(url: str, channel: str, count: int, tag: str) -> None:
    """Signed `message` events, IN_FLIGHT requests at a time, as Slack's Events API posts them."""
    bodies = [
        json.dumps(
            event_callback(
                message_event(
                    channel,
                    f"U{n % PEOPLE:05d}",
                    f"#아이디어 {distinct_text(tag, n)}",
                    ts=f"{1700000000 + n}.{uuid.uuid4().int % 1000000:06d}",
                ),
                event_id=f"Ev{uuid.uuid4().hex[:12].upper()}",
            )
        )
        for n in range(count)
    ]
    queue = iter(bodies)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for body in queue:
                async with session.post(
                    url, data=body.encode(), headers=signed_request_headers(SLACK_SECRET, body)
                ) as answer:
                    await answer.read()
                    if answer.status != 200:
                        print(f"  Slack event answered {answer.status}")

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


async def slack_burst(
    fake: FakeSlackAPI, url: str, channel: str, count: int, tag: str, app: App | None = None
) -> float:
    replies = Replies(fake.delivered, channel)
    replies()
    before = replies.count
    with counting(app.db.engine) if app is not None else _no_counting() as counts:
        start, cpu = time.perf_counter(), time.process_time()
        await post_events(url, channel, count, tag)
        await wait_for_replies(fake, replies, before + count)
    if app is not None:
        _counted.append(counts)
    return _timed(count, start, cpu)


def bolt_endpoint(bolt: Any) -> Callable[[web.Request], Awaitable[web.Response]]:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    return handle


@asynccontextmanager
async def bare_bolt_echo(fake: FakeSlackAPI) -> AsyncIterator[str]:
    """A bare Bolt app echoing each message, served on a port of its own; yields its events address."""
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(client=AsyncWebClient(SLACK_TOKEN, base_url=fake.api_url), signing_secret=SLACK_SECRET)

    @bolt.event("message")
    async def echo(ack: Any, event: dict[str, Any], client: Any) -> None:
        await ack()
        await client.chat_postMessage(channel=event["channel"], text=event["text"])

    server = web.Application()
    server.router.add_post("/slack/events", bolt_endpoint(bolt))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


slack_apps: list[App] = []  # the bot of each idearoom_slack block, newest last


@asynccontextmanager
async def idearoom_slack(fake: FakeSlackAPI, folder: str) -> AsyncIterator[str]:
    """idearoom's Slack adapter in HTTP mode against the fake; yields its events address."""
    from adapters.slack import SlackAdapter

    settings = bot_settings(
        folder, SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_SIGNING_SECRET=SLACK_SECRET, SLACK_API_BASE_URL=fake.api_url
    )
    app, adapter = await start_bot(settings, SlackAdapter)
    slack_apps.append(app)
    try:
        yield f"http://127.0.0.1:{app.http.port}/slack/events"
    finally:
        await adapter.stop()
        await app.close()


async def slack_bare(fake: FakeSlackAPI, channel: str, ideas: int) -> float:
    async with bare_bolt_echo(fake) as url:
        await slack_burst(fake, url, channel, WARMUP, "warmup")
        return await slack_burst(fake, url, channel, ideas, "bench")


async def slack_bot(fake: FakeSlackAPI, channel: str, ideas: int, folder: str) -> float:
    async with idearoom_slack(fake, folder) as url:
        await slack_burst(fake, url, channel, WARMUP, "warmup")
        return await slack_burst(fake, url, channel, ideas, "bench", slack_apps[-1])


# --- running ---------------------------------------------------------------------------------


async def compare(name: str, bare: Run, bot: Run, ideas: int, rounds: int) -> tuple[str, float, float]:
    bare_rates, bot_rates = [], []
    for round_ in range(rounds):
        bare_rates.append(await bare(round_, ideas))
        bare_cpu = last_cpu_ms
        bot_rates.append(await bot(round_, ideas))
        print(
            f"  {name} round {round_ + 1}: bare {bare_rates[-1]:7.1f}/s ({bare_cpu:.1f} ms CPU per idea), "
            f"bot {bot_rates[-1]:7.1f}/s ({last_cpu_ms:.1f} ms CPU, {last_transactions:.2f} transactions per idea); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return name, statistics.median(bare_rates), statistics.median(bot_rates)


async def run(ideas: int, rounds: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"{ideas} ideas per round from {PEOPLE} people (after {WARMUP} warm-up ideas), {rounds} rounds, median;")
    print("end to end: first update pushed -> last reply recorded by the fake. SQLite; sending limits off.")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegramAPI(token=TELEGRAM_TOKEN) as telegram:
            results.append(
                await compare(
                    "telegram",
                    lambda r, n: telegram_bare(telegram, -1001000000000 - 2 * r, n),
                    lambda r, n: telegram_bot(telegram, -1001000000001 - 2 * r, n, folder),
                    ideas,
                    rounds,
                )
            )
        async with FakeSlackAPI() as slack:
            results.append(
                await compare(
                    "slack",
                    lambda r, n: slack_bare(slack, f"CBARE{r}", n),
                    lambda r, n: slack_bot(slack, f"CBOT{r}", n, folder),
                    ideas,
                    rounds,
                )
            )
    print()
    print(f"{'platform':<10} {'bare library /s':>16} {'idearoom /s':>12} {'ratio':>7}  target ≥ {TARGET:.0%}")
    for name, bare, bot in results:
        ratio = bot / bare if bare else 0.0
        print(f"{name:<10} {bare:>16.1f} {bot:>12.1f} {ratio:>7.0%}  {'met' if ratio >= TARGET else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=400, help="ideas per measured round")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.ideas, arguments.rounds))


if __name__ == "__main__":
    main()
