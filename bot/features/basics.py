"""/help and /start: what a person may do here."""

from __future__ import annotations

from bot.context import Context
from bot.parsing import ParsedCommand
from bot.registry import registry


@registry.command("help", help=("help.help",), order=99)
async def show_help(ctx: Context, command: ParsedCommand) -> None:
    """List the commands this person may use, organizer commands only for organizers."""
    organizer = ctx.is_organizer()
    lines = [ctx.t("help.title")]
    for spec in sorted(ctx.registry.commands.values(), key=lambda s: (s.order, s.name)):
        for line in spec.help:
            if line.organizer_only and not organizer:
                continue
            lines.append(ctx.t(line.key))
    if organizer:
        lines.append(ctx.t("help.organizer_note"))
    ctx.reply("\n".join(lines))


@registry.command("start", order=100)
async def start(ctx: Context, command: ParsedCommand) -> None:
    """A person opened a direct chat (Telegram /start): they can now be messaged directly."""
    if not ctx.identity.can_message:
        ctx.identity.can_message = True
        ctx.session.add(ctx.identity)
    if command.args and ctx.registry.listeners.get("start.payload"):
        await ctx.publish("start.payload", payload=command.args.strip())
        return
    ctx.reply(ctx.t("help.welcome", name=ctx.called(ctx.person)))
