"""Workshop burst: 300 ideas from 100 people into one Telegram group and one Slack channel.

The bot sends through the real Telegram and Slack gateways (adapters/telegram, adapters/slack)
to the local fake servers of tests/fakes, which enforce the platforms' limits and answer 429
when they are broken. The ideas are fed straight to the core (no polling), at random moments
spread over `--seconds` of wall time (60 by default: the five minutes of a workshop,
compressed five times; `--seconds 300` plays it in real time).

Run: `python -m bench.burst [--ideas 300] [--people 100] [--seconds 60]`. Prints the figures;
never asserts. Target: all stored, all acknowledged within 30 s of the last, no 429, none lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import func, select

from bench.common import wait_until_sent
from bot.messages import Actor, IncomingMessage, Place
from idearoom.wiring import App, build_app
from storage.tables import Idea, MessageLink, OutboxMessage, OutboxState, Room
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import test_settings

TELEGRAM_TOKEN = "7000000001:bench"
TELEGRAM_GROUP = "-1001234567890"
SLACK_CHANNEL = "C0WORKSHOP"
NUMBER = re.compile(r"#(\d+)")
TARGET_SECONDS = 30.0


@dataclass
class Room_:
    """One platform's room in the run: what was posted when, and what the bot answered when."""

    platform: str
    chat_id: str
    posted: dict[str, float] = field(default_factory=dict)  # the person's message id -> when


async def build(database_url: str, telegram: FakeTelegramAPI, slack: FakeSlackAPI) -> App:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from adapters.slack.gateway import SlackGateway, make_client
    from adapters.telegram.gateway import TelegramGateway

    settings = test_settings(database_url, IDEAROOM_SEND_RATE_LIMITS="on")
    app = build_app(settings)
    await app.prepare(migrate=False)
    app.sender.settings = settings
    bot = Bot(
        TELEGRAM_TOKEN,
        base_url=telegram.base_url,
        base_file_url=telegram.base_file_url,
        request=HTTPXRequest(connection_pool_size=32),
    )
    await bot.initialize()
    app.add_gateway(TelegramGateway(bot, app.clock))
    app.add_gateway(SlackGateway(make_client("xoxb-bench", slack.api_url)))
    return app


def idea_event(room: Room_, person: int, n: int, telegram: FakeTelegramAPI) -> IncomingMessage:
    text = f"/idea 워크숍 아이디어 {n}: 민원 절차 간소화 방안 {person}"
    if room.platform == "telegram":
        actor = Actor("telegram", str(100000 + person), f"직원{person}", f"staff{person}")
        # People's and the bot's messages share one id sequence per chat, as on Telegram.
        update = telegram.push_message(int(room.chat_id), 100000 + person, text, chat_type="supergroup")
        message_id = str(update["message"]["message_id"])
    else:
        actor = Actor("slack", f"U{person:05d}", f"직원{person}")
        message_id = f"1700000{n:03d}.000100"
    place = Place(room.platform, room.chat_id, "혁신워크숍")
    return IncomingMessage(uuid.uuid4().hex, actor, place, text, message_id)


async def post_ideas(
    app: App, rooms: list[Room_], ideas: int, people: int, seconds: float, seed: int, telegram: FakeTelegramAPI
) -> None:
    """Every room gets `ideas` ideas at random moments within `seconds`, as people type them."""
    rng = random.Random(seed)
    schedule = sorted(
        (rng.uniform(0, seconds), room_index, n, rng.randrange(people))
        for room_index in range(len(rooms))
        for n in range(1, ideas + 1)
    )
    start = time.monotonic()
    for at, room_index, n, person in schedule:
        delay = start + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        room = rooms[room_index]
        event = idea_event(room, person, n, telegram)
        room.posted[event.message_id] = time.monotonic()  # type: ignore[index]
        await app.core.handle(event)


def acknowledged(deliveries: list, chat_id: str | int) -> dict[int, float]:
    """Idea number -> when its first confirmation reached the chat."""
    first: dict[int, float] = {}
    for delivery in deliveries:
        if str(delivery[0]) != str(chat_id) or not delivery[1]:
            continue
        for number in NUMBER.findall(delivery[1]):
            first.setdefault(int(number), delivery[2])
    return first


async def report(app: App, room: Room_, deliveries: list, rejections: int, reactions: int) -> None:
    async with app.db.session() as session:
        db_room = (await session.exec(select(Room).where(Room.platform == room.platform))).one()
        stored = (await session.exec(select(func.count()).select_from(Idea).where(Idea.room_id == db_room.id))).one()
        links = (
            await session.exec(
                select(MessageLink.message_id, MessageLink.ref_id).where(
                    MessageLink.platform == room.platform, MessageLink.ref_kind == "idea"
                )
            )
        ).all()
        unsent = (
            await session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.platform == room.platform, OutboxMessage.state != OutboxState.sent)
            )
        ).one()
    idea_of = {message_id: idea_id for message_id, idea_id in links if message_id in room.posted}
    acks = acknowledged(deliveries, room.chat_id)
    waits = {i: acks[i] - room.posted[m] for m, i in idea_of.items() if i in acks}
    last_message = max(room.posted, key=room.posted.__getitem__)
    last_idea = idea_of.get(last_message)
    last_wait = waits.get(last_idea) if last_idea is not None else None
    messages = sum(1 for d in deliveries if str(d[0]) == str(room.chat_id))
    lost = len(idea_of) - len(waits) + unsent
    print(f"\n{room.platform} ({room.chat_id})")
    print(f"  ideas stored:                       {stored} of {len(room.posted)}")
    print(f"  ideas acknowledged:                 {len(waits)} of {stored}")
    last = f"{last_wait:.1f} s" if last_wait is not None else "never"
    print(f"  last idea to its acknowledgement:   {last}   (target: under {TARGET_SECONDS:.0f} s)")
    if waits:
        ordered = sorted(waits.values())
        print(f"  acknowledgement wait, median / max: {ordered[len(ordered) // 2]:.1f} s / {ordered[-1]:.1f} s")
    print(f"  bot messages in the room:           {messages} (confirmations merged when the budget was short)")
    print(f"  reactions on people's messages:     {reactions}")
    print(f"  429s met:                           {rejections}")
    print(f"  messages lost:                      {lost}")


async def run(ideas: int, people: int, seconds: float, seed: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"{ideas} ideas from {people} people into each of a Telegram group and a Slack channel,")
    print(f"spread over {seconds:.0f} s of wall time (a five-minute workshop{' compressed' if seconds < 300 else ''}).")
    print("Sending through the real TelegramGateway and SlackGateway to the local fake servers")
    print("(enforce_limits=True); ideas are fed straight to the core, not polled.")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'burst.db'}"
        async with (
            FakeTelegramAPI(enforce_limits=True, token=TELEGRAM_TOKEN) as telegram,
            FakeSlackAPI(enforce_limits=True) as slack,
        ):
            telegram.add_chat(int(TELEGRAM_GROUP), "supergroup", title="혁신워크숍")
            slack.add_channel(SLACK_CHANNEL)
            app = await build(url, telegram, slack)
            rooms = [Room_("telegram", TELEGRAM_GROUP), Room_("slack", SLACK_CHANNEL)]
            app.start_sender()
            try:
                await post_ideas(app, rooms, ideas, people, seconds, seed, telegram)
                print(f"\nall ideas posted; waiting up to {2 * TARGET_SECONDS:.0f} s for the outbox to drain ...")
                await wait_until_sent(app, 2 * TARGET_SECONDS)
                await report(app, rooms[0], list(telegram.delivered), telegram.rejections, len(telegram.reactions))
                await report(
                    app,
                    rooms[1],
                    list(slack.delivered),
                    slack.rejections,
                    sum(len(r) for r in slack.reactions.values()),
                )
                sender = app.sender
                print(
                    f"\nsender: {sender.sent_count} sent, {sender.merged_count} confirmations merged, "
                    f"{sender.rate_limited_count} rate-limited, {sender.retried_count} retried, {sender.failed_count} failed"
                )
            finally:
                await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300, help="ideas per room")
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0, help="wall time the ideas are spread over")
    parser.add_argument("--seed", type=int, default=2019)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.ideas, arguments.people, arguments.seconds, arguments.seed))


if __name__ == "__main__":
    main()
