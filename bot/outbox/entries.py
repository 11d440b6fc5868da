"""Outbox entries: written in the caller's transaction, read back as the typed message they stand for."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import Button, Destination, Kind, Outgoing, Payload
from bot.outbox.payloads import decode, encode, kind_of
from storage.db import Database
from storage.tables import MessageLink, OutboxMessage

DestKey = tuple[str, str, str]


def enqueue(
    session: AsyncSession,
    destination: Destination,
    message: Outgoing,
    *,
    priority: int,
    now: datetime,
    ref: tuple[str, int] | None = None,
    coalesce_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction; the sender delivers it.

    `not_before` holds it back until then (scheduled messages wait for office hours).
    """
    entry = add_raw(
        session,
        destination,
        text=message.text,
        now=now,
        priority=priority,
        buttons=message.buttons,
        payload=message.payload,
        kind=message.kind,
        ref=ref,
    )
    entry.coalesce_key = coalesce_key
    if not_before is not None and not_before > now:
        entry.next_attempt_at = not_before
    return entry


def add_raw(
    session: AsyncSession,
    destination: Destination,
    *,
    text: str,
    now: datetime,
    priority: int = 5,
    buttons: list[list[Button]] | None = None,
    payload: Payload | None = None,
    kind: Kind = "message",
    ref: tuple[str, int] | None = None,
) -> OutboxMessage:
    """Add an entry due now, such as the sender itself decides on (a follow-up, a reaction, a failure notice)."""
    entry = OutboxMessage(
        platform=destination.platform,
        dest_kind=destination.kind,
        dest_id=destination.id,
        kind=kind,
        text=text,
        buttons=[[button.to_json() for button in row] for row in buttons or []],
        payload=encode(kind, payload or {}),
        priority=priority,
        ref_kind=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(entry)
    return entry


def to_outgoing(entry: OutboxMessage) -> Outgoing:
    """The message a stored entry stands for, as a gateway gets it."""
    buttons = [[Button.from_json(b) for b in row] for row in entry.buttons or []]
    return Outgoing(entry.text, buttons, kind=kind_of(entry.kind), payload=decode(entry.kind, entry.payload))


def destination_of(entry: OutboxMessage) -> Destination:
    return Destination(entry.platform, entry.dest_kind, entry.dest_id)


def key_of(entry: OutboxMessage) -> DestKey:
    """The destination as the pacing and the holds key it."""
    return (entry.platform, entry.dest_kind, entry.dest_id)


def entry_id(entry: OutboxMessage) -> int:
    """The id of an entry already flushed to the database (every claimed one is)."""
    assert entry.id is not None, "an outbox entry gets its id when flushed"
    return entry.id


async def remembered_message_ids(db: Database, platform: str) -> list[str]:
    """The ids of the messages on `platform` that the bot links to ideas and its own posts."""
    async with db.session() as session:
        return list((await session.exec(select(MessageLink.message_id).where(MessageLink.platform == platform))).all())
