"""The transactional outbox: what the core decides to send, stored with the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import Destination, Outgoing
from storage.tables import OutboxMessage


def enqueue(
    session: AsyncSession,
    destination: Destination,
    message: Outgoing,
    *,
    priority: int,
    now: datetime,
    ref: tuple[str, int] | None = None,
    coalesce_key: str | None = None,
) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction; the sender delivers it."""
    entry = OutboxMessage(
        platform=destination.platform,
        dest_kind=destination.kind,
        dest_id=destination.id,
        kind=message.kind,
        text=message.text,
        buttons=[[button.to_json() for button in row] for row in message.buttons],
        payload=message.payload,
        priority=priority,
        coalesce_key=coalesce_key,
        ref_kind=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(entry)
    return entry
