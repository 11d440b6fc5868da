"""A change of state that two workers (a double tap, a reminder firing at that moment) cannot both make."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession


async def change_state(session: AsyncSession, row: Any, new_state: str, **values: Any) -> bool:
    """Move `row` from the state it was read in to `new_state`, unless someone else moved it first.

    The conditional UPDATE makes a second worker (a double tap, a reminder firing at the same
    moment) wait for the first and then change nothing; `row` is refreshed either way.
    """
    table = type(row)
    result = await session.exec(
        sa.update(table).where(table.id == row.id, table.state == row.state).values(state=new_state, **values)
    )
    await session.refresh(row)
    return bool(result.rowcount)
