"""/committee and its sub-commands: members, the chair, the agenda sent now, the chair's close and the minutes."""

from __future__ import annotations

from bot.committee import workflow
from bot.committee.queries import committee_chair, committee_members
from bot.context import Context
from bot.errors import UserError
from bot.features.committee_agenda import agenda_refusal, send_agenda
from bot.features.committee_vote import close_vote, show_minutes
from bot.jobs import coming_quarter, meeting_times
from bot.parsing import ParsedCommand
from bot.registry import CHAIR, registry
from bot.subcommands import Subcommands
from storage.tables import Person


async def _person_argument(ctx: Context, command: ParsedCommand) -> Person:
    reference = command.rest_after(1)
    if not reference:
        raise UserError("committee.usage")
    person = await ctx.find_person(reference)
    if person is None:
        raise UserError("error.person_not_found", name=reference[:40])
    return person


async def add_member(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("committee.add")
    person = await _person_argument(ctx, command)
    await workflow.add_member(ctx, person)
    ctx.reply(ctx.t("committee.added", name=ctx.called(person)))
    times = meeting_times(ctx.settings, coming_quarter(ctx.settings, ctx.now()))
    await ctx.tell(person, ctx.translator(person)("committee.welcome", date=ctx.date(times.meets_at, person)))


async def remove_member(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("committee.remove")
    person = await _person_argument(ctx, command)
    await workflow.remove_member(ctx, person)
    ctx.reply(ctx.t("committee.removed", name=ctx.called(person)))


async def set_chair(ctx: Context, command: ParsedCommand) -> None:
    """`/committee chair <person>`: an organizer appoints the chair among the members."""
    await ctx.require_organizer("committee.chair")
    person = await _person_argument(ctx, command)
    await workflow.set_chair(ctx, person)
    ctx.reply(ctx.t("committee.chair_set", name=ctx.called(person)))
    await ctx.tell(person, ctx.translator(person)("committee.chair_welcome"))


async def list_members(ctx: Context, command: ParsedCommand) -> None:
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


async def agenda_now(ctx: Context, command: ParsedCommand) -> None:
    """`/committee agenda`: an organizer sends the coming meeting's agenda now."""
    await ctx.require_organizer("committee.agenda")
    meeting = await workflow.meeting_for(ctx, coming_quarter(ctx.settings, ctx.now()))
    refusal = await agenda_refusal(ctx, meeting)
    if refusal:
        raise UserError(refusal, quarter=ctx.period(meeting.quarter))
    count, proposals = await send_agenda(ctx, meeting)
    ctx.reply(ctx.t("committee.agenda_sent", members=count, proposals=proposals, quarter=ctx.period(meeting.quarter)))


COMMITTEE = Subcommands(
    "committee",
    {
        "list": list_members,
        "add": add_member,
        "remove": remove_member,
        "agenda": agenda_now,
        "chair": set_chair,
        "close": close_vote,
        "minutes": show_minutes,
    },
    bare=list_members,
    unknown_key="committee.usage",
)
registry.command(
    "committee",
    help=("help.committee",),
    role_help=((CHAIR, "help.committee_close"),),
    organizer_help=("help.committee_manage",),
    order=60,
)(COMMITTEE)
