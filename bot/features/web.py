"""/web in a direct chat: a one-time link that signs the person in to the web dashboard."""

from __future__ import annotations

from bot.context import Context
from bot.dashboard.access import issue_link, login_url
from bot.errors import UserError
from bot.parsing import ParsedCommand
from bot.registry import registry


@registry.command("web", help=("help.web",), order=93)
async def web_command(ctx: Context, command: ParsedCommand) -> None:
    """The link is a key to the person's dashboard: only ever shown in their direct chat."""
    if not ctx.room.is_direct:
        raise UserError("web.direct_only")
    if not ctx.settings.web_enabled:
        raise UserError("web.disabled")
    minutes = ctx.settings.web_link_minutes
    token = await issue_link(ctx.session, ctx.person, ctx.identity, now=ctx.now(), minutes=minutes)
    ctx.audit("web.link_issued", "person", ctx.person.id)
    ctx.reply(ctx.t("web.link", url=login_url(ctx.settings.web_url, token), minutes=minutes))
