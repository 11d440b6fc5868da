"""Small helpers shared by the features: numbers typed by people, active topic lookup."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserError
from bot.text import is_number
from storage.tables import Topic, TopicState


def parse_number(word: str | None, missing_key: str, **params: object) -> int:
    """An idea or proposal number as people type it: `12` or `#12`."""
    if word is None:
        raise UserError(missing_key, **params)
    cleaned = word.strip().lstrip("#")
    if not is_number(cleaned):
        raise UserError("error.not_a_number", value=word[:20])
    return int(cleaned)


def parse_numbers(text: str) -> list[int]:
    """Numbers separated by commas or spaces: `3,5 7` → [3, 5, 7]; invalid words raise."""
    words = [w for w in text.replace(",", " ").split() if w]
    return [parse_number(w, "error.not_a_number") for w in words]


async def active_topic(session: AsyncSession, room_id: int) -> Topic | None:
    """The topic now running in a room, if any."""
    return (
        await session.exec(select(Topic).where(Topic.room_id == room_id, Topic.state == TopicState.active))
    ).first()


async def change_state(session: AsyncSession, row: Any, new_state: str, **values: Any) -> bool:
    """Move `row` from the state it was read in to `new_state`, unless someone else moved it first.

    The conditional UPDATE makes a second worker (a double tap, a reminder firing at the same
    moment) wait for the first and then change nothing; `row` is refreshed either way.
    """
    table = type(row)
    result = await session.exec(  # type: ignore[call-overload]
        sa.update(table).where(table.id == row.id, table.state == row.state).values(state=new_state, **values)
    )
    await session.refresh(row)
    return bool(result.rowcount)
