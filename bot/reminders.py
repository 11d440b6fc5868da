"""Storing what falls due later; the scheduler fires each stored reminder once, by its kind.

A flow schedules a reminder in the transaction of the change that makes it due (an
invitation sent, a proposal submitted); a handler registered with `registry.reminder(kind)`
says what happens when it falls due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert_ignoring_conflict
from storage.tables import Reminder, ReminderState


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    audience: str,
    dedupe_key: str,
    payload: dict[str, Any] | None = None,
    now: datetime,
) -> bool:
    """Store a reminder unless one with the same `dedupe_key` exists; True when stored.

    `audience` is `room:<id>`, `person:<id>`, `organizers` or `committee`.
    """
    return await insert_ignoring_conflict(
        session,
        Reminder,
        dict(
            kind=kind,
            due_at=due_at,
            audience=audience,
            dedupe_key=dedupe_key,
            payload=payload or {},
            state=ReminderState.pending,
            created_at=now,
        ),
    )


async def cancel(session: AsyncSession, dedupe_key_prefix: str) -> int:
    """Cancel pending reminders whose key starts with the prefix (e.g. `invitation:5:`)."""
    result = await session.exec(
        sa.update(Reminder)
        .where(col(Reminder.dedupe_key).startswith(dedupe_key_prefix), col(Reminder.state) == ReminderState.pending)
        .values(state=ReminderState.cancelled)
    )
    return int(result.rowcount or 0)
