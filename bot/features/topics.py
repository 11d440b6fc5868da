"""The room's discussion topic: /topic shows it (the monthly flow adds suggesting and picking)."""

from __future__ import annotations

from sqlmodel import func, select

from bot.context import Context
from bot.errors import UserError
from bot.features.common import active_topic
from bot.parsing import ParsedCommand
from bot.registry import registry
from storage.tables import Idea


@registry.command("topic", help=("help.topic",), order=20, in_direct_chat=False)
async def topic_command(ctx: Context, command: ParsedCommand) -> None:
    """`/topic` alone shows the current topic."""
    sub = command.word(0)
    if sub is None:
        await show_topic(ctx)
        return
    raise UserError("topic.unknown_subcommand", sub=sub[:30])


async def show_topic(ctx: Context) -> None:
    topic = await active_topic(ctx.session, ctx.room.id)
    if topic is None:
        ctx.reply(ctx.t("topic.none"))
        return
    ideas = (await ctx.session.exec(select(func.count()).select_from(Idea).where(Idea.topic_id == topic.id))).one()
    lines = [ctx.t("topic.current", title=topic.title)]
    if topic.description:
        lines.append(topic.description)
    if topic.closes_at:
        lines.append(ctx.t("topic.closes", date=ctx.local(topic.closes_at, "%Y-%m-%d")))
    lines.append(ctx.t("topic.idea_count", count=ideas))
    ctx.reply("\n".join(lines))
