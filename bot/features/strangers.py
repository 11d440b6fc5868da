"""IDEAROOM_STRANGERS=staff: accounts outside the directory may read but not post, comment, suggest or support."""

from __future__ import annotations

from typing import Any

from bot import people
from bot.context import Context
from bot.errors import UserError
from bot.registry import registry
from storage.tables import Idea


@registry.on("idea.posted")
async def refuse_a_strangers_idea(ctx: Context, idea: Idea) -> None:
    # Raising rolls back the idea and its points with it, whatever listener ran first.
    if not await people.may_take_part(ctx.session, ctx.person, ctx.settings):
        raise UserError("strangers.staff_only")


@registry.on("idea.supported")
async def refuse_a_strangers_support(ctx: Context, idea: Idea, supporter: Any) -> None:
    if not await people.may_take_part(ctx.session, ctx.person, ctx.settings):
        raise UserError("strangers.staff_only")


@registry.on("idea.commented")
@registry.on("topic.suggested")
@registry.on("topic.supported")
async def refuse_a_strangers_comment_or_topic(ctx: Context, **_: Any) -> None:
    if not await people.may_take_part(ctx.session, ctx.person, ctx.settings):
        raise UserError("strangers.staff_only")
