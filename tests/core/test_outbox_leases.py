"""Send leases: a live worker's slow sends stay its own, a stopped worker's are taken back and sent once."""

from __future__ import annotations

import asyncio

from bot.messages import Destination, Outgoing, SendResult
from bot.outbox.sender import Sender
from bot.ports import ManualClock, SystemClock
from storage.db import Database
from storage.tables import OutboxState
from tests.core.test_outbox import T0, StalledGateway, entries, put
from tests.harness import RecordingGateway, test_settings
from tests.templates import prepared_app

LEASE_SECONDS = 1.0


class SlowPlatform(RecordingGateway):
    """Each send takes `seconds` before the platform answers (it got the message all the same)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.started = asyncio.Event()

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        self.started.set()
        await asyncio.sleep(self.seconds)
        return await super().send(destination, message)


async def until(condition: object, seconds: float) -> None:
    async def check() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)

    await asyncio.wait_for(check(), seconds)


async def test_sends_slower_than_the_lease_reach_the_platform_once_with_two_live_senders(database_url: str) -> None:
    settings = test_settings(database_url, IDEAROOM_SEND_LEASE_SECONDS=str(LEASE_SECONDS))
    clock = SystemClock()
    app = await prepared_app(settings, clock)
    other_db = Database(database_url)  # a second process has its own connections
    try:
        # Two in a row for one room: the second waits, claimed, while the first takes three leases.
        ids = [await put(app.db, "room-1", text) for text in ("첫 공지", "둘째 공지")]
        first, second = SlowPlatform(3.0), SlowPlatform(3.0)
        senders = [
            Sender(app.db, {"test": first}, clock, "worker-1", settings),
            Sender(other_db, {"test": second}, clock, "worker-2", settings),
        ]
        running = [asyncio.create_task(sender.run(idle_seconds=0.2)) for sender in senders]
        rows_sent = False

        async def all_sent() -> None:
            nonlocal rows_sent
            while not rows_sent:
                rows_sent = {r.state for r in await entries(app.db)} == {OutboxState.sent}
                await asyncio.sleep(0.1)

        await asyncio.wait_for(all_sent(), 30)
        # Long enough for the other sender to look for lapsed leases (every 5 s) and send one again.
        await asyncio.sleep(2.0)
        for sender in senders:
            sender.stop()
        await asyncio.wait_for(asyncio.gather(*running), 30)

        texts = sorted(s.text for s in first.sent + second.sent)
        assert texts == ["둘째 공지", "첫 공지"]
        rows = await entries(app.db)
        assert [r.id for r in rows] == ids
        assert [(r.state, r.attempts) for r in rows] == [(OutboxState.sent, 1), (OutboxState.sent, 1)]
    finally:
        await other_db.dispose()
        await app.close()


async def test_a_stopped_senders_entry_is_taken_back_after_the_lease_and_sent_once(database_url: str) -> None:
    settings = test_settings(database_url, IDEAROOM_SEND_LEASE_SECONDS=str(LEASE_SECONDS))
    clock = SystemClock()
    app = await prepared_app(settings, clock)
    other_db = Database(database_url)
    try:
        [entry_id] = [await put(app.db, "room-1", "멈춘 일꾼의 공지")]
        hanging = SlowPlatform(3600.0)  # never answers: the worker is killed mid-send
        killed = asyncio.create_task(Sender(app.db, {"test": hanging}, clock, "killed", settings).drain())
        await asyncio.wait_for(hanging.started.wait(), 10)
        killed.cancel()
        await asyncio.gather(killed, return_exceptions=True)

        alive = RecordingGateway()
        early = Sender(other_db, {"test": alive}, clock, "early", settings)
        assert await early.drain() == 0  # the lease still holds: the killed worker might be mid-send
        await asyncio.sleep(LEASE_SECONDS + 0.2)
        restarted = Sender(other_db, {"test": alive}, clock, "restarted", settings)
        assert await restarted.drain() == 1
        assert await restarted.drain() == 0

        assert hanging.sent == [] and [s.text for s in alive.sent] == ["멈춘 일꾼의 공지"]
        [row] = await entries(app.db)
        assert (row.id, row.state, row.attempts, row.claimed_by) == (entry_id, OutboxState.sent, 1, "restarted")
    finally:
        await other_db.dispose()
        await app.close()


async def test_a_late_answer_does_not_overwrite_what_the_worker_that_took_over_recorded(sqlite_url: str) -> None:
    # A clock that only moves when told: the lease lapses with no renewal (the worker looks dead).
    clock = ManualClock(T0)
    settings = test_settings(sqlite_url)
    app = await prepared_app(settings, clock)
    try:
        await put(app.db, "room-1", "늦은 답")
        stalled = StalledGateway()
        late = Sender(app.db, {"test": stalled}, clock, "late", settings)
        sending = asyncio.create_task(late.drain())
        await asyncio.wait_for(stalled.started.wait(), 10)
        clock.advance(seconds=settings.send_lease_seconds + 1)
        other = RecordingGateway()
        assert await Sender(app.db, {"test": other}, clock, "took-over", settings).drain() == 1
        stalled.answer.set()
        assert await asyncio.wait_for(sending, 10) == 1

        [row] = await entries(app.db)
        assert [s.text for s in other.sent] == ["늦은 답"]
        assert (row.state, row.attempts, row.claimed_by, row.platform_message_id) == (
            OutboxState.sent,
            1,
            "took-over",
            other.sent[0].message_id,
        )
    finally:
        await app.close()
