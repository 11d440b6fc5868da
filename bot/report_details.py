"""The month's details behind the report's sheets: proposals and their outcome, topics and invitations, visits, committee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.points.periods import Period
from storage.tables import (
    CommitteeMeeting,
    CommitteeOutcome,
    Department,
    FieldVisit,
    Invitation,
    Person,
    Proposal,
    ProposalState,
    ProposalTransition,
    Topic,
    id_of,
)

# Changes of state that are a decision on the proposal (what the month decided).
DECISIONS = (ProposalState.adopted, ProposalState.rejected, ProposalState.implemented, ProposalState.withdrawn)


@dataclass(frozen=True)
class ProposalLine:
    """A proposal the month created or moved, with the month's last decision on it."""

    number: int
    title: str
    state: str
    department: str
    submitted_at: datetime | None
    review_due_at: datetime | None
    outcome: str | None  # a state of DECISIONS, or None when the month decided nothing on it
    decided_at: datetime | None
    reason: str


@dataclass(frozen=True)
class InvitationLine:
    """An invitation of a head to the month's topic, and the answer."""

    topic: str
    department: str
    head: str
    invited_at: datetime
    state: str
    answered_at: datetime | None


@dataclass(frozen=True)
class TopicLine:
    """A topic that was open during the month."""

    title: str
    picked_at: datetime | None
    closes_at: datetime | None


@dataclass(frozen=True)
class VisitLine:
    """A field visit dated in the month."""

    visit_at: datetime
    place: str
    department: str
    head: str
    topic: str
    state: str


@dataclass(frozen=True)
class CommitteeLine:
    """One agenda proposal of a committee meeting tallied in the month, as its minutes record it."""

    quarter: str
    number: int
    title: str
    revive: int
    keep: int
    outcome: str  # revived, kept, no_quorum


@dataclass
class MonthDetails:
    proposals: list[ProposalLine]
    topics: list[TopicLine]
    invitations: list[InvitationLine]
    visits: list[VisitLine]
    committee: list[CommitteeLine]
    meetings: list[str]  # quarters whose meeting was tallied in the month, with or without an agenda


_Named = TypeVar("_Named", Department, Person)


def _within(column: Mapped[datetime | None], period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.start, column < period.end)


async def _names(session: AsyncSession, model: type[_Named], ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = (await session.exec(select(model).where(col(model.id).in_(wanted)))).all()
    return {id_of(row): row.name for row in rows}


async def proposal_lines(session: AsyncSession, period: Period) -> list[ProposalLine]:
    transitions = (
        await session.exec(
            select(ProposalTransition)
            .where(_within(col(ProposalTransition.at), period), ProposalTransition.undone == False)  # noqa: E712
            .order_by(col(ProposalTransition.at), col(ProposalTransition.id))
        )
    ).all()
    decided: dict[int, ProposalTransition] = {}
    for transition in transitions:
        if transition.to_state in DECISIONS:
            decided[transition.proposal_id] = transition  # the month's last decision wins
    moved = {t.proposal_id for t in transitions}
    proposals = (
        await session.exec(
            select(Proposal)
            .where(sa.or_(_within(col(Proposal.created_at), period), col(Proposal.id).in_(list(moved) or [-1])))
            .order_by(col(Proposal.id))
        )
    ).all()
    departments = await _names(session, Department, {p.department_id for p in proposals})
    lines = []
    for p in proposals:
        number = id_of(p)
        decision = decided.get(number)
        lines.append(
            ProposalLine(
                number=number,
                title=p.title,
                state=p.state,
                department=departments.get(p.department_id, "") if p.department_id else "",
                submitted_at=p.submitted_at,
                review_due_at=p.review_due_at,
                outcome=decision.to_state if decision else None,
                decided_at=decision.at if decision else None,
                reason=decision.reason if decision else "",
            )
        )
    return lines


async def topic_lines(session: AsyncSession, period: Period) -> tuple[list[TopicLine], list[InvitationLine]]:
    """Topics open at some time in the month, and every invitation to them."""
    topics = (
        await session.exec(
            select(Topic)
            .where(
                col(Topic.picked_at) != None,  # noqa: E711
                col(Topic.picked_at) < period.end,
                sa.or_(col(Topic.closed_at) == None, col(Topic.closed_at) >= period.start),  # noqa: E711
            )
            .order_by(col(Topic.picked_at), col(Topic.id))
        )
    ).all()
    titles = {t.id: t.title for t in topics}
    invitations = (
        await session.exec(
            select(Invitation)
            .where(col(Invitation.topic_id).in_(list(titles) or [-1]))
            .order_by(col(Invitation.created_at), col(Invitation.id))
        )
    ).all()
    departments = await _names(session, Department, {i.department_id for i in invitations})
    heads = await _names(session, Person, {i.head_person_id for i in invitations})
    return (
        [TopicLine(t.title, t.picked_at, t.closed_at or t.closes_at) for t in topics],
        [
            InvitationLine(
                titles[i.topic_id],
                departments.get(i.department_id, ""),
                heads.get(i.head_person_id, ""),
                i.created_at,
                i.state,
                i.answered_at,
            )
            for i in invitations
        ],
    )


async def visit_lines(session: AsyncSession, period: Period) -> list[VisitLine]:
    rows = (
        await session.exec(
            select(FieldVisit, Invitation)
            .join(Invitation, col(Invitation.id) == col(FieldVisit.invitation_id))
            .where(_within(col(FieldVisit.visit_at), period))
            .order_by(col(FieldVisit.visit_at), col(FieldVisit.id))
        )
    ).all()
    departments = await _names(session, Department, {i.department_id for _, i in rows})
    heads = await _names(session, Person, {i.head_person_id for _, i in rows})
    topic_ids = {v.topic_id for v, _ in rows if v.topic_id is not None}
    topics = {
        t.id: t.title
        for t in (await session.exec(select(Topic).where(col(Topic.id).in_(list(topic_ids) or [-1])))).all()
    }
    return [
        VisitLine(
            v.visit_at,
            v.place,
            departments.get(i.department_id, ""),
            heads.get(i.head_person_id, ""),
            topics.get(v.topic_id, ""),
            v.state,
        )
        for v, i in rows
    ]


async def committee_lines(session: AsyncSession, period: Period) -> tuple[list[CommitteeLine], list[str]]:
    """Each agenda proposal of the meetings tallied in the month, from the minutes the tally stored."""
    meetings = (
        await session.exec(
            select(CommitteeMeeting)
            .where(_within(col(CommitteeMeeting.tallied_at), period))
            .order_by(col(CommitteeMeeting.meets_at))
        )
    ).all()
    quarters = {m.id: m.quarter for m in meetings}
    rows = (
        await session.exec(
            select(CommitteeOutcome, Proposal.title)
            .join(Proposal, col(Proposal.id) == col(CommitteeOutcome.proposal_id))
            .where(col(CommitteeOutcome.meeting_id).in_(list(quarters) or [-1]))
            .order_by(col(CommitteeOutcome.meeting_id), col(CommitteeOutcome.proposal_id))
        )
    ).all()
    lines = [
        CommitteeLine(quarters[o.meeting_id], o.proposal_id, title, o.revive, o.keep, o.outcome) for o, title in rows
    ]
    return lines, [m.quarter for m in meetings]


async def month_details(session: AsyncSession, period: Period) -> MonthDetails:
    topics, invitations = await topic_lines(session, period)
    committee, meetings = await committee_lines(session, period)
    return MonthDetails(
        proposals=await proposal_lines(session, period),
        topics=topics,
        invitations=invitations,
        visits=await visit_lines(session, period),
        committee=committee,
        meetings=meetings,
    )
