"""The committee's quarterly meeting and its agenda of maturing proposals, recusal shown."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot import committee_rules
from bot.audience import committee_members
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator
from bot.jobs import (
    COMMITTEE_AGENDA,
    meeting_times,
)
from bot.messages import Button
from bot.periods import Quarter
from bot.registry import registry
from bot.text import clip
from storage.db import insert_ignoring_conflict
from storage.tables import (
    CommitteeMeeting,
    CommitteeOutcome,
    Department,
    Idea,
    Person,
    Proposal,
    ProposalIdea,
    ProposalState,
    ProposalTransition,
)

AGENDA_IDEAS_SHOWN = 5
REVIVE, KEEP = "revive", "keep"
NO_QUORUM = "no_quorum"


# --- meetings and agendas ---------------------------------------------------------------------


async def meeting_for(ctx: Context, quarter: Quarter) -> CommitteeMeeting:
    """The meeting of a quarter, created on first use (two workers may race: the key decides)."""
    times = meeting_times(ctx.settings, quarter)
    await insert_ignoring_conflict(
        ctx.session, CommitteeMeeting, dict(quarter=quarter.label, meets_at=times.meets_at, created_at=ctx.now())
    )
    return (await ctx.session.exec(select(CommitteeMeeting).where(CommitteeMeeting.quarter == quarter.label))).one()


async def _entered_maturing(ctx: Context, proposal: Proposal) -> datetime:
    """When the proposal was last rejected (and so began to mature)."""
    at = (
        await ctx.session.exec(
            select(ProposalTransition.at)
            .where(
                ProposalTransition.proposal_id == proposal.id,
                ProposalTransition.to_state.in_((ProposalState.rejected, ProposalState.maturing)),  # type: ignore[attr-defined]
                ProposalTransition.undone == False,  # noqa: E712
            )
            .order_by(ProposalTransition.at.desc())  # type: ignore[attr-defined]
        )
    ).first()
    return at or proposal.decided_at or proposal.updated_at


async def agenda_of(ctx: Context, meeting: CommitteeMeeting, cutoff: datetime | None = None) -> list[Proposal]:
    """Maturing proposals that began to mature after the previous agenda and up to this one's."""
    cutoff = cutoff or meeting.agenda_sent_at or ctx.now()
    previous = (
        await ctx.session.exec(
            select(CommitteeMeeting)
            .where(CommitteeMeeting.meets_at < meeting.meets_at, CommitteeMeeting.agenda_sent_at != None)  # noqa: E711
            .order_by(CommitteeMeeting.meets_at.desc())  # type: ignore[attr-defined]
        )
    ).first()
    since = previous.agenda_sent_at if previous else None
    # What the last meeting could not decide for want of a quorum comes back on this agenda.
    carried = set()
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
        await ctx.session.exec(select(Proposal).where(Proposal.state == ProposalState.maturing).order_by(Proposal.id))
    ).all()
    agenda = []
    for proposal in maturing:
        began = await _entered_maturing(ctx, proposal)
        if proposal.id in carried or (began <= cutoff and (since is None or began > since)):
            agenda.append(proposal)
    return agenda


async def recused(ctx: Context, proposal: Proposal) -> dict[int, str]:
    return await committee_rules.recused(ctx.session, proposal.id)  # type: ignore[arg-type]


def quorum_of(ctx: Context, eligible: int) -> int:
    return committee_rules.quorum_of(ctx.settings, eligible)


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


async def _ideas_of(ctx: Context, proposal: Proposal) -> list[Idea]:
    rows = await ctx.session.exec(
        select(Idea)
        .join(ProposalIdea, ProposalIdea.idea_id == Idea.id)  # type: ignore[arg-type]
        .where(ProposalIdea.proposal_id == proposal.id)
        .order_by(Idea.support_count.desc(), Idea.id)  # type: ignore[attr-defined]
    )
    return list(rows.all())


async def _agenda_item(
    ctx: Context, t: Translator, meeting: CommitteeMeeting, proposal: Proposal, member: Person
) -> tuple[str, list[list[Button]]]:
    ideas = await _ideas_of(ctx, proposal)
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
    away = {pid: why for pid, why in (await recused(ctx, proposal)).items() if pid in member_ids}
    line = await recusal_line(ctx, t, away)
    if line:
        lines.append(line)
    if member.id in away:
        lines.append(t(f"committee.you_recuse_{away[member.id]}"))
        return "\n".join(lines), []
    action = f"vote:{meeting.id}:{proposal.id}"
    buttons = [[Button(t("committee.button_revive"), f"{action}:{REVIVE}"), Button(t("committee.button_keep"), f"{action}:{KEEP}")]]
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
async def agenda_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """A week before the meeting: the agenda goes out, unless an organizer already sent it."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.agenda_sent_at is not None or meeting.tallied_at is not None:
        return
    refusal = await agenda_refusal(ctx, meeting)
    if refusal:
        await ctx.tell_organizers(refusal, quarter=ctx.period(meeting.quarter))
        return
    reached, proposals = await send_agenda(ctx, meeting)
    await ctx.tell_organizers("committee.agenda_sent", members=reached, proposals=proposals, quarter=ctx.period(meeting.quarter))


