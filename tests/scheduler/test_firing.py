"""Stored reminders fire exactly once: across failures, restarts and two workers at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, timedelta

import pytest
from sqlmodel import func, select

from bot.registry import registry
from bot.reminders import schedule
from idearoom.wiring import build_app
from scheduler.firing import MAX_ATTEMPTS, fire_due
from scheduler.runner import SchedulerRunner
from storage.tables import OutboxMessage, Reminder, ReminderState, Room
from tests.harness import RecordingGateway, Story, test_settings
from tests.scheduler.clocked import ClockedStory, seoul
from tests.templates import prepared_app

PING = "test.ping"
BROKEN = "test.broken"


@pytest.fixture(autouse=True)
def test_kinds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A reminder kind that posts its payload's text to its room, and one that always fails."""
    calls: list[str] = []

    async def ping(ctx, reminder) -> None:  # type: ignore[no-untyped-def]
        calls.append(reminder.dedupe_key)
        room = await ctx.session.get(Room, int(reminder.audience.split(":")[1]))
        ctx.post(room, reminder.payload["text"])

    async def broken(ctx, reminder) -> None:  # type: ignore[no-untyped-def]
        room = await ctx.session.get(Room, int(reminder.audience.split(":")[1]))
        ctx.post(room, "this must never be sent")
        raise RuntimeError("the handler broke")

    monkeypatch.setitem(registry.reminders, PING, ping)
    monkeypatch.setitem(registry.reminders, BROKEN, broken)
    yield calls


async def room_id(story: Story, name: str = "room") -> int:
    await story.say("minji", "/help", room=name)
    async with story.app.db.session() as session:
        return (await session.exec(select(Room.id).where(Room.external_id == name))).one()


async def add(story: Story, key: str, local: str, kind: str = PING, room: int = 1, text: str | None = None) -> None:
    async with story.app.db.session() as session:
        await schedule(
            session,
            kind=kind,
            due_at=seoul(local),
            audience=f"room:{room}",
            dedupe_key=key,
            payload={"text": text or f"알림 {key}"},
            now=story.app.clock.now(),
        )


@pytest.fixture
async def clocked(sqlite_url: str):  # type: ignore[no-untyped-def]
    c = await ClockedStory.start(sqlite_url)
    yield c
    await c.close()


async def test_a_due_reminder_is_sent_once_and_marked_sent(clocked: ClockedStory, test_kinds: list[str]) -> None:
    room = await room_id(clocked.story)
    await add(clocked.story, "a", "2026-03-31T09:00", room=room)
    await add(clocked.story, "b", "2026-03-31T10:00", room=room)
    assert (await fire_due(clocked.story.app.core)).sent == []  # 08:00: nothing due yet
    clocked.clock.set(seoul("2026-03-31T09:30"))
    report = await fire_due(clocked.story.app.core)
    assert (await fire_due(clocked.story.app.core)).sent == []  # the second call finds nothing
    await clocked.story.app.sender.drain()
    assert len(report.sent) == 1 and test_kinds == ["a"]
    assert clocked.story.in_room("room")[-1] == "알림 a"
    [a, b] = await clocked.reminders()
    assert (a.state, a.sent_at, a.claimed_at) == (
        ReminderState.sent,
        seoul("2026-03-31T09:30"),
        seoul("2026-03-31T09:30"),
    )
    assert b.state == ReminderState.pending


async def test_scheduling_the_same_key_twice_stores_one_reminder(clocked: ClockedStory) -> None:
    room = await room_id(clocked.story)
    await add(clocked.story, "same", "2026-03-31T09:00", room=room)
    await add(clocked.story, "same", "2026-04-30T09:00", room=room)
    [only] = await clocked.reminders()
    assert only.due_at == seoul("2026-03-31T09:00")


async def test_a_failing_handler_commits_nothing_is_retried_then_given_up(clocked: ClockedStory) -> None:
    room = await room_id(clocked.story)
    await add(clocked.story, "broken", "2026-03-31T08:30", kind=BROKEN, room=room)
    clocked.clock.set(seoul("2026-03-31T09:00"))
    report = await fire_due(clocked.story.app.core)
    [reminder] = await clocked.reminders()
    assert report.failed == [reminder.id]
    assert reminder.state == ReminderState.pending and reminder.claimed_at is None  # the claim rolled back
    assert reminder.payload["_attempts"] == 1 and "the handler broke" in reminder.payload["_error"]
    for _ in range(MAX_ATTEMPTS - 1):
        await fire_due(clocked.story.app.core)
    [reminder] = await clocked.reminders()
    assert reminder.state == ReminderState.missed and reminder.payload["_attempts"] == MAX_ATTEMPTS
    async with clocked.story.app.db.session() as session:
        texts = (await session.exec(select(OutboxMessage.text))).all()
    assert "this must never be sent" not in texts


async def test_a_reminder_of_an_unknown_kind_is_marked_missed(clocked: ClockedStory) -> None:
    room = await room_id(clocked.story)
    await add(clocked.story, "nobody-handles-this", "2026-03-31T08:30", kind="no.such.kind", room=room)
    clocked.clock.set(seoul("2026-03-31T09:00"))
    report = await fire_due(clocked.story.app.core)
    [reminder] = await clocked.reminders()
    assert report.missed == [reminder.id] and reminder.state == ReminderState.missed
    assert "unknown kind" in reminder.payload["_error"]


async def test_killing_the_bot_and_starting_it_again_neither_loses_nor_repeats(
    sqlite_url: str, test_kinds: list[str]
) -> None:
    first = await ClockedStory.start(sqlite_url, at="2026-03-31T08:00")
    await first.story.say("sujin", "/help", room="dm:sujin")  # the organizer can be told directly
    room = await room_id(first.story)
    for key, local in (
        ("a", "2026-03-31T09:00"),
        ("b", "2026-03-31T10:00"),
        ("c", "2026-03-31T11:00"),
        ("d", "2026-04-01T09:00"),
    ):
        await add(first.story, key, local, room=room)
    await first.runner.recover()
    await first.move_to("2026-03-31T09:30")
    sent_before = first.story.in_room("room")
    await first.close()  # killed: b, c and d are still pending in the database

    # Back at 23:00: b (10:00) is 13 h late, beyond the 12 h grace; c (11:00) is just within it,
    # but the office has closed: c waits for the next morning's opening.
    second = await ClockedStory.start(sqlite_url, at="2026-03-31T23:00")
    await second.runner.recover()
    await second.story.app.sender.drain()
    sent_after = second.story.in_room("room")
    told = second.story.to_person("sujin")
    await second.close()

    third = await ClockedStory.start(sqlite_url, at="2026-04-01T09:05")  # restarted once more
    await third.runner.recover()
    await third.story.app.sender.drain()
    sent_third = third.story.in_room("room")
    told_third = third.story.to_person("sujin")
    states = {r.dedupe_key: r.state for r in await third.reminders(Reminder.kind == PING)}
    await third.close()

    assert test_kinds == ["a", "c", "d"]
    assert [t for t in sent_before if t.startswith("알림")] == ["알림 a"]
    assert sent_after == [] and sent_third == ["알림 c", "알림 d"]
    assert states == {"a": "sent", "b": "missed", "c": "sent", "d": "sent"}
    assert told == []  # the organizer, too, is told in office hours
    [missed_notice, monthly] = told_third
    assert "보내지 못한 알림이 1건" in missed_notice and "2026. 3. 31.(화) 10:00" in missed_notice  # told once
    assert monthly.startswith("📅 4월 토론주제를 정할 때")  # the monthly reminder, once


async def test_start_up_rebuilds_the_built_in_schedule_once(clocked: ClockedStory) -> None:
    await clocked.runner.recover()
    await clocked.runner.recover()
    keys = [r.dedupe_key for r in await clocked.reminders()]
    assert keys == [
        "monthly_topic:2026-04",
        "committee:2026-Q2:agenda",
        "committee:2026-Q2:nudge",
        "committee:2026-Q2:tally",
        "retention.purge:2026-04-01",  # the night's purge of old records (bot/retention.py)
    ]
    [monthly, agenda, nudge, tally, purge] = await clocked.reminders()
    assert purge.due_at == seoul("2026-04-01T03:00")
    assert monthly.due_at == seoul("2026-04-01T09:00")
    assert (agenda.due_at, tally.due_at) == (seoul("2026-06-08T09:00"), seoul("2026-06-15T18:00"))
    assert nudge.due_at == seoul("2026-06-12T09:00")  # the business day before the meeting


async def test_the_runner_starts_and_stops_apscheduler_in_the_loop(sqlite_url: str) -> None:
    from bot.ports import SystemClock

    app = await prepared_app(test_settings(sqlite_url), SystemClock())
    runner = SchedulerRunner(app.core, tick_seconds=3600)
    try:
        await runner.start()
        assert runner.scheduler is not None and runner.scheduler.running
        jobs = {job.id for job in runner.scheduler.get_jobs()}
        assert jobs == {"reminders-tick", "reminders-next-due"}
    finally:
        await runner.stop()
        await app.close()
    assert runner.scheduler is None


async def test_a_reminder_falling_due_during_a_wake_up_is_sent_without_waiting_for_the_tick(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker-failover race: the next wake-up is planned for "now" while the last one still runs."""
    from datetime import datetime

    from bot.ports import SystemClock

    sent: list[str] = []

    async def slow_ping(ctx, reminder) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.6)  # long enough for the next reminder to fall due meanwhile
        sent.append(reminder.dedupe_key)

    monkeypatch.setitem(registry.reminders, "test.slow", slow_ping)
    app = await prepared_app(test_settings(sqlite_url), SystemClock())
    runner = SchedulerRunner(app.core, tick_seconds=3600)  # only the wake-ups can send in time
    try:
        await runner.start()
        now = datetime.now(UTC)
        async with app.db.session() as session:
            for key, after in (("first", 0.3), ("second", 0.5)):
                await schedule(
                    session,
                    kind="test.slow",
                    due_at=now + timedelta(seconds=after),
                    audience="room:1",
                    dedupe_key=key,
                    payload={"anytime": True},
                    now=now,
                )
        await runner._plan_next_due()
        async with asyncio.timeout(10):
            while len(sent) < 2:
                await asyncio.sleep(0.05)
        assert sent == ["first", "second"]
    finally:
        await runner.stop()
        await app.close()


async def test_a_reminder_stored_by_this_process_fires_at_its_time_without_a_tick(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing tells the runner but the stored reminder itself: its commit makes the runner look again."""
    from datetime import datetime

    from bot.ports import SystemClock

    sent: list[str] = []

    async def note(ctx, reminder) -> None:  # type: ignore[no-untyped-def]
        sent.append(reminder.dedupe_key)

    monkeypatch.setitem(registry.reminders, "test.note", note)
    app = build_app(test_settings(sqlite_url), SystemClock())
    await app.prepare(migrate=False)
    runner = SchedulerRunner(app.core, tick_seconds=3600)
    try:
        await runner.start()
        await asyncio.sleep(0.2)  # started, with nothing due: it would next look in an hour
        now = datetime.now(UTC)
        async with app.db.session() as session:
            await schedule(
                session,
                kind="test.note",
                due_at=now + timedelta(seconds=0.3),
                audience="room:1",
                dedupe_key="later",
                payload={"anytime": True},
                now=now,
            )
        async with asyncio.timeout(10):
            while not sent:
                await asyncio.sleep(0.05)
        assert sent == ["later"]
    finally:
        await runner.stop()
        await app.close()


async def test_two_workers_on_postgresql_fire_each_reminder_once(postgres_url: str, test_kinds: list[str]) -> None:
    from bot.ports import ManualClock

    clock = ManualClock(seoul("2026-03-31T08:00"))
    settings = test_settings(postgres_url)
    apps = [build_app(settings, clock), build_app(settings, clock)]
    await apps[0].prepare(migrate=False)
    for app in apps:
        app.add_gateway(RecordingGateway())
    story = Story(apps[0], apps[0].gateways["test"])  # type: ignore[arg-type]
    try:
        room = await room_id(story)
        for n in range(20):
            await add(story, f"r{n}", f"2026-03-31T08:{n:02d}", room=room)
        clock.set(seoul("2026-03-31T09:00"))
        reports = await asyncio.gather(*(fire_due(app.core) for app in apps))
        fired = reports[0].sent + reports[1].sent
        assert sorted(fired) == sorted(set(fired)) and len(fired) == 20
        assert sorted(test_kinds) == sorted(f"r{n}" for n in range(20))
        async with apps[0].db.session() as session:
            assert (
                await session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.dest_kind == "room", OutboxMessage.text.startswith("알림"))
                )
            ).one() == 20  # type: ignore[attr-defined]
            states = (await session.exec(select(Reminder.state))).all()
        assert set(states) == {ReminderState.sent}
    finally:
        for app in apps:
            await app.close()


def test_grace_is_a_setting(sqlite_url: str) -> None:
    assert test_settings(sqlite_url, IDEAROOM_REMINDER_GRACE_HOURS="2").reminder_grace_hours == 2
    assert timedelta(hours=test_settings(sqlite_url).reminder_grace_hours) == timedelta(hours=12)
