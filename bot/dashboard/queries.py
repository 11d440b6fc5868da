"""Read-only queries behind the dashboard's pages: rooms, topics, ideas, proposals, points, committee, audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.committee.minutes import MinutesRow, minutes_rows
from bot.people import SYSTEM_PLATFORM, account
from bot.points.periods import Period
from bot.proposals.queries import ideas_of, proposers
from bot.proposals.states import LISTING_ORDER, bot_actor_key
from storage.tables import (
    AuditEntry,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeVote,
    Department,
    FieldVisit,
    Idea,
    Invitation,
    Person,
    PointEntry,
    PointTotal,
    Proposal,
    ProposalIdea,
    ProposalState,
    ProposalTransition,
    Room,
    Topic,
    TopicState,
)

S = ProposalState
DUE_SOON = timedelta(days=7)
UNDER_REVIEW = (S.submitted, S.supplement)
PUBLIC_STATES = (S.adopted, S.implementing, S.implemented)
IDEA_STATES = ("open", "proposed", "withdrawn", "merged")
PAGE = 200  # rows a list shows at most: the office's quarter fits, a runaway query does not


async def _names(session: AsyncSession, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = (
        await session.exec(
            select(model.id, model.name if hasattr(model, "name") else model.title).where(col(model.id).in_(wanted))
        )
    ).all()
    return {row[0]: row[1] for row in rows}


async def rooms(session: AsyncSession) -> list[Room]:
    """The group rooms (direct chats are nobody's business here)."""
    return list(
        (
            await session.exec(select(Room).where(col(Room.is_direct).is_(False), Room.id != 0).order_by(col(Room.id)))
        ).all()
    )


async def departments(session: AsyncSession) -> list[Department]:
    return list((await session.exec(select(Department).order_by(col(Department.name)))).all())


async def directory_people(session: AsyncSession) -> list[Person]:
    """People of the directory (they have a handle), for the forms that name a person."""
    return list(
        (await session.exec(select(Person).where(col(Person.handle).is_not(None)).order_by(col(Person.name)))).all()
    )


# --- proposals ------------------------------------------------------------------------------------


@dataclass
class ProposalLine:
    proposal: Proposal
    department: str
    overdue: bool
    due_soon: bool


def _review_flags(proposal: Proposal, now: datetime) -> tuple[bool, bool]:
    if proposal.state != S.submitted or proposal.review_due_at is None:
        return False, False
    overdue = proposal.review_due_at < now
    return overdue, not overdue and proposal.review_due_at < now + DUE_SOON


async def proposal_lines(
    session: AsyncSession,
    now: datetime,
    *,
    state: str = "",
    department_ids: tuple[int, ...] | None = None,
    due_only: bool = False,
) -> list[ProposalLine]:
    """Proposals, newest first, filtered by state and department; `due_only`: under review and due within a week or overdue."""
    query = select(Proposal)
    if state:
        query = query.where(Proposal.state == state)
    if department_ids is not None:
        query = query.where(col(Proposal.department_id).in_(department_ids))
    if due_only:
        query = query.where(
            Proposal.state == S.submitted,
            col(Proposal.review_due_at).is_not(None),
            col(Proposal.review_due_at) < now + DUE_SOON,
        )
        query = query.order_by(col(Proposal.review_due_at))
    else:
        query = query.order_by(col(Proposal.id).desc())
    found = list((await session.exec(query.limit(PAGE))).all())
    names = await _names(session, Department, {p.department_id for p in found})
    lines = []
    for proposal in found:
        overdue, soon = _review_flags(proposal, now)
        lines.append(ProposalLine(proposal, names.get(proposal.department_id or 0, ""), overdue, soon))
    return lines


@dataclass
class TimelineStep:
    at: datetime
    from_state: str
    to_state: str
    actor: str
    reason: str
    undone: bool
    by: str = ""  # the catalog key naming what decided a change the bot recorded (자문단 의결), never the bot


@dataclass
class ProposalDetail:
    proposal: Proposal
    department: Department | None
    ideas: list[Idea]
    proposers: list[Person]
    implementer: Person | None
    timeline: list[TimelineStep]
    answer: str  # the department's answer: the reason given with the latest decision or supplement request
    overdue: bool
    due_soon: bool


async def proposal_detail(session: AsyncSession, number: int, now: datetime) -> ProposalDetail | None:
    proposal = await session.get(Proposal, number)
    if proposal is None:
        return None
    transitions = (
        await session.exec(
            select(ProposalTransition)
            .where(ProposalTransition.proposal_id == number)
            .order_by(col(ProposalTransition.id))
        )
    ).all()
    actors = await _names(session, Person, {t.actor_id for t in transitions})
    bot = await account(session, SYSTEM_PLATFORM, SYSTEM_PLATFORM)
    timeline = [
        TimelineStep(t.at, t.from_state, t.to_state, "", t.reason, t.undone, bot_actor_key(t.from_state, t.to_state))
        if bot is not None and t.actor_id == bot.person_id
        else TimelineStep(t.at, t.from_state, t.to_state, actors.get(t.actor_id or 0, ""), t.reason, t.undone)
        for t in transitions
    ]
    answers = [
        t.reason
        for t in transitions
        if not t.undone and t.to_state in (S.adopted, S.rejected, S.supplement) and t.reason
    ]
    overdue, soon = _review_flags(proposal, now)
    return ProposalDetail(
        proposal=proposal,
        department=await session.get(Department, proposal.department_id) if proposal.department_id else None,
        ideas=await ideas_of(session, number),
        proposers=await proposers(session, number),
        implementer=await session.get(Person, proposal.implementer_id) if proposal.implementer_id else None,
        timeline=timeline,
        answer=answers[-1] if answers else "",
        overdue=overdue,
        due_soon=soon,
    )


# --- ideas ----------------------------------------------------------------------------------------


@dataclass
class IdeaLine:
    idea: Idea
    author: str
    room: str
    topic: str
    state: str  # open, proposed, withdrawn, merged
    proposals: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class IdeaFilter:
    words: str = ""
    room_id: int | None = None
    topic_id: int | None = None
    month: Period | None = None
    state: str = ""
    sort: str = "supports"  # supports or newest
    author_id: int | None = None


async def idea_lines(session: AsyncSession, wanted: IdeaFilter) -> list[IdeaLine]:
    """Ideas of every room, filtered as the organizer asked, most supported (or newest) first."""
    in_proposal = select(ProposalIdea.idea_id)
    query = select(Idea)
    if wanted.words:
        for word in wanted.words.split()[:5]:
            query = query.where(col(Idea.text).contains(word))
    if wanted.room_id is not None:
        query = query.where(Idea.room_id == wanted.room_id)
    if wanted.topic_id is not None:
        query = query.where(Idea.topic_id == wanted.topic_id)
    if wanted.author_id is not None:
        query = query.where(Idea.author_id == wanted.author_id)
    if wanted.month is not None:
        query = query.where(col(Idea.created_at) >= wanted.month.start, col(Idea.created_at) < wanted.month.end)
    if wanted.state == "withdrawn":
        query = query.where(col(Idea.withdrawn_at).is_not(None))
    elif wanted.state == "merged":
        query = query.where(col(Idea.merged_into_id).is_not(None))
    elif wanted.state in ("open", "proposed"):
        query = query.where(col(Idea.withdrawn_at).is_(None), col(Idea.merged_into_id).is_(None))
        inside = col(Idea.id).in_(in_proposal)
        query = query.where(inside if wanted.state == "proposed" else sa.not_(inside))
    order = (
        [col(Idea.support_count).desc(), col(Idea.id).desc()] if wanted.sort == "supports" else [col(Idea.id).desc()]
    )
    found = list((await session.exec(query.order_by(*order).limit(PAGE))).all())
    authors = await _names(session, Person, {i.author_id for i in found})
    room_names = {
        r.id: r.title or r.external_id
        for r in (await session.exec(select(Room).where(col(Room.id).in_({i.room_id for i in found})))).all()
    }
    topics = await _names(session, Topic, {i.topic_id for i in found})
    links = (await session.exec(select(ProposalIdea).where(col(ProposalIdea.idea_id).in_({i.id for i in found})))).all()
    proposals_of: dict[int, list[int]] = {}
    for link in links:
        proposals_of.setdefault(link.idea_id, []).append(link.proposal_id)
    lines = []
    for idea in found:
        assert idea.id is not None
        state = (
            "withdrawn"
            if idea.withdrawn_at
            else "merged"
            if idea.merged_into_id
            else "proposed"
            if idea.id in proposals_of
            else "open"
        )
        lines.append(
            IdeaLine(
                idea,
                authors.get(idea.author_id, ""),
                room_names.get(idea.room_id, ""),
                topics.get(idea.topic_id or 0, ""),
                state,
                proposals_of.get(idea.id, []),
            )
        )
    return lines


async def topics_of_rooms(session: AsyncSession) -> list[Topic]:
    return list((await session.exec(select(Topic).order_by(col(Topic.id).desc()).limit(PAGE))).all())


# --- overview -------------------------------------------------------------------------------------


@dataclass
class RoomLine:
    room: Room
    topic: Topic | None
    candidates: list[Topic]


async def room_lines(session: AsyncSession) -> list[RoomLine]:
    """Each room with its running topic and its candidates, most supported first."""
    lines = []
    for room in await rooms(session):
        topics = (
            await session.exec(
                select(Topic).where(
                    Topic.room_id == room.id, col(Topic.state).in_((TopicState.active, TopicState.candidate))
                )
            )
        ).all()
        active = next((t for t in topics if t.state == TopicState.active), None)
        candidates = sorted(
            (t for t in topics if t.state == TopicState.candidate), key=lambda t: (-t.support_count, t.id or 0)
        )
        lines.append(RoomLine(room, active, candidates))
    return lines


async def month_topics(session: AsyncSession, month: Period) -> list[Topic]:
    """Topics open at some time in the month."""
    query = select(Topic).where(
        col(Topic.picked_at).is_not(None),
        col(Topic.picked_at) < month.end,
        or_(col(Topic.closed_at).is_(None), col(Topic.closed_at) >= month.start),
    )
    return list((await session.exec(query.order_by(col(Topic.picked_at)))).all())


# --- topics and invitations -----------------------------------------------------------------------


@dataclass
class InvitationLine:
    invitation: Invitation
    head: str
    department: str
    topic: str
    room: str
    visits: list[FieldVisit]


async def invitation_lines(session: AsyncSession, *, head_id: int | None = None) -> list[InvitationLine]:
    """Invitations with their answers and field visits, newest first (one head's only, when given)."""
    query = select(Invitation)
    if head_id is not None:
        query = query.where(Invitation.head_person_id == head_id)
    found = list((await session.exec(query.order_by(col(Invitation.id).desc()).limit(PAGE))).all())
    heads = await _names(session, Person, {i.head_person_id for i in found})
    departments_ = await _names(session, Department, {i.department_id for i in found})
    topics = await _names(session, Topic, {i.topic_id for i in found})
    room_names = {
        r.id: r.title or r.external_id
        for r in (await session.exec(select(Room).where(col(Room.id).in_({i.room_id for i in found})))).all()
    }
    visits = (
        await session.exec(
            select(FieldVisit)
            .where(col(FieldVisit.invitation_id).in_({i.id for i in found}))
            .order_by(col(FieldVisit.visit_at))
        )
    ).all()
    lines = []
    for invitation in found:
        lines.append(
            InvitationLine(
                invitation,
                heads.get(invitation.head_person_id, ""),
                departments_.get(invitation.department_id, ""),
                topics.get(invitation.topic_id or 0, ""),
                room_names.get(invitation.room_id, ""),
                [v for v in visits if v.invitation_id == invitation.id],
            )
        )
    return lines


# --- points ---------------------------------------------------------------------------------------


@dataclass
class PointsLine:
    person: Person
    department: str
    points: int


async def points_lines(session: AsyncSession, period_label: str = "all") -> list[PointsLine]:
    """Everyone with points in the period, most first."""
    rows = (
        await session.exec(
            select(Person, PointTotal.points)
            .join(PointTotal, col(PointTotal.person_id) == col(Person.id))
            .where(PointTotal.period == period_label, PointTotal.points != 0)
            .order_by(col(PointTotal.points).desc(), col(Person.name))
            .limit(PAGE)
        )
    ).all()
    names = await _names(session, Department, {p.department_id for p, _ in rows})
    return [PointsLine(person, names.get(person.department_id or 0, ""), points) for person, points in rows]


async def ledger_of(session: AsyncSession, person_id: int) -> list[PointEntry]:
    """One person's ledger entries, newest first."""
    query = select(PointEntry).where(PointEntry.person_id == person_id).order_by(col(PointEntry.id).desc()).limit(PAGE)
    return list((await session.exec(query)).all())


async def total_of(session: AsyncSession, person_id: int) -> int:
    row = (
        await session.exec(
            select(PointTotal.points).where(PointTotal.person_id == person_id, PointTotal.period == "all")
        )
    ).first()
    return int(row or 0)


# --- committee ------------------------------------------------------------------------------------


@dataclass
class MeetingLine:
    meeting: CommitteeMeeting
    votes: list[tuple[str, int, str]]  # (member, proposal, choice)
    minutes: list[MinutesRow]


@dataclass
class CommitteeView:
    members: list[tuple[Person, bool]]  # (person, is chair)
    agenda: list[Proposal]  # what the next meeting would vote on: the maturing proposals
    meetings: list[MeetingLine]


async def committee_view(session: AsyncSession) -> CommitteeView:
    members = (
        await session.exec(
            select(Person, CommitteeMember.is_chair)
            .join(CommitteeMember, col(CommitteeMember.person_id) == col(Person.id))
            .where(col(CommitteeMember.active).is_(True))
            .order_by(col(CommitteeMember.is_chair).desc(), col(Person.name))
        )
    ).all()
    agenda = list(
        (await session.exec(select(Proposal).where(Proposal.state == S.maturing).order_by(col(Proposal.id)))).all()
    )
    meetings = []
    for meeting in (
        await session.exec(select(CommitteeMeeting).order_by(col(CommitteeMeeting.meets_at).desc()).limit(8))
    ).all():
        votes = (
            await session.exec(
                select(CommitteeVote).where(CommitteeVote.meeting_id == meeting.id).order_by(col(CommitteeVote.id))
            )
        ).all()
        voters = await _names(session, Person, {v.person_id for v in votes})
        minutes = await minutes_rows(session, meeting) if meeting.tallied_at else []
        meetings.append(
            MeetingLine(meeting, [(voters.get(v.person_id, ""), v.proposal_id, v.choice) for v in votes], minutes)
        )
    return CommitteeView([(person, bool(chair)) for person, chair in members], agenda, meetings)


# --- audit ----------------------------------------------------------------------------------------


@dataclass
class AuditLine:
    entry: AuditEntry
    actor: str


async def audit_lines(session: AsyncSession, action: str = "", limit: int = PAGE) -> list[AuditLine]:
    query = select(AuditEntry)
    if action:
        query = query.where(col(AuditEntry.action).startswith(action))
    found = list((await session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit))).all())
    actors = await _names(session, Person, {e.actor_id for e in found})
    return [AuditLine(e, actors.get(e.actor_id or 0, "")) for e in found]


# --- the public page ------------------------------------------------------------------------------


@dataclass
class PublicLine:
    proposal: Proposal
    department: str
    proposers: list[str]  # empty unless the office chose to name them


async def public_lines(session: AsyncSession, *, with_names: bool) -> list[PublicLine]:
    """Adopted, implementing and implemented proposals, most recently decided first."""
    query = (
        select(Proposal)
        .where(col(Proposal.state).in_(PUBLIC_STATES))
        .order_by(col(Proposal.decided_at).desc(), col(Proposal.id).desc())
    )
    found = list((await session.exec(query.limit(PAGE))).all())
    names = await _names(session, Department, {p.department_id for p in found})
    lines = []
    for proposal in found:
        assert proposal.id is not None
        people = [p.name for p in await proposers(session, proposal.id)] if with_names else []
        lines.append(PublicLine(proposal, names.get(proposal.department_id or 0, ""), people))
    return lines


def state_order() -> tuple[str, ...]:
    """The states in the order /proposals lists them."""
    return LISTING_ORDER


async def count_ideas(session: AsyncSession, author_id: int) -> int:
    return int((await session.exec(select(func.count()).select_from(Idea).where(Idea.author_id == author_id))).one())


async def read(db: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one of these queries in a session of its own (the web layer never holds a session)."""
    async with db.session() as session:
        return await query(session, *args, **kwargs)
