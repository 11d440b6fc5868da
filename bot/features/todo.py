"""/todo (/할일): what waits for this person, on every platform (the list Slack's App Home shows too)."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.features.home import waiting_for, waiting_line
from bot.parsing import ParsedCommand
from bot.registry import registry


@registry.command("todo", help=("help.todo",), order=42)
async def todo(ctx: Context, command: ParsedCommand) -> None:
    """Invitations to answer, reviews with their due dates, committee votes, visits to confirm, supplements."""
    waiting = await waiting_for(ctx.session, ctx.person, organizer=ctx.is_organizer(), now=ctx.now())
    if not waiting:
        ctx.reply(ctx.t("todo.none"))
        return
    lines = [ctx.t("todo.header", name=ctx.called(ctx.person), count=len(waiting))]

    # Dates as the office writes them: a day for due dates, a day and time for visits.
    def local(when: datetime, fmt: str) -> str:
        return ctx.when(when) if "%H" in fmt else ctx.date(when)

    lines += [waiting_line(item, ctx.translator(ctx.person), local) for item in waiting]
    ctx.reply("\n".join(lines))
