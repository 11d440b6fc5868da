"""Sending at the platform's limit: a large fan-out through the outbox sender and the real gateways.

Telegram: a monthly announcement to 100 rooms, direct messages to 1,000 people and 200 invite
links (each link then passed on to its person in a direct message), all queued in the outbox at
once, as a monthly job would, and drained by the sender through the real TelegramGateway into a
FakeTelegramAPI that enforces Telegram's limits (30 sends a second overall, one a second per chat,
20 a minute per group) and answers 429 when they are broken.
Slack: 20 channels × 30 messages through the real SlackGateway into a FakeSlackAPI that counts
chat.postMessage as Slack documents it: one message a second per channel with short bursts (a token
bucket that takes two at once after a quiet second) and several hundred a minute in the workspace
(600), answering 429 with Retry-After when they are broken.

The rate achieved is the number of calls the fake accepted, over the time from the first to the
last, as a fraction of what the limits allow. Run: `python -m bench.fanout [--scale 1.0]`
(scale multiplies every count). Prints a table; never asserts.
Target: at least 95% of the allowed rate, no message lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Transactions, unsent
from bot.messages import Destination, FollowUp, Wording
from bot.outbox import add_raw
from idearoom.wiring import App, build_app
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import test_settings

TELEGRAM_TOKEN = "7000000001:bench"
TARGET = 0.95
CHUNK = 500


@dataclass
class Figures:
    """What one platform's fan-out achieved."""

    platform: str
    workload: str
    accepted: int
    expected: int
    seconds: float
    rate: float
    allowed: float
    rejections: int
    lost: int
    transactions: int = 0
    # Slack: the shortest time between two messages arriving in one channel (its bursts).
    shortest_gap: float | None = None

    def line(self) -> str:
        fraction = self.rate / self.allowed if self.allowed else 0.0
        ok = fraction >= TARGET and self.lost == 0
        return (
            f"{self.platform:<9} {self.accepted:>5}/{self.expected:<5} {self.seconds:>7.1f} {self.rate:>8.2f} "
            f"{self.allowed:>8.2f} {fraction:>6.1%} {self.rejections:>5} {self.lost:>5} {self.transactions / max(self.accepted, 1):>8.3f}  {'met' if ok else 'MISSED'}"
        )


async def build(folder: str, name: str, **values: object) -> App:
    settings = test_settings(
        f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}", IDEAROOM_SEND_RATE_LIMITS="on", **values
    )
    app = build_app(settings)
    app.sender.settings = settings
    await app.prepare(migrate=False)
    return app


async def enqueue(app: App, entries: list[dict[str, Any]]) -> None:
    """Queue everything at once, as one monthly job's transaction would."""
    now = app.clock.now()
    async with app.db.session() as session:
        for start in range(0, len(entries), CHUNK):
            for entry in entries[start : start + CHUNK]:
                destination = Destination(entry.pop("platform"), entry.pop("dest_kind"), entry.pop("dest_id"))
                add_raw(session, destination, now=now, **entry)
            await session.flush()


async def drain(app: App, deadline: float) -> tuple[int, int]:
    """Run the sender until nothing is left to send or the deadline passes; returns what is left
    and the sender's transactions (the bench's own polls of the table are not counted)."""
    counted = Transactions(app)
    app.start_sender()
    started = time.monotonic()
    left = await unsent(app)
    polls = 1
    while left and time.monotonic() - started < deadline:
        await asyncio.sleep(0.5)
        left = await unsent(app)
        polls += 1
    return left, counted.count - polls


def rate_of(moments: list[float]) -> tuple[float, float]:
    """(seconds from first to last, calls per second over that stretch)."""
    moments = sorted(moments)
    seconds = moments[-1] - moments[0] if len(moments) > 1 else 0.0
    return seconds, (len(moments) - 1) / seconds if seconds else 0.0


# --- Telegram --------------------------------------------------------------------------------


def telegram_workload(rooms: int, people: int, invites: int) -> list[dict[str, Any]]:
    announcement = "📣 이번 달 아이디어 주제가 정해졌습니다: 민원 대기시간 줄이기. /idea 로 제안해 주세요."
    entries: list[dict[str, Any]] = [
        dict(platform="telegram", dest_kind="room", dest_id=str(-1002000000000 - r), text=announcement)
        for r in range(rooms)
    ]
    entries += [
        dict(
            platform="telegram",
            dest_kind="user",
            dest_id=str(300000 + p),
            text=f"직원{p}님, 이번 달 미소포인트 안내입니다.",
        )
        for p in range(people)
    ]
    for i in range(invites):
        head = str(500000 + i)
        on_sent = FollowUp(
            Destination("telegram", "user", head), Wording("invitation.join_link", "ko", {"room": "아이디어방"})
        )
        entries.append(
            dict(
                platform="telegram",
                dest_kind="user",
                dest_id=head,
                text="",
                kind="invite",
                payload={"room_id": str(-1002000000000 - i % max(rooms, 1)), "on_sent": on_sent},
            )
        )
    return entries


async def telegram_fanout(folder: str, rooms: int, people: int, invites: int) -> Figures:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from adapters.telegram.gateway import TelegramGateway

    async with FakeTelegramAPI(enforce_limits=True, token=TELEGRAM_TOKEN) as fake:
        for r in range(rooms):
            fake.add_chat(-1002000000000 - r, "supergroup", title=f"아이디어방 {r}")
        app = await build(folder, "telegram")
        bot = Bot(
            TELEGRAM_TOKEN,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            request=HTTPXRequest(connection_pool_size=32),
        )
        await bot.initialize()
        app.add_gateway(TelegramGateway(bot, app.clock))
        try:
            await enqueue(app, telegram_workload(rooms, people, invites))
            expected = rooms + people + 2 * invites  # every invite link is then sent to its person
            left, transactions = await drain(app, deadline=3 * expected / 30 + 30)
        finally:
            await app.close()
            await bot.shutdown()
        accepted = [c.at for c in fake.calls if c.status == 200 and c.method in ("sendMessage", "createChatInviteLink")]
        seconds, rate = rate_of(accepted)
        lost = max(left, expected - len(accepted))
        workload = f"{rooms} rooms, {people} direct messages, {invites} invite links (+{invites} link messages)"
        return Figures(
            "telegram", workload, len(accepted), expected, seconds, rate, 30.0, fake.rejections, lost, transactions
        )


# --- Slack -----------------------------------------------------------------------------------


async def slack_fanout(folder: str, channels: int, per_channel: int) -> Figures:
    from adapters.slack.gateway import SlackGateway, make_client

    async with FakeSlackAPI(enforce_limits=True) as fake:
        for c in range(channels):
            fake.add_channel(f"CFAN{c:03d}", f"아이디어방-{c}")
        app = await build(folder, "slack")
        app.add_gateway(SlackGateway(make_client("xoxb-bench", fake.api_url)))
        entries = [
            dict(
                platform="slack",
                dest_kind="room",
                dest_id=f"CFAN{c:03d}",
                text=f"공지 {n + 1}/{per_channel}: 이번 달 주제 안내",
            )
            for n in range(per_channel)
            for c in range(channels)
        ]
        try:
            await enqueue(app, entries)
            left, transactions = await drain(app, deadline=3 * per_channel + 30)
        finally:
            await app.close()
        expected = channels * per_channel
        per_channel_rates = []
        gaps = []
        for c in range(channels):
            moments = sorted(d.at for d in fake.delivered if d.channel == f"CFAN{c:03d}")
            per_channel_rates.append(rate_of(moments)[1])
            gaps += [b - a for a, b in zip(moments, moments[1:], strict=False)]
        accepted = [d.at for d in fake.delivered]
        seconds, _ = rate_of(accepted)
        # Each channel allows one a second: the rate is the channels' mean.
        rate = sum(per_channel_rates)
        lost = max(left, expected - len(accepted))
        workload = f"{channels} channels × {per_channel} messages"
        return Figures(
            "slack",
            workload,
            len(accepted),
            expected,
            seconds,
            rate,
            float(channels),
            fake.rejections,
            lost,
            transactions,
            min(gaps, default=None),
        )


async def run(scale: float) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rooms, people, invites = (max(1, round(n * scale)) for n in (100, 1000, 200))
    channels, per_channel = max(1, round(20 * scale)), 30
    with tempfile.TemporaryDirectory() as folder:
        telegram = await telegram_fanout(folder, rooms, people, invites)
        slack = await slack_fanout(folder, channels, per_channel)
    print(f"telegram: {telegram.workload}; allowed: 30 sends/s overall, 1/s per chat, 20/min per group")
    print(
        f"slack:    {slack.workload}; allowed: 1 message/s per channel (short bursts taken), 600/min in the workspace"
    )
    print("rate: calls the fake accepted per second from the first to the last (slack: summed over channels)")
    print()
    print(
        f"{'platform':<9} {'accepted':>11} {'seconds':>7} {'rate/s':>8} {'allowed':>8} {'share':>6} {'429s':>5} {'lost':>5} {'txn/send':>8}  target ≥ {TARGET:.0%}, none lost"
    )
    print(telegram.line())
    print(slack.line())
    if slack.shortest_gap is not None:
        print()
        print(
            f"slack: the shortest gap between two messages in one channel was {slack.shortest_gap:.2f} s "
            "(the sender keeps to one a second by plan; an answer that comes back late lets the next one follow sooner)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the rooms, people, invites and channels")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.scale))


if __name__ == "__main__":
    main()
