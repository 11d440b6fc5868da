"""The committee's vote: the vote buttons, reminders to who has not voted, the tally with its
quorum, the chair's close and the minutes."""

from __future__ import annotations

import logging

from sqlmodel import select

from bot.audience import committee_chair, committee_members, committee_membership
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.features.committee_agenda import (
    KEEP,
    NO_QUORUM,
    REVIVE,
    agenda_of,
    meeting_for,
    quorum_of,
    recused,
)
from bot.jobs import (
    COMMITTEE_NUDGE,
    COMMITTEE_TALLY,
    meeting_times,
    schedule_committee,
)
from bot.messages import Button
from bot.periods import Quarter
from bot.proposals.workflow import revive_proposal
from bot.registry import registry
from bot.text import is_number
from storage.db import insert_ignoring_conflict
from storage.tables import (
    CommitteeMeeting,
    CommitteeOutcome,
    CommitteeVote,
    Person,
    Proposal,
    ProposalState,
    Room,
)

log = logging.getLogger(__name__)

REVIVED, KEPT = "revived", "kept"


# --- votes -------------------------------------------------------------------------------------


@registry.button("vote")
async def vote_pressed(ctx: Context, args: list[str]) -> str:
    """`vote:<meeting>:<proposal>:revive|keep`; a member may change their vote until the tally."""
    if len(args) != 3 or not is_number(args[0]) or not is_number(args[1]) or args[2] not in (REVIVE, KEEP):
        return ctx.t("error.unknown_button")
    meeting = await ctx.session.get(CommitteeMeeting, int(args[0]))
    proposal = await ctx.session.get(Proposal, int(args[1]))
    if meeting is None or proposal is None:
        return ctx.t("error.unknown_button")
    member = await committee_membership(ctx, ctx.person)
    if member is None or not member.active:
        raise NotAllowed(action="committee.vote", key="committee.not_member_vote")
    if meeting.tallied_at is not None:
        raise UserError("committee.vote_closed", quarter=ctx.period(meeting.quarter))
    if proposal.id not in {p.id for p in await agenda_of(ctx, meeting)}:
        raise UserError("committee.not_on_agenda", number=proposal.id)
    why = (await recused(ctx, proposal)).get(ctx.person.id)  # type: ignore[arg-type]
    if why is not None:
        ctx.audit("committee.vote_refused", "proposal", proposal.id, meeting=meeting.id, recused=why)
        raise UserError(f"committee.recused_vote_{why}", number=proposal.id)
    choice = args[2]
    values = dict(meeting_id=meeting.id, proposal_id=proposal.id, person_id=ctx.person.id, choice=choice, voted_at=ctx.now())
    if not await insert_ignoring_conflict(ctx.session, CommitteeVote, values):
        vote = (
            await ctx.session.exec(
                select(CommitteeVote).where(
                    CommitteeVote.meeting_id == meeting.id,
                    CommitteeVote.proposal_id == proposal.id,
                    CommitteeVote.person_id == ctx.person.id,
                )
            )
        ).one()
        vote.choice, vote.voted_at = choice, ctx.now()
        ctx.session.add(vote)
    ctx.audit("committee.voted", "proposal", proposal.id, meeting=meeting.id, choice=choice)
    return ctx.t(f"committee.voted_{choice}", number=proposal.id)


# --- tally, closing and minutes ----------------------------------------------------------------


async def _votes(ctx: Context, meeting: CommitteeMeeting, proposal: Proposal) -> dict[int, str]:
    rows = (
        await ctx.session.exec(
            select(CommitteeVote.person_id, CommitteeVote.choice).where(
                CommitteeVote.meeting_id == meeting.id, CommitteeVote.proposal_id == proposal.id
            )
        )
    ).all()
    return {person_id: choice for person_id, choice in rows}


async def _revive(ctx: Context, proposal: Proposal, reason: str) -> None:
    """Resubmit through the proposals workflow (points, review reminders, the head told)."""
    await revive_proposal(ctx, proposal, by_committee=True, reason=reason)


async def tally(ctx: Context, meeting: CommitteeMeeting, closed_by: Person | None = None) -> list[CommitteeOutcome]:
    """Decide each agenda proposal: revived when a quorum voted and most of them chose to revive.

    Only members who may vote on it count (the recused, and anyone no longer a member, do not);
    the outcome is stored as the meeting's minutes.
    """
    results = []
    default = ctx.translator()
    members = {p.id for p in await committee_members(ctx)}
    for proposal in await agenda_of(ctx, meeting):
        away = {pid: why for pid, why in (await recused(ctx, proposal)).items() if pid in members}
        eligible = members - set(away)
        votes = {pid: choice for pid, choice in (await _votes(ctx, meeting, proposal)).items() if pid in eligible}
        revive, keep = sum(c == REVIVE for c in votes.values()), sum(c == KEEP for c in votes.values())
        quorum = quorum_of(ctx, len(eligible))
        quorum_met = bool(eligible) and revive + keep >= quorum
        outcome = NO_QUORUM if not quorum_met else REVIVED if revive > keep else KEPT
        if outcome == REVIVED and proposal.state == ProposalState.maturing:
            reason = default("committee.revive_reason", quarter=ctx.period(meeting.quarter), revive=revive, keep=keep)
            try:
                async with ctx.session.begin_nested():  # one refused revival must not undo the tally
                    await _revive(ctx, proposal, reason)
            except UserError as error:
                log.warning("committee could not revive proposal %s: %s", proposal.id, error.key)
                outcome = KEPT
            room = await ctx.session.get(Room, proposal.room_id) if proposal.room_id else None
            if outcome == REVIVED and room is not None:
                ctx.post(room, default("committee.revived_room", number=proposal.id, title=proposal.title, revive=revive, keep=keep))
        elif outcome == REVIVED:
            outcome = KEPT
        row = CommitteeOutcome(
            meeting_id=meeting.id,  # type: ignore[arg-type]
            proposal_id=proposal.id,  # type: ignore[arg-type]
            revive=revive,
            keep=keep,
            eligible=len(eligible),
            quorum=quorum,
            quorum_met=quorum_met,
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
    from bot.committee_minutes import minutes_text

    results = await tally(ctx, meeting, closed_by)
    room_ids = []
    for result in results:
        proposal = await ctx.session.get(Proposal, result.proposal_id)
        if proposal is not None and proposal.room_id and proposal.room_id not in room_ids:
            room_ids.append(proposal.room_id)
    for room_id in room_ids:
        room = await ctx.session.get(Room, room_id)
        if room is not None:
            ctx.post(room, await minutes_text(ctx.session, ctx.translator(), meeting, ctx.settings.tz))
    people = {p.id: p for p in await ctx.organizers()}
    people.update({p.id: p for p in await committee_members(ctx)})
    for person in people.values():
        await ctx.tell(person, await minutes_text(ctx.session, ctx.translator(person), meeting, ctx.settings.tz))
    return results


async def open_meeting(ctx: Context) -> CommitteeMeeting | None:
    """The meeting whose agenda went out and whose vote is still open, if any."""
    return (
        await ctx.session.exec(
            select(CommitteeMeeting)
            .where(CommitteeMeeting.agenda_sent_at != None, CommitteeMeeting.tallied_at == None)  # noqa: E711
            .order_by(CommitteeMeeting.meets_at)  # type: ignore[arg-type]
        )
    ).first()


async def close_vote(ctx: Context) -> None:
    """`/committee close`: the chair ends the vote and the minutes go out."""
    chair = await committee_chair(ctx)
    if chair is None or chair.id != ctx.person.id:
        if chair is None and ctx.is_organizer():
            raise UserError("committee.no_chair")
        raise NotAllowed(action="committee.close", key="committee.chair_only")
    meeting = await open_meeting(ctx)
    if meeting is None:
        raise UserError("committee.nothing_to_close")
    results = await finish(ctx, meeting, closed_by=ctx.person)
    ctx.reply(ctx.t("committee.closed", quarter=ctx.period(meeting.quarter), count=len(results)))


async def show_minutes(ctx: Context, label: str | None) -> None:
    """`/committee minutes [2026-Q2]`: the minutes of a tallied meeting (the latest by default)."""
    from bot.committee_minutes import minutes_text

    query = select(CommitteeMeeting).where(CommitteeMeeting.tallied_at != None)  # noqa: E711
    if label:
        query = query.where(CommitteeMeeting.quarter == label.upper())
    meeting = (await ctx.session.exec(query.order_by(CommitteeMeeting.meets_at.desc()))).first()  # type: ignore[attr-defined]
    if meeting is None:
        raise UserError("committee.no_minutes", quarter=(label or "")[:10])
    ctx.reply(await minutes_text(ctx.session, ctx.translator(ctx.person), meeting, ctx.settings.tz))


@registry.reminder(COMMITTEE_NUDGE)
async def nudge_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """The business day before the meeting: members who have not voted get their open items."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.agenda_sent_at is None or meeting.tallied_at is not None:
        return
    agenda = await agenda_of(ctx, meeting)
    times = meeting_times(ctx.settings, Quarter.parse(meeting.quarter))
    for member in await committee_members(ctx):
        t = ctx.translator(member)
        missing: list[Proposal] = []
        for proposal in agenda:
            if member.id in await recused(ctx, proposal):
                continue
            if member.id not in await _votes(ctx, meeting, proposal):
                missing.append(proposal)
        if not missing:
            continue
        quarter, date = ctx.period(meeting.quarter, member), ctx.date(times.meets_at, member)
        lines = [t("committee.nudge", quarter=quarter, date=date, count=len(missing))]
        buttons = []
        for proposal in missing:
            lines.append(t("committee.nudge_line", number=proposal.id, title=proposal.title))
            action = f"vote:{meeting.id}:{proposal.id}"
            buttons.append(
                [
                    Button(t("committee.button_revive_n", number=proposal.id), f"{action}:{REVIVE}"),
                    Button(t("committee.button_keep_n", number=proposal.id), f"{action}:{KEEP}"),
                ]
            )
        await ctx.tell(member, "\n".join(lines), buttons)


@registry.reminder(COMMITTEE_TALLY, exact=True)
async def tally_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """End of meeting day: the vote closes by itself unless the chair closed it; plan the next."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.tallied_at is None:
        if meeting.agenda_sent_at is not None:
            await finish(ctx, meeting)
        else:
            meeting.tallied_at = ctx.now()
            ctx.session.add(meeting)
            ctx.audit("committee.tallied", "meeting", meeting.id, revived=[], kept=[], without_agenda=True)
            await ctx.tell_organizers("committee.no_meeting", quarter=ctx.period(meeting.quarter))
    await schedule_committee(ctx.session, ctx.settings, reminder.due_at)
