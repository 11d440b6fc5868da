"""/help and /start: what a person may do here."""

from __future__ import annotations

from sqlmodel import select

from bot.committee.queries import committee_membership
from bot.context import Context
from bot.parsing import ParsedCommand
from bot.registry import CHAIR, COMMITTEE, EVERYONE, HEAD, IMPLEMENTER, ORGANIZER, registry
from storage.tables import Department, Proposal


async def roles_of(ctx: Context) -> set[str]:
    """The roles of the person asking, as /help groups its lines (organizers see every line)."""
    if ctx.is_organizer():
        return {EVERYONE, ORGANIZER, HEAD, COMMITTEE, CHAIR, IMPLEMENTER}
    roles = {EVERYONE}
    person_id = ctx.person.id
    if (await ctx.session.exec(select(Department.id).where(Department.head_person_id == person_id))).first():
        roles.add(HEAD)
    member = await committee_membership(ctx, ctx.person)
    if member is not None and member.active:
        roles.add(COMMITTEE)
        if member.is_chair:
            roles.add(CHAIR)
    if (await ctx.session.exec(select(Proposal.id).where(Proposal.implementer_id == person_id))).first():
        roles.add(IMPLEMENTER)
    return roles


@registry.command("help", help=("help.help",), order=99)
async def show_help(ctx: Context, command: ParsedCommand) -> None:
    """List the commands this person may use: heads' lines to heads, organizers' to organizers."""
    roles = await roles_of(ctx)
    organizer = ORGANIZER in roles
    lines = [ctx.t("help.title")]
    for spec in sorted(ctx.registry.commands.values(), key=lambda s: (s.order, s.name)):
        for line in spec.help:
            text = ctx.t(line.key)
            if line.audience in roles and text not in lines:  # a line for two roles is shown once
                lines.append(text)
    lines.append(ctx.t("help.korean"))
    if organizer:
        lines.append(ctx.t("help.organizer_note"))
    ctx.reply("\n".join(lines))


@registry.command("start", order=100)
async def start(ctx: Context, command: ParsedCommand) -> None:
    """A person opened a direct chat (Telegram /start): they can now be messaged directly."""
    if not ctx.identity.can_message:
        ctx.identity.can_message = True
        ctx.session.add(ctx.identity)
    if command.args:
        answered: list[str] = []  # a listener that knows the link says so; anything else is welcomed
        await ctx.publish("start.payload", payload=command.args.strip(), answered=answered)
        if answered:
            return
    ctx.reply(ctx.t("help.welcome", name=ctx.called(ctx.person)))
