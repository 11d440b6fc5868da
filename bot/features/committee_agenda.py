"""The committee's quarterly agenda of maturing proposals, sent to every member with recusal shown."""

from __future__ import annotations

from bot.committee.queries import agenda_ideas, agenda_of, committee_members
from bot.committee.rules import KEEP, REVIVE, recused
from bot.committee.workflow import meeting_for
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator
from bot.jobs import COMMITTEE_AGENDA, meeting_times
from bot.messages import Button
from bot.periods import Quarter
from bot.registry import registry
from bot.text import clip
from storage.tables import CommitteeMeeting, Department, Person, Proposal, Reminder

AGENDA_IDEAS_SHOWN = 5


async def recusal_line(ctx: Context, t: Translator, away: dict[int, str]) -> str | None:
    if not away:
        return None
    names = []
    for person_id, why in away.items():
        person = await ctx.session.get(Person, person_id)
        if person is not None:
            names.append(t(f"committee.recused_{why}", name=person.name))
    return t("committee.item_recused", people=", ".join(names)) if names else None


async def agenda_refusal(ctx: Context, meeting: CommitteeMeeting) -> str | None:
    """Why an agenda cannot go out (no members, nothing to decide), or None."""
    if meeting.tallied_at is not None:
        return "committee.already_tallied"
    if not await committee_members(ctx):
        return "committee.agenda_no_members"
    if not await agenda_of(ctx, meeting, cutoff=ctx.now()):
        return "committee.agenda_no_proposals"
    return None


async def _agenda_item(
    ctx: Context, t: Translator, meeting: CommitteeMeeting, proposal: Proposal, member: Person
) -> tuple[str, list[list[Button]]]:
    assert proposal.id is not None
    ideas = await agenda_ideas(ctx, proposal)
    department = await ctx.session.get(Department, proposal.department_id) if proposal.department_id else None
    lines = [t("committee.item_title", number=proposal.id, title=proposal.title)]
    if department:
        lines.append(t("committee.item_department", department=department.name))
    lines.append(t("committee.item_reason", reason=proposal.rejection_reason or t("committee.no_reason")))
    lines.append(t("committee.item_supports", ideas=len(ideas), supports=sum(i.support_count for i in ideas)))
    for idea in ideas[:AGENDA_IDEAS_SHOWN]:
        lines.append(t("committee.item_idea", number=idea.id, text=clip(idea.text, 60), supports=idea.support_count))
    if len(ideas) > AGENDA_IDEAS_SHOWN:
        lines.append(t("committee.item_more_ideas", count=len(ideas) - AGENDA_IDEAS_SHOWN))
    member_ids = {p.id for p in await committee_members(ctx)}
    away = {pid: why for pid, why in (await recused(ctx.session, proposal.id)).items() if pid in member_ids}
    line = await recusal_line(ctx, t, away)
    if line:
        lines.append(line)
    if member.id in away:
        lines.append(t(f"committee.you_recuse_{away[member.id]}"))
        return "\n".join(lines), []
    action = f"vote:{meeting.id}:{proposal.id}"
    buttons = [
        [
            Button(t("committee.button_revive"), f"{action}:{REVIVE}"),
            Button(t("committee.button_keep"), f"{action}:{KEEP}"),
        ]
    ]
    return "\n".join(lines), buttons


async def send_agenda(ctx: Context, meeting: CommitteeMeeting) -> tuple[int, int]:
    """Send every active member the agenda with vote buttons; returns (members reached, proposals)."""
    if meeting.tallied_at is not None:
        raise UserError("committee.already_tallied", quarter=ctx.period(meeting.quarter))
    meeting.agenda_sent_at = ctx.now()
    ctx.session.add(meeting)
    await ctx.session.flush()
    proposals = await agenda_of(ctx, meeting)
    quarter = Quarter.parse(meeting.quarter)
    times = meeting_times(ctx.settings, quarter)
    reached = 0
    members = await committee_members(ctx)
    for member in members:
        t = ctx.translator(member)
        header = t(
            "committee.agenda_header",
            quarter=ctx.period(meeting.quarter, member),
            date=ctx.date(times.meets_at, member),
            deadline=ctx.when(times.tally_at, member),
            count=len(proposals),
        )
        if ctx.settings.committee_quorum:
            header += "\n" + t("committee.agenda_quorum_fixed", quorum=ctx.settings.committee_quorum)
        else:
            header += "\n" + t("committee.agenda_quorum_majority", members=len(members))
        if not proposals:
            header += "\n" + t("committee.agenda_empty")
        if await ctx.tell(member, header) is None:
            continue
        reached += 1
        for proposal in proposals:
            text, buttons = await _agenda_item(ctx, t, meeting, proposal, member)
            await ctx.tell(member, text, buttons)
    ctx.audit("committee.agenda_sent", "meeting", meeting.id, proposals=[p.id for p in proposals], members=reached)
    return reached, len(proposals)


@registry.reminder(COMMITTEE_AGENDA)
async def agenda_due(ctx: Context, reminder: Reminder) -> None:
    """A week before the meeting: the agenda goes out, unless an organizer already sent it."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.agenda_sent_at is not None or meeting.tallied_at is not None:
        return
    refusal = await agenda_refusal(ctx, meeting)
    if refusal:
        await ctx.tell_organizers(refusal, quarter=ctx.period(meeting.quarter))
        return
    reached, proposals = await send_agenda(ctx, meeting)
    await ctx.tell_organizers(
        "committee.agenda_sent", members=reached, proposals=proposals, quarter=ctx.period(meeting.quarter)
    )
