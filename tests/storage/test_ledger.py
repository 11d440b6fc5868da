"""The points ledger on SQLite and PostgreSQL: an award is written once, whatever is replayed or raced."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from bot.points import ledger
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import Person, PointEntry, PointTotal
from tests.harness import Story, test_settings

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db_story(database_url: str) -> AsyncIterator[Story]:
    s = await Story.start(test_settings(database_url))
    yield s
    await s.close()


async def person_id(story: Story, handle: str) -> int:
    async with story.app.db.session() as session:
        person = (await session.exec(select(Person).where(Person.handle == handle))).one()
    assert person.id is not None
    return person.id


async def entries(story: Story) -> list[PointEntry]:
    async with story.app.db.session() as session:
        return list((await session.exec(select(PointEntry).order_by(PointEntry.id))).all())


async def balance(story: Story, handle: str) -> int:
    pid = await person_id(story, handle)
    async with story.app.db.session() as session:
        return await ledger.balance(session, pid)


async def give(story: Story, pid: int, key: str, points: int = 20, at: datetime = NOW) -> bool:
    async with story.app.db.session() as session:
        return await ledger.award(session, pid, points, "proposal_adopted", "proposal", 1, key, "", None, at)


async def stored_totals(db: Database) -> dict[tuple[int, str], int]:
    async with db.session() as session:
        return {(t.person_id, t.period): t.points for t in (await session.exec(select(PointTotal))).all()}


async def ledger_sums(db: Database) -> dict[tuple[int, str], int]:
    """What the totals must be: every entry summed into each period it falls in (Asia/Seoul)."""
    sums: Counter[tuple[int, str]] = Counter()
    async with db.session() as session:
        for entry in (await session.exec(select(PointEntry))).all():
            for period in ledger.period_keys(entry.created_at):
                sums[(entry.person_id, period)] += entry.points
    return dict(sums)


# Either side of Seoul's midnight at a quarter's end (UTC 15:00 is 00:00 the next day in Seoul).
END_OF_MARCH = datetime(2026, 3, 31, 14, 59, tzinfo=UTC)
START_OF_APRIL = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
NEW_YEAR = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)


async def test_the_same_award_twice_is_one_entry(db_story: Story) -> None:
    minji = await person_id(db_story, "minji")
    assert await give(db_story, minji, "proposal_adopted:proposal:1:person:1") is True
    assert await give(db_story, minji, "proposal_adopted:proposal:1:person:1") is False
    assert [(e.points, e.award_key) for e in await entries(db_story)] == [(20, "proposal_adopted:proposal:1:person:1")]


async def test_twenty_concurrent_awards_of_one_key_write_one_entry(db_story: Story) -> None:
    minji = await person_id(db_story, "minji")
    results = await asyncio.gather(*(give(db_story, minji, "idea_threshold:idea:7", 3) for _ in range(20)))
    assert results.count(True) == 1
    assert len(await entries(db_story)) == 1
    assert await balance(db_story, "minji") == 3
    # And racing again later changes nothing.
    await asyncio.gather(*(give(db_story, minji, "idea_threshold:idea:7", 3) for _ in range(20)))
    assert await balance(db_story, "minji") == 3


async def test_a_reversed_award_can_be_earned_again_under_a_new_key(db_story: Story) -> None:
    minji = await person_id(db_story, "minji")
    base = "proposal_adopted:proposal:1:person:1"
    await give(db_story, minji, base)
    async with db_story.app.db.session() as session:
        assert (
            await ledger.reverse_live(
                session,
                ref_kind="proposal",
                ref_id=1,
                stages={"proposal_adopted"},
                reason="undo",
                awarded_by=None,
                now=NOW,
            )
            == 1
        )
    async with db_story.app.db.session() as session:
        # Reversing twice appends nothing more.
        assert (
            await ledger.reverse_live(
                session,
                ref_kind="proposal",
                ref_id=1,
                stages={"proposal_adopted"},
                reason="undo",
                awarded_by=None,
                now=NOW,
            )
            == 0
        )
        again = await ledger.next_key(session, base)
    assert again == base + ":redo1"
    assert await give(db_story, minji, again) is True
    assert [e.points for e in await entries(db_story)] == [20, -20, 20]
    assert await balance(db_story, "minji") == 20


async def test_replaying_every_event_through_the_core_never_changes_a_balance(db_story: Story) -> None:
    steps = [
        ("minji", "/idea 버스정류장 온열의자"),
        ("junho", "/idea 버스정류장 바람막이"),
        ("junho", "/support 1"),
        ("dohyun", "/help"),
        ("sujin", "/proposal new 1,2 버스정류장 온열의자 도입"),
        ("sujin", "/proposal submit 1 교통정책과"),
        ("dohyun", "/proposal adopt 1"),
        ("dohyun", "/proposal assign 1 junho"),
        ("junho", "/proposal done 1"),
        ("sujin", "/points award minji 7 발표 우수"),
    ]
    for number, (person, text) in enumerate(steps):
        await db_story.say(person, text, event_id=f"evt-{number}")
    before = {h: await balance(db_story, h) for h in ("minji", "junho")}
    count_before = len(await entries(db_story))
    assert before == {"minji": 1 + 5 + 5 + 20 + 30 + 7, "junho": 1 + 5 + 5 + 20 + 30 + 30}
    for number, (person, text) in enumerate(steps):  # every event delivered again
        assert await db_story.say(person, text, event_id=f"evt-{number}") == []
    assert {h: await balance(db_story, h) for h in ("minji", "junho")} == before
    assert len(await entries(db_story)) == count_before


async def test_two_workers_adopting_at_once_pay_once(db_story: Story) -> None:
    await db_story.say("minji", "/idea 공원 그늘막")
    await db_story.say("dohyun", "/help")
    await db_story.say("sujin", "/proposal new 1 공원 그늘막 확충")
    await db_story.say("sujin", "/proposal submit 1 교통정책과")
    before = await balance(db_story, "minji")
    await asyncio.gather(*(db_story.say("dohyun", "/proposal adopt 1") for _ in range(5)))
    assert await balance(db_story, "minji") == before + 20
    async with db_story.app.db.session() as session:
        adopted = (
            await session.exec(
                select(func.count()).select_from(PointEntry).where(PointEntry.stage == "proposal_adopted")
            )
        ).one()
    assert adopted == 1


async def test_totals_are_the_ledger_summed_per_person_and_seoul_period(db_story: Story) -> None:
    minji, junho = await person_id(db_story, "minji"), await person_id(db_story, "junho")
    assert await give(db_story, minji, "a", 20, END_OF_MARCH)
    assert await give(db_story, minji, "b", 5, START_OF_APRIL)
    assert await give(db_story, junho, "c", 3, NEW_YEAR)
    assert not await give(db_story, minji, "a", 20, START_OF_APRIL)  # a duplicate adds nothing
    await asyncio.gather(*(give(db_story, junho, "d", 10, END_OF_MARCH) for _ in range(10)))
    await asyncio.gather(*(give(db_story, junho, f"e{n}", 1, START_OF_APRIL) for n in range(10)))
    async with db_story.app.db.session() as session:  # reversed in April, the award was in March
        assert (
            await ledger.reverse_live(
                session,
                ref_kind="proposal",
                ref_id=1,
                stages={"proposal_adopted"},
                key_contains="a",
                reason="undo",
                awarded_by=None,
                now=START_OF_APRIL,
            )
            == 1
        )
    totals = await stored_totals(db_story.app.db)
    assert totals == await ledger_sums(db_story.app.db)
    assert totals[(minji, "2026-03")] == 20 and totals[(minji, "2026-04")] == 5 - 20
    assert totals[(minji, "2026-Q1")] == 20 and totals[(minji, "2026-Q2")] == -15
    assert totals[(minji, "2026")] == totals[(minji, "all")] == 5 == await balance(db_story, "minji")
    assert totals[(junho, "2026-01")] == 3 and (junho, "2025") not in totals
    assert totals[(junho, "2026-03")] == 10 and totals[(junho, "2026-04")] == 10
    assert totals[(junho, "all")] == 23 == await balance(db_story, "junho")


async def test_migration_backfills_the_totals_from_an_existing_ledger(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0002")
    db = Database(database_url)
    try:
        entries = [
            (1, 20, END_OF_MARCH),
            (1, 5, START_OF_APRIL),
            (1, -20, START_OF_APRIL),
            (2, 3, NEW_YEAR),
            (2, 7, NEW_YEAR - timedelta(hours=1)),
            (2, 1, datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),
        ]
        async with db.engine.begin() as connection:
            await connection.execute(
                sa.insert(Person.__table__),
                [dict(id=n, name=f"직원{n}", is_organizer=False, created_at=NOW) for n in (1, 2)],  # type: ignore[attr-defined]
            )
            await connection.execute(
                sa.insert(PointEntry.__table__),  # type: ignore[attr-defined]
                [
                    dict(
                        person_id=p,
                        points=points,
                        stage="manual",
                        ref_kind="",
                        award_key=f"k{n}",
                        reason="",
                        created_at=at,
                    )
                    for n, (p, points, at) in enumerate(entries)
                ],
            )
        await asyncio.to_thread(upgrade, database_url)
        totals = await stored_totals(db)
        assert totals == await ledger_sums(db)
        assert totals == {
            (1, "all"): 5,
            (1, "2026"): 5,
            (1, "2026-Q1"): 20,
            (1, "2026-03"): 20,
            (1, "2026-Q2"): -15,
            (1, "2026-04"): -15,
            (2, "all"): 11,
            (2, "2025"): 7,
            (2, "2025-Q4"): 7,
            (2, "2025-12"): 7,
            (2, "2026"): 4,
            (2, "2026-Q1"): 3,
            (2, "2026-01"): 3,
            (2, "2026-Q4"): 1,
            (2, "2026-12"): 1,
        }
    finally:
        await db.dispose()


async def test_finding_an_awards_next_key_reads_the_award_key_index_not_the_whole_ledger(db_story: Story) -> None:
    """`next_key` runs on every idea: at a million ledger rows a full scan made `/idea` take 0.2–0.4 s."""
    minji = await person_id(db_story, "minji")
    base = "idea_posted:idea:1"
    await give(db_story, minji, base)
    async with db_story.app.db.session() as session:
        await ledger.reverse_live(
            session, ref_kind="proposal", ref_id=1, stages={"proposal_adopted"}, reason="undo", awarded_by=None, now=NOW
        )
    engine = db_story.app.db.engine
    probes: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "pointentry" in statement.lower():
            probes.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db_story.app.db.session() as session:
            assert await ledger.next_key(session, base) == base + ":redo1"
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert probes, "next_key reads the ledger"
    async with db_story.app.db.session() as session:
        connection = await session.connection()
        for statement, parameters in probes:
            if engine.dialect.name == "sqlite":
                plan = " ".join(
                    str(row[-1])
                    for row in (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
                )
                assert plan.startswith("SEARCH") and "award_key=?" in plan and "SCAN" not in plan, plan
            else:
                # A test ledger is small enough for PostgreSQL to prefer scanning it; forbid that to see if an index can serve it.
                await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
                rows = (await connection.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
                plan = " ".join(str(row[0]) for row in rows)
                assert "Index Cond: ((award_key)" in plan and "Seq Scan" not in plan, plan
