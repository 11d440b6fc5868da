"""Read-only lookups about topics: candidates, who supports them, the ideas and people of a topic."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    Department,
    FieldVisit,
    Idea,
    Invitation,
    InvitationState,
    Person,
    Reminder,
    Support,
    Topic,
    TopicState,
    TopicSupport,
)

# Built once: every idea posted looks it up, and building a statement costs more CPU than running it.
_ACTIVE_TOPIC = select(Topic).where(Topic.room_id == sa.bindparam("room_id"), Topic.state == TopicState.active)


async def active_topic(session: AsyncSession, room_id: int) -> Topic | None:
    """The topic now running in a room, if any."""
    return (await session.exec(_ACTIVE_TOPIC, params={"room_id": room_id})).first()


async def same_title(session: AsyncSession, room_id: int, title: str) -> Topic | None:
    """A candidate or the active topic of this room with this title (case does not matter)."""
    return (
        await session.exec(
            select(Topic).where(
                Topic.room_id == room_id, Topic.state != TopicState.closed, sa.func.lower(Topic.title) == title.lower()
            )
        )
    ).first()


async def candidates(session: AsyncSession, room_id: int, limit: int | None = None) -> list[Topic]:
    """A room's candidates, most supported first; on a tie, the one suggested first."""
    query = (
        select(Topic)
        .where(Topic.room_id == room_id, Topic.state == TopicState.candidate)
        .order_by(col(Topic.support_count).desc(), col(Topic.id))
    )
    return list((await session.exec(query.limit(limit) if limit else query)).all())


async def supporters(session: AsyncSession, topic_ids: list[int]) -> dict[int, list[str]]:
    """The names of who supports each candidate, in the order they did."""
    found: dict[int, list[str]] = {}
    rows = await session.exec(
        select(TopicSupport.topic_id, Person.name)
        .join(Person, col(Person.id) == TopicSupport.person_id)
        .where(col(TopicSupport.topic_id).in_(topic_ids))
        .order_by(col(TopicSupport.id))
    )
    for topic_id, name in rows.all():
        found.setdefault(topic_id, []).append(name)
    return found


async def names(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = (await session.exec(select(Person.id, Person.name).where(col(Person.id).in_(person_ids)))).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


async def idea_count(session: AsyncSession, topic_id: int) -> int:
    return (await session.exec(select(func.count()).select_from(Idea).where(Idea.topic_id == topic_id))).one()


async def participants(session: AsyncSession, topic_id: int) -> int:
    """How many people posted or supported an idea of the topic."""
    authors = set((await session.exec(select(Idea.author_id).where(Idea.topic_id == topic_id))).all())
    supporters_ = set(
        (
            await session.exec(
                select(Support.person_id).join(Idea, col(Idea.id) == Support.idea_id).where(Idea.topic_id == topic_id)
            )
        ).all()
    )
    return len(authors | supporters_)


async def top_ideas(session: AsyncSession, topic_id: int, limit: int) -> list[tuple[Idea, str]]:
    """The most supported ideas of the topic with their authors' names."""
    rows = await session.exec(
        select(Idea, Person.name)
        .join(Person, col(Person.id) == Idea.author_id)
        .where(Idea.topic_id == topic_id)
        .order_by(col(Idea.support_count).desc(), col(Idea.id))
        .limit(limit)
    )
    return list(rows.all())


async def joined_heads(session: AsyncSession, topic_id: int) -> list[tuple[str, str]]:
    """(department, head) for every head who accepted an invitation to the topic, first to answer first."""
    rows = await session.exec(
        select(Department.name, Person.name)
        .join(Invitation, col(Invitation.department_id) == Department.id)
        .join(Person, col(Person.id) == Invitation.head_person_id)
        .where(Invitation.topic_id == topic_id, Invitation.state == InvitationState.accepted)
        .order_by(col(Invitation.answered_at), col(Invitation.id))
    )
    return list(rows.all())


async def visits(session: AsyncSession, topic_id: int) -> list[tuple[FieldVisit, str, str]]:
    """The planned or held field visits of the topic with department and head, soonest first."""
    rows = await session.exec(
        select(FieldVisit, Department.name, Person.name)
        .join(Invitation, col(Invitation.id) == FieldVisit.invitation_id)
        .join(Department, col(Department.id) == Invitation.department_id)
        .join(Person, col(Person.id) == Invitation.head_person_id)
        .where(FieldVisit.topic_id == topic_id, FieldVisit.state != "cancelled")
        .order_by(col(FieldVisit.visit_at))
    )
    return list(rows.all())


async def reminded_topic(session: AsyncSession, reminder: Reminder) -> Topic | None:
    """The topic a stored reminder is about."""
    topic_id = (reminder.payload or {}).get("topic_id")
    return await session.get(Topic, topic_id) if isinstance(topic_id, int) else None
