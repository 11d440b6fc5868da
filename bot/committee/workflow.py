"""Changing the committee: members and chair, meetings, votes cast, the tally and the minutes sent out."""

from __future__ import annotations

import logging

from sqlmodel import select

from bot.committee import queries
from bot.committee.minutes import minutes_text
from bot.committee.rules import KEEP, KEPT, NO_QUORUM, REVIVE, REVIVED, outcome_of, quorum_of, recused
from bot.context import Context
from bot.errors import UserError
from bot.jobs import meeting_times
from bot.periods import Quarter
from bot.proposals.workflow import revive_proposal
from storage.db import insert_ignoring_conflict
from storage.tables import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOutcome,
    CommitteeVote,
    Person,
    Proposal,
    ProposalState,
    Room,
)

log = logging.getLogger(__name__)


async def add_member(ctx: Context, person: Person) -> None:
    """Make the person an active member again or for the first time."""
    member = await queries.committee_membership(ctx, person)
    if member is not None and member.active:
        raise UserError("committee.already_member", name=ctx.called(person))
    assert person.id is not None and ctx.person.id is not None
    if member is None:
        member = CommitteeMember(person_id=person.id, added_by=ctx.person.id, added_at=ctx.now())
    member.active, member.added_by, member.added_at = True, ctx.person.id, ctx.now()
    ctx.session.add(member)
    await ctx.session.flush()
    ctx.audit("committee.member_added", "person", person.id)


async def active_membership(ctx: Context, person: Person, refusal_key: str) -> CommitteeMember:
    """The person's active membership; `refusal_key` answers when they are not a member."""
    member = await queries.committee_membership(ctx, person)
    if member is None or not member.active:
        raise UserError(refusal_key, name=ctx.called(person))
    return member


async def remove_member(ctx: Context, person: Person) -> None:
    member = await active_membership(ctx, person, "committee.not_a_member")
    member.active, member.is_chair = False, False
    ctx.session.add(member)
    ctx.audit("committee.member_removed", "person", person.id)


async def set_chair(ctx: Context, person: Person) -> None:
    """The chair among the members: one at a time."""
    member = await active_membership(ctx, person, "committee.chair_not_member")
    for other in await queries.chairs(ctx):
        other.is_chair = False
        ctx.session.add(other)
    member.is_chair = True
    ctx.session.add(member)
    ctx.audit("committee.chair_set", "person", person.id)


async def meeting_for(ctx: Context, quarter: Quarter) -> CommitteeMeeting:
    """The meeting of a quarter, created on first use (two workers may race: the key decides)."""
    times = meeting_times(ctx.settings, quarter)
    await insert_ignoring_conflict(
        ctx.session, CommitteeMeeting, dict(quarter=quarter.label, meets_at=times.meets_at, created_at=ctx.now())
    )
    return (await ctx.session.exec(select(CommitteeMeeting).where(CommitteeMeeting.quarter == quarter.label))).one()


async def record_vote(ctx: Context, meeting: CommitteeMeeting, proposal: Proposal, choice: str) -> None:
    """A member's vote on an agenda item; voting again changes it, until the tally."""
    values = dict(
        meeting_id=meeting.id, proposal_id=proposal.id, person_id=ctx.person.id, choice=choice, voted_at=ctx.now()
    )
    if not await insert_ignoring_conflict(ctx.session, CommitteeVote, values):
        vote = await queries.member_vote(ctx, meeting, proposal)
        vote.choice, vote.voted_at = choice, ctx.now()
        ctx.session.add(vote)
    ctx.audit("committee.voted", "proposal", proposal.id, meeting=meeting.id, choice=choice)


async def tally(ctx: Context, meeting: CommitteeMeeting, closed_by: Person | None = None) -> list[CommitteeOutcome]:
    """Decide each agenda proposal: revived when a quorum voted and most of them chose to revive.

    Only members who may vote on it count (the recused, and anyone no longer a member, do not);
    the outcome is stored as the meeting's minutes.
    """
    results = []
    default = ctx.translator()
    members = {p.id for p in await queries.committee_members(ctx)}
    for proposal in await queries.agenda_of(ctx, meeting):
        assert proposal.id is not None and meeting.id is not None
        away = {pid: why for pid, why in (await recused(ctx.session, proposal.id)).items() if pid in members}
        eligible = members - set(away)
        votes = {
            pid: choice for pid, choice in (await queries.votes(ctx, meeting, proposal)).items() if pid in eligible
        }
        revive, keep = sum(c == REVIVE for c in votes.values()), sum(c == KEEP for c in votes.values())
        quorum = quorum_of(ctx.settings, len(eligible))
        outcome = outcome_of(revive, keep, quorum, len(eligible))
        if outcome == REVIVED and proposal.state == ProposalState.maturing:
            reason = default("committee.revive_reason", quarter=ctx.period(meeting.quarter), revive=revive, keep=keep)
            try:
                async with ctx.session.begin_nested():  # one refused revival must not undo the tally
                    # Resubmitted through the proposals workflow (points, review reminders, the head told).
                    await revive_proposal(ctx, proposal, by_committee=True, reason=reason)
            except UserError as error:
                log.warning("committee could not revive proposal %s: %s", proposal.id, error.key)
                outcome = KEPT
            room = await ctx.session.get(Room, proposal.room_id) if proposal.room_id else None
            if outcome == REVIVED and room is not None:
                ctx.post(
                    room,
                    default(
                        "committee.revived_room", number=proposal.id, title=proposal.title, revive=revive, keep=keep
                    ),
                )
        elif outcome == REVIVED:
            outcome = KEPT
        row = CommitteeOutcome(
            meeting_id=meeting.id,
            proposal_id=proposal.id,
            revive=revive,
            keep=keep,
            eligible=len(eligible),
            quorum=quorum,
            quorum_met=outcome != NO_QUORUM,
            outcome=outcome,
            recused=[[person_id, why] for person_id, why in away.items()],
            decided_at=ctx.now(),
        )
        ctx.session.add(row)
        results.append(row)
    meeting.tallied_at = ctx.now()
    meeting.closed_by = closed_by.id if closed_by else None
    ctx.session.add(meeting)
    await ctx.session.flush()
    ctx.audit(
        "committee.tallied",
        "meeting",
        meeting.id,
        revived=[r.proposal_id for r in results if r.outcome == REVIVED],
        kept=[r.proposal_id for r in results if r.outcome == KEPT],
        no_quorum=[r.proposal_id for r in results if r.outcome == NO_QUORUM],
        closed_by=meeting.closed_by,
    )
    return results


async def finish(ctx: Context, meeting: CommitteeMeeting, closed_by: Person | None = None) -> list[CommitteeOutcome]:
    """Close the vote: tally, post the minutes in the proposals' rooms, tell organizers and members."""
    results = await tally(ctx, meeting, closed_by)
    room_ids: list[int] = []
    for result in results:
        proposal = await ctx.session.get(Proposal, result.proposal_id)
        if proposal is not None and proposal.room_id and proposal.room_id not in room_ids:
            room_ids.append(proposal.room_id)
    for room_id in room_ids:
        room = await ctx.session.get(Room, room_id)
        if room is not None:
            ctx.post(room, await minutes_text(ctx.session, ctx.translator(), meeting, ctx.settings.tz))
    people = {p.id: p for p in await ctx.organizers()}
    people.update({p.id: p for p in await queries.committee_members(ctx)})
    for person in people.values():
        await ctx.tell(person, await minutes_text(ctx.session, ctx.translator(person), meeting, ctx.settings.tz))
    return results
