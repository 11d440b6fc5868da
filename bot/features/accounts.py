"""/link, /unlink and /mydata: one person's accounts on several platforms and what is kept about them."""

from __future__ import annotations

from bot import linking, personal_data
from bot.context import REPLY, Context
from bot.errors import UserError
from bot.messages import Destination, Outgoing
from bot.outbox import enqueue
from bot.parsing import ParsedCommand
from bot.registry import registry


def _direct_only(ctx: Context) -> None:
    # A code shown in a group chat could be typed by anyone who reads it.
    if not ctx.room.is_direct:
        raise UserError("link.direct_only")


@registry.command("link", help=("help.link",), order=90)
async def link(ctx: Context, command: ParsedCommand) -> None:
    """`/link`: a one-time code; `/link <code>` from the other platform: the accounts become one person."""
    _direct_only(ctx)
    if not command.argv:
        minutes = ctx.settings.link_code_minutes
        code = await linking.issue_code(ctx.session, ctx.person, ctx.place.platform, now=ctx.now(), minutes=minutes)
        ctx.audit("link.code_issued", "person", ctx.person.id)
        ctx.reply(ctx.t("link.code", code=code, minutes=minutes))
        return
    # Typed as read ("ABCD EFGH", "abcd-efgh"): only the code's letters count.
    code = "".join(ch for ch in "".join(command.argv) if ch.isalnum())
    result = await linking.link_by_code(
        ctx.session, ctx.person, ctx.identity, code, now=ctx.now(), max_attempts=ctx.settings.link_max_attempts
    )
    if isinstance(result, str):
        ctx.reply(ctx.t(result))
        return
    ctx.person = result
    platforms = sorted({i.platform for i in await linking._accounts(ctx.session, result.id or 0)})
    ctx.reply(ctx.t("link.done", name=ctx.called(result), platforms=", ".join(platforms)))


@registry.command("unlink", help=("help.unlink",), order=91)
async def unlink(ctx: Context, command: ParsedCommand) -> None:
    """`/unlink`: this account becomes a person of its own again."""
    _direct_only(ctx)
    person = await linking.unlink(ctx.session, ctx.identity, now=ctx.now(), actor_id=ctx.person.id)
    ctx.person = person
    ctx.reply(ctx.t("link.unlinked", platform=ctx.place.platform))


@registry.command("mydata", help=("help.mydata",), order=92)
async def my_data(ctx: Context, command: ParsedCommand) -> None:
    """`/mydata`: everything the bot keeps about the person, as a file in this direct chat only."""
    if not ctx.room.is_direct:
        raise UserError("mydata.direct_only")
    assert ctx.person.id is not None
    data = await personal_data.collect(ctx.session, ctx.person)
    path = personal_data.write_export(data, ctx.settings.report_dir, ctx.person.id, ctx.now())
    ctx.audit("person.data_exported", "person", ctx.person.id, tables=sorted(data))
    enqueue(
        ctx.session,
        Destination(ctx.place.platform, "room", ctx.place.chat_id),
        Outgoing(ctx.t("mydata.caption", name=ctx.called(ctx.person)), kind="document", payload={"path": str(path)}),
        priority=REPLY,
        now=ctx.now(),
    )
