"""A person's summary for a home screen: their points, their rooms' topics, what waits for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.committee.rules import recused
from bot.dates import official_date, official_datetime
from bot.i18n import Translator
from bot.people import person_of_account
from storage.db import Database
from storage.tables import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeVote,
    Department,
    FieldVisit,
    Idea,
    Invitation,
    InvitationState,
    Person,
    PointEntry,
    Proposal,
    ProposalIdea,
    ProposalState,
    Room,
    Support,
    Topic,
    TopicState,
    TopicSupport,
    id_of,
)
from storage.types import utcnow


@dataclass(frozen=True)
class RoomTopic:
    """The topic now running in a room the person took part in."""

    room_title: str
    topic_title: str
    closes_at: datetime | None


@dataclass(frozen=True)
class Waiting:
    """Something that waits for the person; `kind` is invitation, review, vote, visit or supplement."""

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
        select(col(Idea.room_id))
        .join(Support, col(Support.idea_id) == col(Idea.id))
        .where(col(Support.person_id) == person_id),
        select(Topic.room_id).where(Topic.suggested_by == person_id),
        select(col(Topic.room_id))
        .join(TopicSupport, col(TopicSupport.topic_id) == col(Topic.id))
        .where(col(TopicSupport.person_id) == person_id),
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
            .join(Room, col(Room.id) == col(Topic.room_id))
            .where(col(Topic.room_id).in_(room_ids), col(Topic.state) == TopicState.active)
            .order_by(col(Topic.picked_at), col(Topic.id))
        )
    ).all()
    return [RoomTopic(room.title or room.external_id, topic.title, topic.closes_at) for topic, room in rows]


async def pending_invitations(session: AsyncSession, person_id: int) -> list[Waiting]:
    rows = (
        await session.exec(
            select(Invitation, Topic, Room)
            .join(Room, col(Room.id) == col(Invitation.room_id))
            .join(Topic, col(Topic.id) == col(Invitation.topic_id), isouter=True)
            .where(Invitation.head_person_id == person_id, Invitation.state == InvitationState.pending)
            .order_by(col(Invitation.id))
        )
    ).all()
    return [
        Waiting("invitation", id_of(inv), topic.title if topic else (room.title or room.external_id), inv.expires_at)
        for inv, topic, room in rows
    ]


async def proposals_to_review(session: AsyncSession, person_id: int) -> list[Waiting]:
    """Submitted proposals of the departments the person heads."""
    rows = (
        await session.exec(
            select(Proposal)
            .join(Department, col(Department.id) == col(Proposal.department_id))
            .where(Department.head_person_id == person_id, Proposal.state == ProposalState.submitted)
            .order_by(col(Proposal.review_due_at), col(Proposal.id))
        )
    ).all()
    return [Waiting("review", id_of(p), p.title, p.review_due_at) for p in rows]


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
            .where(col(CommitteeMeeting.agenda_sent_at).is_not(None), col(CommitteeMeeting.tallied_at).is_(None))
            .order_by(col(CommitteeMeeting.meets_at))
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
            .where(col(Proposal.state) == ProposalState.maturing, col(Proposal.id).not_in(voted))
            .order_by(col(Proposal.id))
        )
    ).all()
    # A proposal the member proposed or rejected is not theirs to vote on (recusal).
    return [
        Waiting("vote", id_of(p), p.title, meeting.meets_at)
        for p in rows
        if person_id not in await recused(session, id_of(p))
    ]


async def visits_to_confirm(session: AsyncSession, person_id: int, organizer: bool, now: datetime) -> list[Waiting]:
    """Field visits whose time has come and that nobody confirmed yet: the head's own, or all for organizers."""
    query = (
        select(FieldVisit)
        .join(Invitation, col(Invitation.id) == col(FieldVisit.invitation_id))
        .where(FieldVisit.state == "planned", FieldVisit.visit_at <= now)
        .order_by(col(FieldVisit.visit_at), col(FieldVisit.id))
    )
    if not organizer:
        query = query.where(Invitation.head_person_id == person_id)
    return [Waiting("visit", id_of(v), v.place, v.visit_at) for v in (await session.exec(query)).all()]


async def supplements_to_answer(session: AsyncSession, person_id: int) -> list[Waiting]:
    """Proposals of the person's ideas whose department asked for a supplement (보완)."""
    rows = (
        await session.exec(
            select(Proposal)
            .where(
                Proposal.state == ProposalState.supplement,
                col(Proposal.id).in_(
                    select(ProposalIdea.proposal_id)
                    .join(Idea, col(Idea.id) == col(ProposalIdea.idea_id))
                    .where(Idea.author_id == person_id)
                ),
            )
            .order_by(col(Proposal.id))
        )
    ).all()
    return [Waiting("supplement", id_of(p), p.title) for p in rows]


async def waiting_for(
    session: AsyncSession, person: Person, *, organizer: bool = False, now: datetime | None = None
) -> list[Waiting]:
    """Everything that waits for this person: /todo and Slack's App Home both show this list."""
    assert person.id is not None
    return (
        await pending_invitations(session, person.id)
        + await proposals_to_review(session, person.id)
        + await committee_votes(session, person.id)
        + await visits_to_confirm(session, person.id, organizer or person.is_organizer, now or utcnow())
        + await supplements_to_answer(session, person.id)
    )


Local = Callable[[datetime, str], str]


def official_local(tz: tzinfo, locale: str) -> Local:
    """A `Local` writing dates as 공문 do ('2026. 4. 1.(수)', and '… 14:00' when the format has a time)."""

    def local(when: datetime, fmt: str) -> str:
        moment = when.astimezone(tz)
        return official_datetime(moment, locale) if "%H" in fmt else official_date(moment.date(), locale)

    return local


def waiting_line(item: Waiting, t: Translator, local: Local, escape: Callable[[str], str] = lambda text: text) -> str:
    """One line of the list, in the reader's language; `escape` makes the title safe for the platform."""
    title = escape(item.title)
    due = local(item.due_at, "%Y-%m-%d") if item.due_at else ""
    if item.kind == "invitation":
        return t("home.waiting.invitation", title=title)
    if item.kind == "review":
        if item.due_at is None:
            return t("home.waiting.review_no_due", number=item.ref_id, title=title)
        return t("home.waiting.review", number=item.ref_id, title=title, due=due)
    if item.kind == "visit":
        return t(
            "home.waiting.visit",
            number=item.ref_id,
            place=title,
            date=local(item.due_at, "%Y-%m-%d %H:%M") if item.due_at else "",
        )
    if item.kind == "supplement":
        return t("home.waiting.supplement", number=item.ref_id, title=title)
    return t("home.waiting.vote", number=item.ref_id, title=title, due=due)


async def home_summary(
    session: AsyncSession, person: Person, *, organizer: bool = False, now: datetime | None = None
) -> HomeSummary:
    """Points, current topics of the person's rooms, and what waits for their answer."""
    assert person.id is not None
    rooms = await rooms_taken_part_in(session, person.id)
    waiting = await waiting_for(session, person, organizer=organizer, now=now)
    return HomeSummary(
        person=person,
        points=await points_balance(session, person.id),
        topics=await active_topics(session, rooms),
        waiting=waiting,
    )
