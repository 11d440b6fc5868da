"""A database connection that drops in the middle of an event is ridden out: no apology, nothing twice."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import asyncpg
import pytest
import sqlalchemy as sa

from bot.i18n import Translator
from bot.messages import IncomingMessage
from storage.tables import Idea, ProcessedEvent
from tests.conftest import POSTGRES_URL
from tests.faults import fail_command
from tests.harness import Story, test_settings

ko = Translator("ko")
PEOPLE = ["minji", "junho", "seoyeon", "jiwoo"]
IDEAS = 60


def idea_text(n: int) -> str:
    """A text of its own per idea (Hangul syllables picked by n), so no two look alike to the similar-idea check."""
    return "".join(chr(0xAC00 + (n * 7919 + k * 104729) % 11172) for k in range(8))


def idea_event(n: int) -> IncomingMessage:
    person = PEOPLE[n % len(PEOPLE)]
    return IncomingMessage(f"ev{n}", Story.actor(person), Story.place("room"), f"/idea {idea_text(n)}", f"u{n}")


async def test_ideas_are_stored_once_and_never_apologized_for_while_postgres_drops_the_bots_connections(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    story = await Story.start(test_settings(postgres_url))
    backends: set[int] = set()

    @sa.event.listens_for(story.app.db.engine.sync_engine, "connect")
    def remember(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        backends.add(dbapi_connection.driver_connection.get_server_pid())

    await story.app.db.engine.dispose()  # from here on every connection of the bot is known
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
    terminated = 0

    async def terminate_the_bots_backends() -> None:
        """What an operator's pg_terminate_backend (or a failover) does: every 0.5 s, to the bot's
        connections that are in the middle of a transaction, five times in all: an outage that never
        ends is the next test's case, and an event meets at most five drops, fewer than its eight
        tries, however slow the machine is."""
        nonlocal terminated
        rounds = 0
        while rounds < 5:
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity"
                " WHERE pid = ANY($1::int[]) AND state IN ('active', 'idle in transaction')",
                list(backends),
            )
            dropped = sum(1 for row in rows if row["done"])
            terminated += dropped
            rounds += bool(dropped)
            await asyncio.sleep(0.5 if dropped else 0.005)

    caplog.set_level(logging.WARNING, logger="bot.core")
    killer = asyncio.create_task(terminate_the_bots_backends())
    posted = 0
    try:
        # Four people at a time, as in a busy room, until the outage is over (and at least IDEAS ideas).
        while posted < IDEAS or (not killer.done() and posted < 10 * IDEAS):
            await asyncio.gather(*(story.app.core.handle(idea_event(n)) for n in range(posted, posted + 4)))
            posted += 4
    finally:
        killer.cancel()
        await asyncio.gather(killer, return_exceptions=True)
        await admin.close()
    await story.app.sender.drain()

    try:
        assert terminated >= 3, "the test must really drop connections"
        ideas = await story.rows(Idea)
        assert Counter(i.text for i in ideas) == Counter(idea_text(n) for n in range(posted))
        assert await story.count(ProcessedEvent, ProcessedEvent.event_id.like("apology:%")) == 0  # type: ignore[attr-defined]
        said = story.in_room()
        assert ko("error.internal") not in said
        assert sorted(said) == sorted(ko("idea.recorded", number=i.id) for i in ideas)
        assert story.app.core.failed_count == 0
        assert any("database connection lost" in r.getMessage() for r in caplog.records), (
            "no event met a dropped connection"
        )
    finally:
        await story.close()


async def test_a_connection_lost_twice_is_retried_on_a_fresh_one_without_an_apology(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.core.RECONNECT_PAUSES", (0.01, 0.01, 0.01, 0.01))
    drop = ConnectionResetError("connection reset by peer")
    fail_command(monkeypatch, story.app.core, "idea", drop, drop)
    said = await story.say("minji", "/idea 연결이 끊겨도 한 번만")

    assert said == [ko("idea.recorded", number=1)]
    assert [i.text for i in await story.rows(Idea)] == ["연결이 끊겨도 한 번만"]


async def test_a_database_that_stays_away_gets_one_apology_and_the_event_is_left_for_a_redelivery(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.core.RECONNECT_PAUSES", (0.01, 0.01))
    idea = fail_command(monkeypatch, story.app.core, "idea")
    idea.outage(ConnectionRefusedError("connection refused"))
    event = idea_event(1)
    outcome = await story.app.core.handle(event)
    assert idea.calls == 3  # the first try and one per pause
    assert outcome.failed and outcome.retryable
    await story.app.sender.drain()
    assert story.in_room() == [ko("error.internal")]

    idea.restore()
    again = await story.app.core.handle(event)  # the platform delivers it again
    await story.app.sender.drain()
    assert not again.failed
    assert story.in_room() == [ko("error.internal"), ko("idea.recorded", number=1)]


async def test_a_bug_is_apologized_for_at_once_and_not_asked_for_again(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    idea = fail_command(monkeypatch, story.app.core, "idea", RuntimeError("a bug"))
    outcome = await story.app.core.handle(idea_event(2))
    assert idea.calls == 1
    assert outcome.failed and not outcome.retryable
