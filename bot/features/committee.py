"""The advisory committee (자문단): members, the quarterly agenda of maturing proposals, votes, tally."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select

from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.i18n import Translator
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.proposals.workflow import revive_proposal
from bot.registry import registry
from bot.text import clip, is_number
from bot.audience import committee_members
from bot.jobs import (
    COMMITTEE_AGENDA,
    COMMITTEE_TALLY,
    coming_quarter,
    meeting_times,
    schedule_committee,
)
from bot.periods import Quarter
from storage.db import insert_ignoring_conflict
from storage.tables import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeVote,
    Department,
    Idea,
    Person,
    Proposal,
    ProposalIdea,
    ProposalState,
    ProposalTransition,
    Room,
)

log = logging.getLogger(__name__)

REVIVE, KEEP = "revive", "keep"
AGENDA_IDEAS_SHOWN = 5


# --- members ---------------------------------------------------------------------------------


@registry.command(
    "committee",
    help=("help.committee",),
    organizer_help=("help.committee_manage",),
    order=60,
)
async def committee_command(ctx: Context, command: ParsedCommand) -> None:
    """`/committee` lists members; add/remove/agenda are for organizers."""
    sub = command.word(0)
    if sub is None or sub in ("list", "목록"):
        await list_members(ctx)
    elif sub in ("add", "추가"):
        await add_member(ctx, command.rest_after(1))
    elif sub in ("remove", "삭제", "제외"):
        await remove_member(ctx, command.rest_after(1))
    elif sub in ("agenda", "안건"):
        await ctx.require_organizer("committee.agenda")
        meeting = await meeting_for(ctx, coming_quarter(ctx.settings, ctx.now()))
        count, proposals = await send_agenda(ctx, meeting)
        ctx.reply(ctx.t("committee.agenda_sent", members=count, proposals=proposals, quarter=ctx.period(meeting.quarter)))
    else:
        raise UserError("committee.usage")


async def _member_row(ctx: Context, person: Person) -> CommitteeMember | None:
    return (await ctx.session.exec(select(CommitteeMember).where(CommitteeMember.person_id == person.id))).first()


async def _person_argument(ctx: Context, reference: str) -> Person:
    if not reference:
        raise UserError("committee.usage")
    person = await ctx.find_person(reference)
    if person is None:
        raise UserError("error.person_not_found", name=reference[:40])
    return person


async def add_member(ctx: Context, reference: str) -> None:
    await ctx.require_organizer("committee.add")
    person = await _person_argument(ctx, reference)
    member = await _member_row(ctx, person)
    if member is not None and member.active:
        raise UserError("committee.already_member", name=ctx.called(person))
    if member is None:
        member = CommitteeMember(person_id=person.id, added_by=ctx.person.id, added_at=ctx.now())  # type: ignore[arg-type]
    member.active, member.added_by, member.added_at = True, ctx.person.id, ctx.now()
    ctx.session.add(member)
    await ctx.session.flush()
    ctx.audit("committee.member_added", "person", person.id)
    ctx.reply(ctx.t("committee.added", name=ctx.called(person)))
    times = meeting_times(ctx.settings, coming_quarter(ctx.settings, ctx.now()))
    await ctx.tell(person, ctx.translator(person)("committee.welcome", date=ctx.date(times.meets_at, person)))


async def remove_member(ctx: Context, reference: str) -> None:
    await ctx.require_organizer("committee.remove")
    person = await _person_argument(ctx, reference)
    member = await _member_row(ctx, person)
    if member is None or not member.active:
        raise UserError("committee.not_a_member", name=ctx.called(person))
    member.active = False
    ctx.session.add(member)
    ctx.audit("committee.member_removed", "person", person.id)
    ctx.reply(ctx.t("committee.removed", name=ctx.called(person)))


async def list_members(ctx: Context) -> None:
    members = await committee_members(ctx)
    times = meeting_times(ctx.settings, coming_quarter(ctx.settings, ctx.now()))
    lines = [ctx.t("committee.list_header", count=len(members))]
    lines += [ctx.t("committee.list_line", number=i, name=p.name) for i, p in enumerate(members, start=1)]
    if not members:
        lines.append(ctx.t("committee.list_empty"))
    lines.append(
        ctx.t(
            "committee.next_meeting",
            quarter=ctx.period(times.quarter.label),
            date=ctx.date(times.meets_at),
            agenda=ctx.date(times.agenda_at),
        )
    )
    ctx.reply("\n".join(lines))


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
    maturing = (
        await ctx.session.exec(select(Proposal).where(Proposal.state == ProposalState.maturing).order_by(Proposal.id))
    ).all()
    agenda = []
    for proposal in maturing:
        began = await _entered_maturing(ctx, proposal)
        if began <= cutoff and (since is None or began > since):
            agenda.append(proposal)
    return agenda


async def _ideas_of(ctx: Context, proposal: Proposal) -> list[Idea]:
    rows = await ctx.session.exec(
        select(Idea)
        .join(ProposalIdea, ProposalIdea.idea_id == Idea.id)  # type: ignore[arg-type]
        .where(ProposalIdea.proposal_id == proposal.id)
        .order_by(Idea.support_count.desc(), Idea.id)  # type: ignore[attr-defined]
    )
    return list(rows.all())


async def _agenda_item(ctx: Context, t: Translator, meeting: CommitteeMeeting, proposal: Proposal) -> tuple[str, list[list[Button]]]:
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
    for member in await committee_members(ctx):
        t = ctx.translator(member)
        header = t(
            "committee.agenda_header",
            quarter=ctx.period(meeting.quarter),
            date=ctx.date(times.meets_at),
            deadline=ctx.when(times.tally_at),
            count=len(proposals),
        )
        if not proposals:
            header += "\n" + t("committee.agenda_empty")
        if await ctx.tell(member, header) is None:
            continue
        reached += 1
        for proposal in proposals:
            text, buttons = await _agenda_item(ctx, t, meeting, proposal)
            await ctx.tell(member, text, buttons)
    ctx.audit("committee.agenda_sent", "meeting", meeting.id, proposals=[p.id for p in proposals], members=reached)
    return reached, len(proposals)


@registry.reminder(COMMITTEE_AGENDA)
async def agenda_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """A week before the meeting: the agenda goes out, unless an organizer already sent it."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.agenda_sent_at is not None or meeting.tallied_at is not None:
        return
    reached, proposals = await send_agenda(ctx, meeting)
    await ctx.tell_organizers("committee.agenda_sent", members=reached, proposals=proposals, quarter=ctx.period(meeting.quarter))


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
    member = await _member_row(ctx, ctx.person)
    if member is None or not member.active:
        raise NotAllowed(action="committee.vote", key="committee.not_member_vote")
    if meeting.tallied_at is not None:
        raise UserError("committee.vote_closed", quarter=ctx.period(meeting.quarter))
    if proposal.id not in {p.id for p in await agenda_of(ctx, meeting)}:
        raise UserError("committee.not_on_agenda", number=proposal.id)
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


# --- tally -------------------------------------------------------------------------------------


async def _counts(ctx: Context, meeting: CommitteeMeeting, proposal: Proposal) -> tuple[int, int]:
    votes = (
        await ctx.session.exec(
            select(CommitteeVote.choice).where(CommitteeVote.meeting_id == meeting.id, CommitteeVote.proposal_id == proposal.id)
        )
    ).all()
    return sum(v == REVIVE for v in votes), sum(v == KEEP for v in votes)


async def _revive(ctx: Context, proposal: Proposal, reason: str) -> None:
    """Resubmit through the proposals workflow (points, review reminders, the head told)."""
    await revive_proposal(ctx, proposal, by_committee=True, reason=reason)


async def tally(ctx: Context, meeting: CommitteeMeeting) -> list[tuple[Proposal, int, int, bool]]:
    """Count the votes of each agenda proposal; revive on a strict majority of the votes cast."""
    results = []
    default = ctx.translator()
    for proposal in await agenda_of(ctx, meeting):
        revive, keep = await _counts(ctx, meeting, proposal)
        revived = revive > keep and proposal.state == ProposalState.maturing
        if revived:
            reason = default("committee.revive_reason", quarter=ctx.period(meeting.quarter), revive=revive, keep=keep)
            try:
                async with ctx.session.begin_nested():  # one refused revival must not undo the tally
                    await _revive(ctx, proposal, reason)
            except UserError as error:
                log.warning("committee could not revive proposal %s: %s", proposal.id, error.key)
                revived = False
            room = await ctx.session.get(Room, proposal.room_id) if proposal.room_id else None
            if revived and room is not None:
                ctx.post(room, default("committee.revived_room", number=proposal.id, title=proposal.title, revive=revive, keep=keep))
        results.append((proposal, revive, keep, revived))
    meeting.tallied_at = ctx.now()
    ctx.session.add(meeting)
    ctx.audit(
        "committee.tallied",
        "meeting",
        meeting.id,
        revived=[p.id for p, _, _, r in results if r],
        kept=[p.id for p, _, _, r in results if not r],
    )
    return results


def _result_text(t: Translator, quarter: str, results: list[tuple[Proposal, int, int, bool]]) -> str:
    lines = [t("committee.result_header", quarter=quarter, count=len(results))]
    for proposal, revive, keep, revived in results:
        key = "committee.result_revived" if revived else "committee.result_kept"
        lines.append(t(key, number=proposal.id, title=proposal.title, revive=revive, keep=keep))
    if not results:
        lines.append(t("committee.result_none"))
    return "\n".join(lines)


@registry.reminder(COMMITTEE_TALLY)
async def tally_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """Meeting day: tally, resubmit the revived, tell rooms, organizers and members; plan the next."""
    meeting = await meeting_for(ctx, Quarter.parse(reminder.payload["quarter"]))
    if meeting.tallied_at is None:
        results = await tally(ctx, meeting) if meeting.agenda_sent_at is not None else []
        if meeting.agenda_sent_at is None:
            meeting.tallied_at = ctx.now()
            ctx.session.add(meeting)
            ctx.audit("committee.tallied", "meeting", meeting.id, revived=[], kept=[], without_agenda=True)
        people = {p.id: p for p in await ctx.organizers()}
        people.update({p.id: p for p in await committee_members(ctx)})
        for person in people.values():
            await ctx.tell(person, _result_text(ctx.translator(person), meeting.quarter, results))
    await schedule_committee(ctx.session, ctx.settings, reminder.due_at)
