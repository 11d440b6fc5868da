"""A person's summary for a home screen: their points, their rooms' topics, what waits for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.committee_rules import recused
from bot.people import person_of_account
from storage.db import Database
from storage.tables import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeVote,
    Department,
    Idea,
    Invitation,
    InvitationState,
    Person,
    PointEntry,
    Proposal,
    ProposalState,
    Room,
    Support,
    Topic,
    TopicState,
    TopicSupport,
)


@dataclass(frozen=True)
class RoomTopic:
    """The topic now running in a room the person took part in."""

    room_title: str
    topic_title: str
    closes_at: datetime | None


@dataclass(frozen=True)
class Waiting:
    """Something that waits for the person's answer; `kind` is invitation, review or vote."""

    kind: str
    ref_id: int
    title: str
    due_at: datetime | None = None


@dataclass
class HomeSummary:
    """Everything a home screen shows one person."""

    person: Person
    points: int = 0
    topics: list[RoomTopic] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)


async def home_of_account(db: Database, platform: str, user_id: str) -> HomeSummary | None:
    """The home screen of whoever holds `platform:user_id`, or None for an account the bot does not know."""
    async with db.session() as session:
        person = await person_of_account(session, platform, user_id)
        return await home_summary(session, person) if person else None


async def points_balance(session: AsyncSession, person_id: int) -> int:
    total = (await session.exec(select(func.sum(PointEntry.points)).where(PointEntry.person_id == person_id))).one()
    return int(total or 0)


async def rooms_taken_part_in(session: AsyncSession, person_id: int) -> set[int]:
    """Rooms where the person posted or supported an idea, suggested or supported a topic, or was invited."""
    queries = (
        select(Idea.room_id).where(Idea.author_id == person_id),
        select(Idea.room_id).join(Support, Support.idea_id == Idea.id).where(Support.person_id == person_id),
        select(Topic.room_id).where(Topic.suggested_by == person_id),
        select(Topic.room_id).join(TopicSupport, TopicSupport.topic_id == Topic.id).where(TopicSupport.person_id == person_id),
        select(Invitation.room_id).where(
            Invitation.head_person_id == person_id, Invitation.state == InvitationState.accepted
        ),
    )
    rooms: set[int] = set()
    for query in queries:
        rooms.update((await session.exec(query)).all())
    return rooms


async def active_topics(session: AsyncSession, room_ids: set[int]) -> list[RoomTopic]:
    if not room_ids:
        return []
    rows = (
        await session.exec(
            select(Topic, Room)
            .join(Room, Room.id == Topic.room_id)
            .where(Topic.room_id.in_(room_ids), Topic.state == TopicState.active)  # type: ignore[attr-defined]
            .order_by(Topic.picked_at, Topic.id)
        )
    ).all()
    return [RoomTopic(room.title or room.external_id, topic.title, topic.closes_at) for topic, room in rows]


async def pending_invitations(session: AsyncSession, person_id: int) -> list[Waiting]:
    rows = (
        await session.exec(
            select(Invitation, Topic, Room)
            .join(Room, Room.id == Invitation.room_id)
            .join(Topic, Topic.id == Invitation.topic_id, isouter=True)
            .where(Invitation.head_person_id == person_id, Invitation.state == InvitationState.pending)
            .order_by(Invitation.id)
        )
    ).all()
    return [
        Waiting("invitation", inv.id, topic.title if topic else (room.title or room.external_id), inv.expires_at)  # type: ignore[arg-type]
        for inv, topic, room in rows
    ]


async def proposals_to_review(session: AsyncSession, person_id: int) -> list[Waiting]:
    """Submitted proposals of the departments the person heads."""
    rows = (
        await session.exec(
            select(Proposal)
            .join(Department, Department.id == Proposal.department_id)
            .where(Department.head_person_id == person_id, Proposal.state == ProposalState.submitted)
            .order_by(Proposal.review_due_at, Proposal.id)
        )
    ).all()
    return [Waiting("review", p.id, p.title, p.review_due_at) for p in rows]  # type: ignore[arg-type]


async def committee_votes(session: AsyncSession, person_id: int) -> list[Waiting]:
    """Maturing proposals on an open meeting's agenda that the member has not voted on."""
    member = (
        await session.exec(
            select(CommitteeMember).where(CommitteeMember.person_id == person_id, CommitteeMember.active == True)  # noqa: E712
        )
    ).first()
    if member is None:
        return []
    meeting = (
        await session.exec(
            select(CommitteeMeeting)
            .where(CommitteeMeeting.agenda_sent_at.is_not(None), CommitteeMeeting.tallied_at.is_(None))  # type: ignore[union-attr]
            .order_by(CommitteeMeeting.meets_at)
        )
    ).first()
    if meeting is None:
        return []
    voted = select(CommitteeVote.proposal_id).where(
        CommitteeVote.meeting_id == meeting.id, CommitteeVote.person_id == person_id
    )
    rows = (
        await session.exec(
            select(Proposal)
            .where(Proposal.state == ProposalState.maturing, Proposal.id.not_in(voted))  # type: ignore[union-attr]
            .order_by(Proposal.id)
        )
    ).all()
    # A proposal the member proposed or rejected is not theirs to vote on (recusal).
    return [
        Waiting("vote", p.id, p.title, meeting.meets_at)  # type: ignore[arg-type]
        for p in rows
        if person_id not in await recused(session, p.id)  # type: ignore[arg-type]
    ]


async def home_summary(session: AsyncSession, person: Person) -> HomeSummary:
    """Points, current topics of the person's rooms, and what waits for their answer."""
    assert person.id is not None
    rooms = await rooms_taken_part_in(session, person.id)
    waiting = (
        await pending_invitations(session, person.id)
        + await proposals_to_review(session, person.id)
        + await committee_votes(session, person.id)
    )
    return HomeSummary(
        person=person,
        points=await points_balance(session, person.id),
        topics=await active_topics(session, rooms),
        waiting=waiting,
    )
