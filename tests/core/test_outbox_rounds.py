"""The sender's rounds: outcomes recorded together, woken by its own process, polling for others, paced by answers."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import select

from bot.messages import Destination, Outgoing, SendResult
from bot.outbox import enqueue
from bot.outbox.sender import Sender
from bot.ports import DeliveryError, ManualClock, PlatformLimits, SystemClock, Window
from idearoom.wiring import build_app
from storage.db import Database
from storage.tables import OutboxMessage, OutboxState
from tests.fakes.slack_api import TokenBucket
from tests.harness import RecordingGateway, test_settings

T0 = datetime(2026, 8, 20, 1, 0, tzinfo=UTC)


class FailingFor(RecordingGateway):
    """Fails every send to one destination; the others go through."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        if destination.id == self.failing:
            raise DeliveryError("503 Service Unavailable")
        return await super().send(destination, message)


class Strict(RecordingGateway):
    """A platform that counts each send when it receives it and answers 429 when a window is broken."""

    def __init__(self, limits: PlatformLimits, latency: float) -> None:
        super().__init__()
        self.limits = limits
        self.latency = latency
        self.received: list[tuple[str, float]] = []
        self.rejected = 0

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.latency)  # on its way
        now = loop.time()
        windows = [(self.limits.overall, None), (self.limits.per_chat, destination.id)]
        for window, chat in windows:
            assert window is not None
            recent = [t for d, t in self.received if (chat is None or d == chat) and t > now - window.seconds]
            if len(recent) >= window.count:
                self.rejected += 1
                raise DeliveryError("429 Too Many Requests", retry_after=1)
        self.received.append((destination.id, now))
        await asyncio.sleep(self.latency)  # the answer on its way back
        return await super().send(destination, message)


class Bucketed(RecordingGateway):
    """A platform that counts each room's sends as a token bucket (one a second, half a second early
    at most: the least Slack could take that the sender counts on), with uneven round trips."""

    def __init__(self, limits: PlatformLimits, seed: int, buckets: dict[str, TokenBucket]) -> None:
        super().__init__()
        self.limits = limits
        self.chance = random.Random(seed)
        self.buckets = buckets
        self.rejected = 0

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.chance.uniform(0, 0.15))  # on its way
        bucket = self.buckets.setdefault(destination.id, TokenBucket(1.0, 1.5))
        if bucket.wait_time(loop.time()) > 0:
            self.rejected += 1
            raise DeliveryError("429 Too Many Requests", retry_after=1)
        bucket.add(loop.time())
        await asyncio.sleep(self.chance.uniform(0, 0.15))  # the answer on its way back
        return await super().send(destination, message)


async def put(db: Database, dest_id: str, text: str, now: datetime = T0) -> int:
    async with db.session() as session:
        entry = enqueue(session, Destination("test", "room", dest_id), Outgoing(text), priority=5, now=now)
        await session.flush()
        assert entry.id is not None
        return entry.id


async def rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.session() as session:
        return {row.text: row for row in (await session.exec(select(OutboxMessage))).all()}


async def wait_until_sent(db: Database, count: int, seconds: float = 20.0) -> None:
    async def sent() -> int:
        async with db.session() as session:
            query = select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.sent)
            return int((await session.exec(query)).one())

    async def loop() -> None:
        while await sent() < count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), seconds)


async def test_one_failed_send_in_a_round_leaves_the_others_recorded_as_sent(database_url: str) -> None:
    app = build_app(test_settings(database_url), ManualClock(T0))
    await app.prepare(migrate=False)
    gateway = FailingFor("room-2")
    app.add_gateway(gateway)
    transactions = []
    event.listen(app.db.engine.sync_engine, "begin", lambda connection: transactions.append(1))
    try:
        for n in range(5):
            await put(app.db, f"room-{n}", f"공지 {n}")
        transactions.clear()
        assert await app.sender.drain() == 4
        stored = await rows(app.db)
        assert {text for text, row in stored.items() if row.state == OutboxState.sent} == {
            "공지 0",
            "공지 1",
            "공지 3",
            "공지 4",
        }
        assert all(stored[f"공지 {n}"].platform_message_id for n in (0, 1, 3, 4))
        failed = stored["공지 2"]
        assert (failed.state, failed.attempts, failed.error) == (OutboxState.pending, 1, "503 Service Unavailable")
        assert failed.next_attempt_at > T0
        # One claim, the five outcomes in one or two records, and the claim that finds nothing more.
        assert len(transactions) <= 4
    finally:
        await app.close()


async def test_a_message_this_process_enqueues_goes_out_without_waiting_for_the_poll(sqlite_url: str) -> None:
    app = build_app(test_settings(sqlite_url))
    await app.prepare(migrate=False)
    gateway = RecordingGateway()
    app.add_gateway(gateway)
    runner = asyncio.create_task(app.sender.run(idle_seconds=3600))
    try:
        await asyncio.sleep(0.2)  # the sender has looked once and sleeps for its hour
        await put(app.db, "room", "바로 보내기", now=app.clock.now())
        app.sender.notify()  # what the core does after each transaction that wrote to the outbox
        await wait_until_sent(app.db, 1)
        assert [s.text for s in gateway.sent] == ["바로 보내기"]
    finally:
        app.sender.stop()
        await runner
        await app.close()


async def test_a_message_another_worker_enqueues_is_still_sent(database_url: str) -> None:
    app = build_app(test_settings(database_url))
    await app.prepare(migrate=False)
    gateway = RecordingGateway()
    app.add_gateway(gateway)
    other = Database(database_url)  # another process: its writes notify no one here
    runner = asyncio.create_task(app.sender.run(idle_seconds=0.2))
    try:
        await asyncio.sleep(0.3)
        await put(other, "room", "다른 워커의 공지", now=app.clock.now())
        await wait_until_sent(app.db, 1)
        assert [s.text for s in gateway.sent] == ["다른 워커의 공지"]
    finally:
        app.sender.stop()
        await runner
        await other.dispose()
        await app.close()


async def test_paced_by_the_answers_the_platform_never_says_too_many_and_each_room_keeps_its_order(
    sqlite_url: str,
) -> None:
    settings = test_settings(sqlite_url)
    app = build_app(settings)
    await app.prepare(migrate=False)
    gateway = Strict(PlatformLimits(overall=Window(4, 1.0), per_chat=Window(1, 1.0)), latency=0.02)
    sender = Sender(app.db, {"test": gateway}, SystemClock(), "worker-1", settings)
    now = app.clock.now()
    for n in range(4):
        for room in range(3):
            await put(app.db, f"room-{room}", f"{room}-{n}", now=now)
    runner = asyncio.create_task(sender.run(idle_seconds=0.5))
    try:
        await wait_until_sent(app.db, 12, seconds=60)
        assert gateway.rejected == 0
        for room in range(3):
            assert [s.text for s in gateway.sent if s.destination.id == f"room-{room}"] == [
                f"{room}-{n}" for n in range(4)
            ]
    finally:
        sender.stop()
        await runner
        await app.close()


async def test_two_running_senders_share_the_budget_and_send_each_entry_once(database_url: str) -> None:
    settings = test_settings(database_url)
    app = build_app(settings)
    await app.prepare(migrate=False)
    other_db = Database(database_url)
    limits = PlatformLimits(overall=Window(10, 1.0), per_chat=Window(1, 1.0))
    first, second = Strict(limits, 0.01), Strict(limits, 0.01)
    # Two workers reach one platform: what either receives counts against the same windows.
    second.received = first.received
    senders = [
        Sender(app.db, {"test": first}, SystemClock(), "worker-1", settings),
        Sender(other_db, {"test": second}, SystemClock(), "worker-2", settings),
    ]
    now = app.clock.now() - timedelta(seconds=1)
    for n in range(12):
        await put(app.db, f"room-{n % 6}", f"공지 {n}", now=now)
    runners = [asyncio.create_task(s.run(idle_seconds=0.2)) for s in senders]
    try:
        await wait_until_sent(app.db, 12, seconds=60)
        texts = sorted(s.text for s in first.sent + second.sent)
        assert texts == sorted(f"공지 {n}" for n in range(12))
    finally:
        for sender in senders:
            sender.stop()
        await asyncio.gather(*runners)
        await other_db.dispose()
        await app.close()


async def test_two_senders_keep_a_bursting_platforms_cadence_by_plan_never_too_many_and_in_order(
    database_url: str,
) -> None:
    settings = test_settings(database_url)
    app = build_app(settings)
    await app.prepare(migrate=False)
    other_db = Database(database_url)
    limits = PlatformLimits(per_chat=Window(1, 1.0, early=0.5))
    buckets: dict[str, TokenBucket] = {}  # one platform: both workers' sends count in the same buckets
    first, second = Bucketed(limits, 1, buckets), Bucketed(limits, 2, buckets)
    senders = [
        Sender(app.db, {"test": first}, SystemClock(), "worker-1", settings),
        Sender(other_db, {"test": second}, SystemClock(), "worker-2", settings),
    ]
    now = app.clock.now() - timedelta(seconds=1)
    for n in range(4):
        for room in range(3):
            await put(app.db, f"room-{room}", f"{room}-{n}", now=now)
    runners = [asyncio.create_task(s.run(idle_seconds=0.2)) for s in senders]
    try:
        await wait_until_sent(app.db, 12, seconds=60)
        assert first.rejected == second.rejected == 0
        stored = await rows(app.db)
        for room in range(3):
            sent = sorted(
                (s for s in first.sent + second.sent if s.destination.id == f"room-{room}"),
                key=lambda s: stored[s.message.text].sent_at,
            )
            assert [s.message.text for s in sent] == [f"{room}-{n}" for n in range(4)]
            planned = [stored[f"{room}-{n}"].claimed_at for n in range(4)]
            assert all((b - a).total_seconds() >= 1.0 for a, b in zip(planned, planned[1:], strict=False))
    finally:
        for sender in senders:
            sender.stop()
        await asyncio.gather(*runners)
        await other_db.dispose()
        await app.close()


class SlowFirst(Strict):
    """Strict, but the first sends are held up on their way (a loaded host) and the answers are quick."""

    def __init__(self, limits: PlatformLimits, held_up: list[float]) -> None:
        super().__init__(limits, latency=0.0)
        self.held_up = held_up

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        await asyncio.sleep(self.held_up.pop(0) if self.held_up else 0.01)
        return await super().send(destination, message)


async def test_a_send_claimed_longer_ago_than_the_window_still_counts_until_it_is_answered(sqlite_url: str) -> None:
    settings = test_settings(sqlite_url)
    app = build_app(settings)
    await app.prepare(migrate=False)
    # The first two sends reach the platform 1.2 s after they were claimed, more than the window:
    # they count there from then on, and so must they in the budget.
    gateway = SlowFirst(PlatformLimits(overall=Window(2, 1.0), per_chat=Window(1, 1.0)), [1.2, 1.2])
    sender = Sender(app.db, {"test": gateway}, SystemClock(), "worker-1", settings)
    now = app.clock.now()
    for room in range(6):
        await put(app.db, f"room-{room}", f"공지 {room}", now=now)
    runner = asyncio.create_task(sender.run(idle_seconds=0.2))
    try:
        await wait_until_sent(app.db, 6, seconds=60)
        assert gateway.rejected == 0
        assert sorted(s.message.text for s in gateway.sent) == sorted(f"공지 {room}" for room in range(6))
    finally:
        sender.stop()
        await runner
        await app.close()
