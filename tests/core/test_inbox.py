"""The durable inbox any adapter uses: requests kept once, handled, retried after a failure, left for the next start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

import bot.inbox
from bot.inbox import Inbox, InboxClosed
from storage.db import Database
from storage.tables import InboxEvent, InboxState
from tests.adapters.slack.stand import eventually
from tests.harness import test_settings
from tests.templates import prepared_app


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # A copy of a prepared database: the schema create_all builds, which the migrations match (test_migrations.py).
    app = await prepared_app(test_settings(database_url))
    yield app.db
    await app.close()


async def rows(db: Database) -> list[InboxEvent]:
    async with db.session() as session:
        return list((await session.exec(select(InboxEvent).order_by(InboxEvent.id))).all())  # type: ignore[arg-type]


async def settled(inbox: Inbox) -> bool:
    return not inbox.busy and await inbox.pending() == 0


class Recorder:
    """A platform's handler: records what it was given; fails the first `failures` tries."""

    def __init__(self, failures: int = 0, gate: asyncio.Event | None = None) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.failures = failures
        self.gate = gate

    async def __call__(self, kind: str, payload: dict[str, Any]) -> bool:
        if self.gate is not None:
            await self.gate.wait()
        self.seen.append((kind, payload))
        return len(self.seen) > self.failures


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_request_is_kept_once_handled_and_then_gone(db: Database) -> None:
    gate = asyncio.Event()
    inbox, handler = Inbox(db), Recorder(gate=gate)
    inbox.register("matrix", handler)
    inbox.start()
    try:
        assert await inbox.put("matrix", "$event1", "message", {"body": "#아이디어 온열의자"}) is True
        assert await inbox.put("matrix", "$event1", "message", {"body": "#아이디어 온열의자"}) is False  # a resend
        assert [r.delivery_id for r in await rows(db)] == ["$event1"]
        gate.set()
        await eventually(lambda: handler.seen)
        await eventually(lambda: settled(inbox))
    finally:
        await inbox.close()
    assert handler.seen == [("message", {"body": "#아이디어 온열의자"})]
    assert await rows(db) == []


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_failed_request_is_tried_again_and_given_up_at_last(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bot.inbox, "RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setattr(bot.inbox, "SCAN_SECONDS", 0.02)
    inbox, flaky, broken = Inbox(db), Recorder(failures=1), Recorder(failures=99)
    inbox.register("flaky", flaky)
    inbox.register("broken", broken)
    inbox.start()
    try:
        await inbox.put("flaky", "1", "message", {"n": 1})
        await inbox.put("broken", "2", "message", {"n": 2})
        await eventually(lambda: len(flaky.seen) == 2 and len(broken.seen) == 3)
        await eventually(lambda: settled(inbox))
    finally:
        await inbox.close()
    [left] = await rows(db)
    assert (left.platform, left.state, left.attempts) == ("broken", InboxState.failed, 3)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_drain_leaves_what_it_could_not_finish_for_the_next_start(db: Database) -> None:
    gate = asyncio.Event()
    first = Inbox(db, lease_seconds=600)
    first.register("slack", Recorder(gate=gate))
    first.start()
    await first.put("slack", "Ev1", "event", {"n": 1})
    await first.put("slack", "Ev2", "event", {"n": 2})
    assert await first.drain(timeout=0.2) == 2  # both still held at the gate
    with pytest.raises(InboxClosed):
        await first.put("slack", "Ev3", "event", {"n": 3})
    assert [r.delivery_id for r in await rows(db)] == ["Ev1", "Ev2"]

    # The next start takes them at once, although the lease was ten minutes.
    second, handler = Inbox(db, lease_seconds=600), Recorder()
    second.register("slack", handler)
    second.start()
    try:
        await eventually(lambda: len(handler.seen) == 2)
        await eventually(lambda: settled(second))
    finally:
        await second.close()
    assert sorted(p["n"] for _, p in handler.seen) == [1, 2]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_closing_lets_the_request_in_hand_finish(db: Database) -> None:
    gate = asyncio.Event()
    inbox, handler = Inbox(db), Recorder(gate=gate)
    inbox.register("slack", handler)
    inbox.start()
    await inbox.put("slack", "EvBUSY", "event", {"n": 1})
    asyncio.get_running_loop().call_later(0.2, gate.set)  # the handler is mid-way when close begins
    await inbox.close()
    assert handler.seen == [("event", {"n": 1})]
    assert await rows(db) == []  # finished and deleted, not cut off mid-transaction
