"""The advisory committee (자문단): members, the quarterly agenda of maturing proposals, votes, tally."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import select

from bot import committee_rules
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
    COMMITTEE_NUDGE,
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
    CommitteeOutcome,
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
REVIVED, KEPT, NO_QUORUM = "revived", "kept", "no_quorum"
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
        refusal = await agenda_refusal(ctx, meeting)
        if refusal:
            raise UserError(refusal, quarter=meeting.quarter)
        count, proposals = await send_agenda(ctx, meeting)
        ctx.reply(ctx.t("committee.agenda_sent", members=count, proposals=proposals, quarter=meeting.quarter))
    elif sub in ("chair", "위원장"):
        await set_chair(ctx, command.rest_after(1))
    elif sub in ("close", "마감", "종료"):
        await close_vote(ctx)
    elif sub in ("minutes", "회의록"):
        await show_minutes(ctx, command.word(1))
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
        raise UserError("committee.already_member", name=person.name)
    if member is None:
        member = CommitteeMember(person_id=person.id, added_by=ctx.person.id, added_at=ctx.now())  # type: ignore[arg-type]
    member.active, member.added_by, member.added_at = True, ctx.person.id, ctx.now()
    ctx.session.add(member)
    await ctx.session.flush()
    ctx.audit("committee.member_added", "person", person.id)
    ctx.reply(ctx.t("committee.added", name=person.name))
    times = meeting_times(ctx.settings, coming_quarter(ctx.settings, ctx.now()))
    await ctx.tell(person, ctx.translator(person)("committee.welcome", date=ctx.local(times.meets_at, "%Y-%m-%d")))


async def remove_member(ctx: Context, reference: str) -> None:
    await ctx.require_organizer("committee.remove")
    person = await _person_argument(ctx, reference)
    member = await _member_row(ctx, person)
    if member is None or not member.active:
        raise UserError("committee.not_a_member", name=person.name)
    member.active, member.is_chair = False, False
    ctx.session.add(member)
    ctx.audit("committee.member_removed", "person", person.id)
    ctx.reply(ctx.t("committee.removed", name=person.name))


async def list_members(ctx: Context) -> None:
    members = await committee_members(ctx)
    chair = await chair_of(ctx)
    times = meeting_times(ctx.settings, coming_quarter(ctx.settings, ctx.now()))
    lines = [ctx.t("committee.list_header", count=len(members))]
    for i, p in enumerate(members, start=1):
        key = "committee.list_line_chair" if chair is not None and p.id == chair.id else "committee.list_line"
        lines.append(ctx.t(key, number=i, name=p.name))
    if not members:
        lines.append(ctx.t("committee.list_empty"))
    lines.append(
        ctx.t(
            "committee.next_meeting",
            quarter=times.quarter.label,
            date=ctx.local(times.meets_at, "%Y-%m-%d"),
            agenda=ctx.local(times.agenda_at, "%Y-%m-%d"),
        )
    )
    ctx.reply("\n".join(lines))


async def chair_of(ctx: Context) -> Person | None:
    """The chair (위원장), if an organizer appointed one among the active members."""
    return (
        await ctx.session.exec(
            select(Person)
            .join(CommitteeMember, CommitteeMember.person_id == Person.id)  # type: ignore[arg-type]
            .where(CommitteeMember.active == True, CommitteeMember.is_chair == True)  # noqa: E712
        )
    ).first()


async def set_chair(ctx: Context, reference: str) -> None:
    """`/committee chair <person>`: an organizer appoints the chair among the members."""
    await ctx.require_organizer("committee.chair")
    person = await _person_argument(ctx, reference)
    member = await _member_row(ctx, person)
    if member is None or not member.active:
        raise UserError("committee.chair_not_member", name=person.name)
    current = (await ctx.session.exec(select(CommitteeMember).where(CommitteeMember.is_chair == True))).all()  # noqa: E712
    for other in current:
        other.is_chair = False
        ctx.session.add(other)
    member.is_chair = True
    ctx.session.add(member)
    ctx.audit("committee.chair_set", "person", person.id)
    ctx.reply(ctx.t("committee.chair_set", name=person.name))
    await ctx.tell(person, ctx.translator(person)("committee.chair_welcome"))


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
        raise UserError("committee.already_tallied", quarter=meeting.quarter)
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
            quarter=meeting.quarter,
            date=ctx.local(times.meets_at, "%Y-%m-%d"),
            deadline=ctx.local(times.tally_at),
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
        await ctx.tell_organizers(refusal, quarter=meeting.quarter)
        return
    reached, proposals = await send_agenda(ctx, meeting)
    await ctx.tell_organizers("committee.agenda_sent", members=reached, proposals=proposals, quarter=meeting.quarter)


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
        raise UserError("committee.vote_closed", quarter=meeting.quarter)
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
            reason = default("committee.revive_reason", quarter=meeting.quarter, revive=revive, keep=keep)
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
    chair = await chair_of(ctx)
    if chair is None or chair.id != ctx.person.id:
        if chair is None and ctx.is_organizer():
            raise UserError("committee.no_chair")
        raise NotAllowed(action="committee.close", key="committee.chair_only")
    meeting = await open_meeting(ctx)
    if meeting is None:
        raise UserError("committee.nothing_to_close")
    results = await finish(ctx, meeting, closed_by=ctx.person)
    ctx.reply(ctx.t("committee.closed", quarter=meeting.quarter, count=len(results)))


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
        lines = [t("committee.nudge", quarter=meeting.quarter, date=ctx.local(times.meets_at, "%Y-%m-%d"), count=len(missing))]
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
            await ctx.tell_organizers("committee.no_meeting", quarter=meeting.quarter)
    await schedule_committee(ctx.session, ctx.settings, reminder.due_at)
