"""The advisory committee (자문단): the /committee command, its members and its chair."""

from __future__ import annotations

from sqlmodel import select

from bot.audience import committee_chair, committee_members, committee_membership
from bot.context import Context
from bot.errors import UserError
from bot.features.committee_agenda import agenda_refusal, meeting_for, send_agenda
from bot.features.committee_vote import close_vote, show_minutes
from bot.jobs import coming_quarter, meeting_times
from bot.parsing import ParsedCommand
from bot.registry import registry
from storage.tables import CommitteeMember, Person

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
            raise UserError(refusal, quarter=ctx.period(meeting.quarter))
        count, proposals = await send_agenda(ctx, meeting)
        ctx.reply(ctx.t("committee.agenda_sent", members=count, proposals=proposals, quarter=ctx.period(meeting.quarter)))
    elif sub in ("chair", "위원장"):
        await set_chair(ctx, command.rest_after(1))
    elif sub in ("close", "마감", "종료"):
        await close_vote(ctx)
    elif sub in ("minutes", "회의록"):
        await show_minutes(ctx, command.word(1))
    else:
        raise UserError("committee.usage")


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
    member = await committee_membership(ctx, person)
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
    member = await committee_membership(ctx, person)
    if member is None or not member.active:
        raise UserError("committee.not_a_member", name=ctx.called(person))
    member.active, member.is_chair = False, False
    ctx.session.add(member)
    ctx.audit("committee.member_removed", "person", person.id)
    ctx.reply(ctx.t("committee.removed", name=ctx.called(person)))


async def list_members(ctx: Context) -> None:
    members = await committee_members(ctx)
    chair = await committee_chair(ctx)
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
            quarter=ctx.period(times.quarter.label),
            date=ctx.date(times.meets_at),
            agenda=ctx.date(times.agenda_at),
        )
    )
    ctx.reply("\n".join(lines))


async def set_chair(ctx: Context, reference: str) -> None:
    """`/committee chair <person>`: an organizer appoints the chair among the members."""
    await ctx.require_organizer("committee.chair")
    person = await _person_argument(ctx, reference)
    member = await committee_membership(ctx, person)
    if member is None or not member.active:
        raise UserError("committee.chair_not_member", name=ctx.called(person))
    current = (await ctx.session.exec(select(CommitteeMember).where(CommitteeMember.is_chair == True))).all()  # noqa: E712
    for other in current:
        other.is_chair = False
        ctx.session.add(other)
    member.is_chair = True
    ctx.session.add(member)
    ctx.audit("committee.chair_set", "person", person.id)
    ctx.reply(ctx.t("committee.chair_set", name=ctx.called(person)))
    await ctx.tell(person, ctx.translator(person)("committee.chair_welcome"))

