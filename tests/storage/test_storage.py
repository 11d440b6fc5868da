"""The storage layer on SQLite and PostgreSQL: uniqueness, UTC times, de-duplication, the schema."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, func, select

from bot.messages import Actor, IncomingMessage, Place
from storage.db import Database, insert_ignoring_conflict
from storage.tables import AuditEntry, Idea, Identity, Person, ProcessedEvent, Room, Support, Topic, TopicState
from tests.harness import Story, test_settings


@pytest.fixture
async def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield database
    await database.dispose()


async def _room_and_people(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        room = Room(platform="test", external_id="r1")
        alice, bob = Person(name="alice"), Person(name="bob")
        session.add_all([room, alice, bob])
        await session.flush()
        return room.id, alice.id, bob.id  # type: ignore[return-value]


async def test_times_come_back_aware_in_utc(db: Database) -> None:
    room_id, alice, _ = await _room_and_people(db)
    seoul_noon = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    async with db.session() as session:
        session.add(Idea(room_id=room_id, author_id=alice, text="x", created_at=seoul_noon))
    async with db.session() as session:
        idea = (await session.exec(select(Idea))).one()
    assert idea.created_at.tzinfo is not None
    assert idea.created_at.utcoffset() == timedelta(0)
    assert idea.created_at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    room_id, alice, _ = await _room_and_people(db)
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as session:
            session.add(Idea(room_id=room_id, author_id=alice, text="x", created_at=datetime(2026, 1, 1)))


async def test_one_support_per_person_is_enforced_by_the_database(db: Database) -> None:
    room_id, alice, bob = await _room_and_people(db)
    async with db.session() as session:
        idea = Idea(room_id=room_id, author_id=alice, text="x")
        session.add(idea)
        await session.flush()
        idea_id = idea.id
    async with db.session() as session:
        assert await insert_ignoring_conflict(session, Support, dict(idea_id=idea_id, person_id=bob))
        assert not await insert_ignoring_conflict(session, Support, dict(idea_id=idea_id, person_id=bob))
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Support(idea_id=idea_id, person_id=bob))
    async with db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Support))).one() == 1


async def test_an_identity_belongs_to_one_person(db: Database) -> None:
    _, alice, bob = await _room_and_people(db)
    async with db.session() as session:
        session.add(Identity(person_id=alice, platform="telegram", external_id="42"))
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Identity(person_id=bob, platform="telegram", external_id="42"))


async def test_concurrent_claims_of_one_event_let_exactly_one_win(db: Database) -> None:
    async def claim() -> bool:
        async with db.session() as session:
            return await insert_ignoring_conflict(
                session, ProcessedEvent, dict(platform="telegram", event_id="update-7")
            )

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert results.count(True) == 1


async def test_the_same_event_on_two_cores_is_handled_once(database_url: str) -> None:
    """Two workers (two apps on one database) receive the same delivery at the same time."""
    from idearoom.wiring import build_app

    first = await Story.start(test_settings(database_url))
    other = build_app(test_settings(database_url))
    try:
        event = IncomingMessage(
            "dup-1", Actor("test", "minji", "minji", "minji"), Place("test", "room", "room"), "/idea 동시에 두 번", "u1"
        )
        outcomes = await asyncio.gather(first.app.core.handle(event), other.core.handle(event))
        assert sorted(o.duplicate for o in outcomes) == [False, True]
        async with first.app.db.session() as session:
            assert (await session.exec(select(func.count()).select_from(Idea))).one() == 1
    finally:
        await other.close()
        await first.close()


async def test_concurrent_supports_are_all_counted(database_url: str) -> None:
    story = await Story.start(test_settings(database_url))
    try:
        await story.say("minji", "/idea 동시 공감 시험")
        people = ["junho", "seoyeon", "jiwoo", "sujin", "dohyun", "haeun"]
        for person in people:  # identities first, so the race below is about supports only
            await story.say(person, "/help")
        await asyncio.gather(*(story.say(person, "/support 1") for person in people))
        async with story.app.db.session() as session:
            idea = await session.get(Idea, 1)
            supports = (await session.exec(select(func.count()).select_from(Support))).one()
        assert idea is not None and idea.support_count == supports == len(people)
    finally:
        await story.close()


async def test_a_room_has_at_most_one_active_topic(db: Database) -> None:
    room_id, alice, _ = await _room_and_people(db)
    async with db.session() as session:
        session.add_all(
            [
                Topic(room_id=room_id, title="지난 주제", state=TopicState.closed),
                Topic(room_id=room_id, title="이번 주제", state=TopicState.active),
                Topic(room_id=room_id, title="후보", state=TopicState.candidate),
            ]
        )
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Topic(room_id=room_id, title="동시에 고른 주제", state=TopicState.active))


async def test_two_organizers_picking_at_once_leave_one_active_topic(database_url: str) -> None:
    story = await Story.start(test_settings(database_url, IDEAROOM_ORGANIZERS="test:dohyun"))
    try:
        await story.say("minji", "/topic suggest 버스정류장 개선")
        await story.say("junho", "/topic suggest 공원 산책로 조명")
        answers = await asyncio.gather(story.say("sujin", "/topic pick 1"), story.say("dohyun", "/topic pick 2"))
        async with story.app.db.session() as session:
            active = (await session.exec(select(Topic).where(Topic.state == TopicState.active))).all()
        assert len(active) == 1
        said = set(text for texts in answers for text in texts)  # both see the room's messages
        assert sum("토론주제가 정해졌습니다" in text for text in said) == 1
        assert sum("이미 진행 중인 토론주제" in text for text in said) == 1  # the other is told why
    finally:
        await story.close()


async def test_a_head_answering_twice_at_once_is_answered_once(database_url: str) -> None:
    """A double tap, or accept and decline from two devices, handled by two workers at once."""
    story = await Story.start(test_settings(database_url))
    try:
        await story.say("minji", "/topic suggest 버스정류장 신호등 안전")
        await story.say("sujin", "/topic pick")
        await story.dm("dohyun", "/start")
        await story.say("sujin", "/invite 교통정책과")
        toasts = await asyncio.gather(
            story.press("dohyun", "inv:1:accept", room="dm:dohyun"),
            story.press("dohyun", "inv:1:decline", room="dm:dohyun"),
        )
        async with story.app.db.session() as session:
            audits = (
                await session.exec(select(AuditEntry.action).where(AuditEntry.subject_kind == "invitation"))
            ).all()
        answers = [a for a in audits if a in ("invitation.accepted", "invitation.declined")]
        assert len(answers) == 1
        assert sum("이미 답하신 초대장" in (toast or "") for toast in toasts) == 1
        assert len(story.gateway.invites) == (1 if answers == ["invitation.accepted"] else 0)
    finally:
        await story.close()
