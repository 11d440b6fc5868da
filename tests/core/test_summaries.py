"""The report's and the departments' leaderboard's figures come from summary rows that always equal a recount."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.points.ledger import period_keys
from bot.ports import ManualClock
from idearoom.cli import main
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import (
    Department,
    DepartmentMonth,
    DepartmentPoints,
    Idea,
    MonthActivity,
    Person,
    PointEntry,
    PointTotal,
    Support,
)
from tests.harness import Story, test_settings

SEOUL = ZoneInfo("Asia/Seoul")
GROWING = ("idea", "support", "pointentry", "pointtotal")  # the tables that grow with the city's activity


@pytest.fixture
async def month(database_url: str) -> AsyncIterator[tuple[Story, ManualClock, str]]:
    clock = ManualClock(datetime(2026, 10, 31, 23, 50, tzinfo=SEOUL))
    await asyncio.to_thread(upgrade, database_url)  # the migrations' triggers, as a deployment has them
    story = await Story.start(test_settings(database_url), clock)
    yield story, clock, database_url
    await story.close()


async def recount(
    story: Story,
) -> tuple[dict[tuple[str, int], int], dict[str, int], dict[tuple[str, int], tuple[int, int]]]:
    """From the raw rows, as the report counted before: ideas per Seoul month and current department,
    participants per month, and per period each department's points and how many totals it adds."""
    async with story.app.db.session() as session:
        department = {p.id: p.department_id or 0 for p in (await session.exec(select(Person))).all()}
        ideas = (await session.exec(select(Idea))).all()
        supports = (await session.exec(select(Support))).all()
        totals = (await session.exec(select(PointTotal))).all()
    local = lambda moment: moment.astimezone(SEOUL).strftime("%Y-%m")  # noqa: E731
    by_department = Counter((local(i.created_at), department[i.author_id]) for i in ideas)
    people: dict[str, set[int]] = {}
    for month, person in [(local(i.created_at), i.author_id) for i in ideas] + [
        (local(s.created_at), s.person_id) for s in supports
    ]:
        people.setdefault(month, set()).add(person)
    points: dict[tuple[str, int], tuple[int, int]] = {}
    for t in totals:
        key = (t.period, department[t.person_id])
        before = points.get(key, (0, 0))
        points[key] = (before[0] + t.points, before[1] + 1)
    return dict(by_department), {m: len(p) for m, p in people.items()}, points


async def summaries(
    story: Story,
) -> tuple[dict[tuple[str, int], int], dict[str, int], dict[tuple[str, int], tuple[int, int]]]:
    async with story.app.db.session() as session:
        ideas = {(r.month, r.department_key): r.ideas for r in (await session.exec(select(DepartmentMonth))).all()}
        activity = Counter(r.month for r in (await session.exec(select(MonthActivity))).all())
        points = {
            (r.period, r.department_key): (r.points, r.people)
            for r in (await session.exec(select(DepartmentPoints))).all()
        }
    return ideas, dict(activity), points


def move_to(path: Path, url: str, handle: str, name: str, department: str) -> int:
    """`idearoom directory import` of a one-line directory that puts a person in another department."""
    path.write_text(f"handle,name,department,role\n{handle},{name},{department},staff\n", encoding="utf-8")
    import os

    os.environ["IDEAROOM_DATABASE_URL"] = url
    try:
        return main(["directory", "import", str(path)])
    finally:
        del os.environ["IDEAROOM_DATABASE_URL"]


async def test_a_scripted_month_leaves_the_summaries_equal_to_a_recount(
    month: tuple[Story, ManualClock, str], tmp_path: Path
) -> None:
    story, clock, url = month
    await story.say("minji", "/idea 민원실 대기표를 문자로 알려 주세요")  # 31 October, 23:50 in Seoul
    clock.advance(minutes=40)  # 1 November 00:30 in Seoul, still October in UTC: a November idea
    await story.say("junho", "/idea 하천 산책로에 밤길 조명을 달아 주세요")
    clock.advance(days=9)
    await story.say("minji", "/idea 청사 자전거 보관소를 늘려 주세요")
    await story.say("seoyeon", "/idea 구내식당 잔반을 줄이는 방법을 찾아요")
    await story.say("seoyeon", "/idea 회의실 예약을 모바일로 하게 해 주세요")
    for person, idea in (("jiwoo", 3), ("junho", 3), ("seoyeon", 2), ("jiwoo", 4), ("dohyun", 5)):
        await story.say(person, f"/support {idea}")
    assert "철회했습니다" in (await story.say("seoyeon", "/idea withdraw 5"))[0]
    [merged] = await story.say("sujin", "/idea merge 4 into 2")  # 4's supports move to 2 or go
    assert "#4" in merged
    jiwoo = (await story.rows(Person, Person.handle == "jiwoo"))[0].id
    await story.say("sujin", "/erase @jiwoo")
    await story.press("sujin", f"erase:{jiwoo}")
    assert await summaries(story) == await recount(story)

    # Minji moves to 도로과: her ideas and points of every month go with her.
    road = (await story.rows(Department, Department.name == "도로과"))[0].id
    assert await asyncio.to_thread(move_to, tmp_path / "org.csv", url, "minji", "박민지", "도로과") == 0
    assert (await story.rows(Person, Person.handle == "minji"))[0].department_id == road
    ideas, participants, points = await recount(story)
    assert await summaries(story) == (ideas, participants, points)
    assert (
        ideas[("2026-11", road)] == 2 and ideas[("2026-10", road)] == 1
    )  # junho's and minji's November ideas, her October one

    # What people see is the recount.
    [text, *_] = await story.say("sujin", "/report 2026-11")
    november = sum(n for (m, _), n in ideas.items() if m == "2026-11")
    assert f"아이디어 {november}건 · 참여자 {participants['2026-11']}명" in text
    assert f"지급된 미소포인트: {sum(p for (period, _), (p, _) in points.items() if period == '2026-11')}점" in text
    road_line = next(line for line in text.splitlines() if "도로과" in line)
    assert (
        f"직원 아이디어 {ideas[('2026-11', road)]}건" in road_line
        and f"포인트 {points[('2026-11', road)][0]}점" in road_line
    )
    [board] = await story.say("minji", "/leaderboard departments")
    by_name = {d.id: d.name for d in await story.rows(Department)}
    expected = sorted(
        ((p, by_name[k]) for (period, k), (p, _) in points.items() if period == "2026-11" and k),
        key=lambda x: (-x[0], x[1]),
    )
    shown = re.findall(r"^\d+위 (.+?) — (-?\d+)점", board, flags=re.M)
    assert [(name, int(p)) for name, p in shown] == [(name, p) for p, name in expected][:10]
    own = board.splitlines()[-1]  # minji's own department, now 도로과
    assert own.startswith("우리 부서:") and own.endswith(f"({points[('2026-11', road)][0]}점)"), own


async def test_a_reversed_award_and_a_merge_of_people_keep_the_department_points(
    month: tuple[Story, ManualClock, str],
) -> None:
    story, clock, _ = month
    clock.advance(days=2)
    await story.say("minji", "/idea 버스정류장에 온열의자를 설치해 주세요")
    await story.say("junho", "/idea 청사 주차장 안내판을 바꿔 주세요")
    await story.say("sujin", "/points give @junho 30 현장 방문 발표")
    await story.say("sujin", "/points deduct @junho 10 중복 지급 정정")
    await story.say("junho", "/idea withdraw 2")
    assert await summaries(story) == await recount(story)
    _, _, points = await recount(story)
    junho = (await story.rows(Person, Person.handle == "junho"))[0]
    async with story.app.db.session() as session:
        own = (
            await session.exec(
                select(PointTotal.points).where(PointTotal.person_id == junho.id, PointTotal.period == "2026-11")
            )
        ).one()
    assert points[("2026-11", junho.department_id)][0] >= own


async def test_the_migration_backfills_the_summaries_from_existing_rows(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0006_perf")
    db = Database(database_url)
    at = datetime(2026, 11, 10, 10, tzinfo=SEOUL)
    boundary = datetime(2026, 11, 1, 0, 30, tzinfo=SEOUL)  # October in UTC, November in Seoul
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                sa.insert(Department.__table__), [dict(id=1, name="교통정책과", duties="", created_at=at)]
            )  # type: ignore[attr-defined]
            await connection.execute(
                sa.insert(Person.__table__),  # type: ignore[attr-defined]
                [
                    dict(id=n, name=f"직원{n}", department_id=1 if n < 3 else None, is_organizer=False, created_at=at)
                    for n in (1, 2, 3)
                ],
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO room (id, platform, external_id, title, is_direct, created_at) VALUES (1, 'console', 'r', 'r', false, :at)"
                ),
                {"at": at},
            )
            await connection.execute(
                sa.insert(Idea.__table__),  # type: ignore[attr-defined]
                [
                    dict(id=n, room_id=1, author_id=a, text="x", support_count=0, created_at=when)
                    for n, (a, when) in enumerate([(1, at), (2, boundary), (3, at)], 1)
                ],
            )
            await connection.execute(
                sa.insert(Support.__table__),
                [dict(idea_id=1, person_id=3, created_at=at), dict(idea_id=3, person_id=1, created_at=at)],
            )  # type: ignore[attr-defined]
            await connection.execute(
                sa.insert(PointEntry.__table__),  # type: ignore[attr-defined]
                [
                    dict(
                        person_id=p, points=v, stage="manual", ref_kind="", award_key=f"k{p}", reason="", created_at=at
                    )
                    for p, v in ((1, 5), (2, 3), (3, 7))
                ],
            )
            await connection.execute(
                sa.insert(PointTotal.__table__),  # type: ignore[attr-defined]
                [dict(person_id=p, period=k, points=v) for p, v in ((1, 5), (2, 3), (3, 7)) for k in period_keys(at)],
            )
        await asyncio.to_thread(upgrade, database_url)
        async with db.session() as session:
            ideas = {(r.month, r.department_key): r.ideas for r in (await session.exec(select(DepartmentMonth))).all()}
            activity = sorted(
                (r.month, r.person_id, r.ideas, r.supports) for r in (await session.exec(select(MonthActivity))).all()
            )
            points = {
                (r.period, r.department_key): (r.points, r.people)
                for r in (await session.exec(select(DepartmentPoints))).all()
            }
        assert ideas == {("2026-11", 1): 2, ("2026-11", 0): 1}
        assert activity == [("2026-11", 1, 1, 1), ("2026-11", 2, 1, 0), ("2026-11", 3, 1, 1)]
        assert points[("2026-11", 1)] == (8, 2) and points[("all", 0)] == (7, 1) and len(points) == 8
    finally:
        await db.dispose()


async def test_the_report_and_the_departments_leaderboard_read_only_the_summaries(
    month: tuple[Story, ManualClock, str],
) -> None:
    """At a city's size, counting the month's ideas and totals took 40–100 ms; the summaries are a few rows."""
    story, clock, _ = month
    clock.advance(days=2)
    await story.say("minji", "/idea 버스정류장에 온열의자를 설치해 주세요")
    await story.say("junho", "/support 1")
    engine = story.app.db.engine
    reads: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        report = await story.say("sujin", "/report 2026-11")
        board = await story.say("minji", "/leaderboard departments")
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert "아이디어 1건 · 참여자 2명" in report[0] and "1위 교통정책과 — 1점" in board[0]
    plans = []
    async with story.app.db.session() as session:
        connection = await session.connection()
        if engine.dialect.name == "postgresql":
            await connection.exec_driver_sql(
                "SET LOCAL enable_seqscan = off"
            )  # tiny tables: see whether an index can serve
        for statement, parameters in reads:
            explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = (await connection.exec_driver_sql(explain + statement, parameters)).all()  # type: ignore[arg-type]
            plans.append(" ".join(str(row[-1] if engine.dialect.name == "sqlite" else row[0]) for row in rows))
    everything = "\n".join(plans)
    for table in GROWING:
        assert not re.search(rf"\b(SCAN|SEARCH|Scan on|Scan using \w+ on) {table}\b", everything), (table, everything)
    if engine.dialect.name == "sqlite":
        for table in ("departmentmonth", "departmentpoints", "monthactivity"):
            assert f"SEARCH {table} USING" in everything, (table, everything)
    else:
        for table in ("departmentmonth", "departmentpoints", "monthactivity"):
            assert f"{table}_pkey" in everything and f"Seq Scan on {table}" not in everything, (table, everything)
