"""Read-only lookups about the committee: its members and chair, its meetings, the agenda and the votes cast."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.committee.rules import NO_QUORUM
from bot.context import Context
from bot.proposals.queries import ideas_of
from storage.tables import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOutcome,
    CommitteeVote,
    Idea,
    Person,
    Proposal,
    ProposalState,
    ProposalTransition,
)


async def committee_members(ctx: Context) -> list[Person]:
    """The active members of the advisory committee, in the order they joined."""
    rows = await ctx.session.exec(
        select(Person)
        .join(CommitteeMember, col(CommitteeMember.person_id) == Person.id)
        .where(CommitteeMember.active == True)  # noqa: E712
        .order_by(col(CommitteeMember.id))
    )
    return list(rows.all())


async def committee_membership(ctx: Context, person: Person) -> CommitteeMember | None:
    """The person's committee membership, active or not."""
    return (await ctx.session.exec(select(CommitteeMember).where(CommitteeMember.person_id == person.id))).first()


async def committee_chair(ctx: Context) -> Person | None:
    """The chair (위원장), if an organizer appointed one among the active members."""
    return (
        await ctx.session.exec(
            select(Person)
            .join(CommitteeMember, col(CommitteeMember.person_id) == Person.id)
            .where(CommitteeMember.active == True, CommitteeMember.is_chair == True)  # noqa: E712
        )
    ).first()


async def chairs(ctx: Context) -> list[CommitteeMember]:
    """Every membership marked as the chair (one at most, unless a change is under way)."""
    return list((await ctx.session.exec(select(CommitteeMember).where(CommitteeMember.is_chair == True))).all())  # noqa: E712


async def entered_maturing(ctx: Context, proposal: Proposal) -> datetime:
    """When the proposal was last rejected (and so began to mature)."""
    at = (
        await ctx.session.exec(
            select(ProposalTransition.at)
            .where(
                ProposalTransition.proposal_id == proposal.id,
                col(ProposalTransition.to_state).in_((ProposalState.rejected, ProposalState.maturing)),
                ProposalTransition.undone == False,  # noqa: E712
            )
            .order_by(col(ProposalTransition.at).desc())
        )
    ).first()
    return at or proposal.decided_at or proposal.updated_at


async def agenda_of(ctx: Context, meeting: CommitteeMeeting, cutoff: datetime | None = None) -> list[Proposal]:
    """Maturing proposals that began to mature after the previous agenda and up to this one's."""
    cutoff = cutoff or meeting.agenda_sent_at or ctx.now()
    previous = (
        await ctx.session.exec(
            select(CommitteeMeeting)
            .where(CommitteeMeeting.meets_at < meeting.meets_at, col(CommitteeMeeting.agenda_sent_at).is_not(None))
            .order_by(col(CommitteeMeeting.meets_at).desc())
        )
    ).first()
    since = previous.agenda_sent_at if previous else None
    # What the last meeting could not decide for want of a quorum comes back on this agenda.
    carried: set[int] = set()
    if previous is not None:
        carried = set(
            (
                await ctx.session.exec(
                    select(CommitteeOutcome.proposal_id).where(
                        CommitteeOutcome.meeting_id == previous.id, CommitteeOutcome.outcome == NO_QUORUM
                    )
                )
            ).all()
        )
    maturing = (
        await ctx.session.exec(
            select(Proposal).where(Proposal.state == ProposalState.maturing).order_by(col(Proposal.id))
        )
    ).all()
    agenda = []
    for proposal in maturing:
        began = await entered_maturing(ctx, proposal)
        if proposal.id in carried or (began <= cutoff and (since is None or began > since)):
            agenda.append(proposal)
    return agenda


async def agenda_ideas(ctx: Context, proposal: Proposal) -> list[Idea]:
    """A proposal's ideas as the agenda shows them: the most supported first."""
    assert proposal.id is not None
    ideas = await ideas_of(ctx.session, proposal.id)
    return sorted(ideas, key=lambda idea: (-idea.support_count, idea.id or 0))


async def votes(ctx: Context, meeting: CommitteeMeeting, proposal: Proposal) -> dict[int, str]:
    """Each member's vote on one agenda item: person id → revive or keep."""
    rows = (
        await ctx.session.exec(
            select(CommitteeVote.person_id, CommitteeVote.choice).where(
                CommitteeVote.meeting_id == meeting.id, CommitteeVote.proposal_id == proposal.id
            )
        )
    ).all()
    return {person_id: choice for person_id, choice in rows}


async def member_vote(ctx: Context, meeting: CommitteeMeeting, proposal: Proposal) -> CommitteeVote:
    """The vote this person already cast on the item."""
    return (
        await ctx.session.exec(
            select(CommitteeVote).where(
                CommitteeVote.meeting_id == meeting.id,
                CommitteeVote.proposal_id == proposal.id,
                CommitteeVote.person_id == ctx.person.id,
            )
        )
    ).one()


async def open_meeting(ctx: Context) -> CommitteeMeeting | None:
    """The meeting whose agenda went out and whose vote is still open, if any."""
    return (
        await ctx.session.exec(
            select(CommitteeMeeting)
            .where(col(CommitteeMeeting.agenda_sent_at).is_not(None), col(CommitteeMeeting.tallied_at).is_(None))
            .order_by(col(CommitteeMeeting.meets_at))
        )
    ).first()


async def tallied_meeting(ctx: Context, quarter: str | None) -> CommitteeMeeting | None:
    """The tallied meeting of a quarter (`2026-Q2`), or the latest one."""
    query = select(CommitteeMeeting).where(col(CommitteeMeeting.tallied_at).is_not(None))
    if quarter:
        query = query.where(CommitteeMeeting.quarter == quarter.upper())
    return (await ctx.session.exec(query.order_by(col(CommitteeMeeting.meets_at).desc()))).first()
