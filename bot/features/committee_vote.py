"""The committee's vote: the vote buttons, reminders to who has not voted, the chair's close, the tally and the minutes."""

from __future__ import annotations

from bot.committee.minutes import minutes_text
from bot.committee.queries import (
    agenda_of,
    committee_chair,
    committee_members,
    committee_membership,
    open_meeting,
    tallied_meeting,
    votes,
)
from bot.committee.rules import KEEP, REVIVE, recused
from bot.committee.workflow import finish, meeting_for, record_vote
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.jobs import COMMITTEE_NUDGE, COMMITTEE_TALLY, meeting_times, schedule_committee
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.periods import Quarter
from bot.registry import registry
from bot.text import is_number
from storage.tables import CommitteeMeeting, Proposal, Reminder


@registry.button("vote")
async def vote_pressed(ctx: Context, args: list[str]) -> str:
    """`vote:<meeting>:<proposal>:revive|keep`; a member may change their vote until the tally."""
    if len(args) != 3 or not is_number(args[0]) or not is_number(args[1]) or args[2] not in (REVIVE, KEEP):
        return ctx.t("error.unknown_button")
    meeting = await ctx.session.get(CommitteeMeeting, int(args[0]))
    proposal = await ctx.session.get(Proposal, int(args[1]))
    if meeting is None or proposal is None or proposal.id is None:
        return ctx.t("error.unknown_button")
    member = await committee_membership(ctx, ctx.person)
    if member is None or not member.active:
        raise NotAllowed(action="committee.vote", key="committee.not_member_vote")
    if meeting.tallied_at is not None:
        raise UserError("committee.vote_closed", quarter=ctx.period(meeting.quarter))
    if proposal.id not in {p.id for p in await agenda_of(ctx, meeting)}:
        raise UserError("committee.not_on_agenda", number=proposal.id)
    assert ctx.person.id is not None
    why = (await recused(ctx.session, proposal.id)).get(ctx.person.id)
    if why is not None:
        ctx.audit("committee.vote_refused", "proposal", proposal.id, meeting=meeting.id, recused=why)
        raise UserError(f"committee.recused_vote_{why}", number=proposal.id)
    await record_vote(ctx, meeting, proposal, args[2])
    return ctx.t(f"committee.voted_{args[2]}", number=proposal.id)


async def close_vote(ctx: Context, command: ParsedCommand) -> None:
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


async def show_minutes(ctx: Context, command: ParsedCommand) -> None:
    """`/committee minutes [2026-Q2]`: the minutes of a tallied meeting (the latest by default)."""
    label = command.word(1)
    meeting = await tallied_meeting(ctx, label)
    if meeting is None:
        raise UserError("committee.no_minutes", quarter=(label or "")[:10])
    ctx.reply(await minutes_text(ctx.session, ctx.translator(ctx.person), meeting, ctx.settings.tz))


@registry.reminder(COMMITTEE_NUDGE)
async def nudge_due(ctx: Context, reminder: Reminder) -> None:
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
            assert proposal.id is not None
            if member.id in await recused(ctx.session, proposal.id):
                continue
            if member.id not in await votes(ctx, meeting, proposal):
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
async def tally_due(ctx: Context, reminder: Reminder) -> None:
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
