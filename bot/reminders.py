"""Storing what falls due later; the scheduler fires each stored reminder once, by its kind.

A flow schedules a reminder in the transaction of the change that makes it due (an
invitation sent, a proposal submitted); a handler registered with `registry.reminder(kind)`
says what happens when it falls due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert_ignoring_conflict
from storage.tables import Reminder, ReminderState

# Told after a transaction that stored a reminder commits: this process's scheduler looks again
# at once instead of at its next tick (which, with no other process to store reminders, is rare).
listeners: list[Callable[[], None]] = []


def _tell_after_commit(session: AsyncSession) -> None:
    if listeners:
        event.listen(
            session.sync_session, "after_commit", lambda _: [listener() for listener in list(listeners)], once=True
        )


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
    stored = await insert_ignoring_conflict(
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
    if stored:
        _tell_after_commit(session)
    return stored


async def cancel(session: AsyncSession, dedupe_key_prefix: str) -> int:
    """Cancel pending reminders whose key starts with the prefix (e.g. `invitation:5:`)."""
    result = await session.exec(
        sa.update(Reminder)
        .where(col(Reminder.dedupe_key).startswith(dedupe_key_prefix), col(Reminder.state) == ReminderState.pending)
        .values(state=ReminderState.cancelled)
    )
    return int(result.rowcount or 0)
