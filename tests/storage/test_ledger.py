"""The points ledger on SQLite and PostgreSQL: an award is written once, whatever is replayed or raced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest
from sqlmodel import func, select

from bot.points import ledger
from storage.tables import Person, PointEntry
from tests.harness import Story, test_settings

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


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


async def give(story: Story, pid: int, key: str, points: int = 20) -> bool:
    async with story.app.db.session() as session:
        return await ledger.award(session, pid, points, "proposal_adopted", "proposal", 1, key, "", None, NOW)


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
        assert await ledger.reverse_live(
            session, ref_kind="proposal", ref_id=1, stages={"proposal_adopted"}, reason="undo", awarded_by=None, now=NOW
        ) == 1
    async with db_story.app.db.session() as session:
        # Reversing twice appends nothing more.
        assert await ledger.reverse_live(
            session, ref_kind="proposal", ref_id=1, stages={"proposal_adopted"}, reason="undo", awarded_by=None, now=NOW
        ) == 0
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
            await session.exec(select(func.count()).select_from(PointEntry).where(PointEntry.stage == "proposal_adopted"))
        ).one()
    assert adopted == 1
