"""One person's support of an idea or a topic candidate: recorded once, its count raised atomically."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.context import Context
from bot.errors import UserError
from storage.db import insert_ignoring_conflict


async def support_once(ctx: Context, row: Any, support_table: Any, link: dict[str, Any], *, already_key: str) -> None:
    """Store `support_table(**link)` for this person, or raise `already_key` when they did before;
    then raise `row.support_count` in the database (two workers supporting at once both count)."""
    added = await insert_ignoring_conflict(
        ctx.session, support_table, {**link, "person_id": ctx.person.id, "created_at": ctx.now()}
    )
    if not added:
        raise UserError(already_key, number=row.id)
    table = type(row)
    await ctx.session.exec(sa.update(table).where(table.id == row.id).values(support_count=table.support_count + 1))
    await ctx.session.refresh(row)
