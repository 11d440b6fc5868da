"""The transactional outbox: what the core decides to send, stored with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import people
from bot.config import Settings
from bot.i18n import Translator
from bot.messages import Destination, Outgoing
from bot.text import clip
from storage.db import Database
from storage.tables import Identity, MessageLink, OutboxMessage, Person, Room


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
        platform=destination.platform,
        dest_kind=destination.kind,
        dest_id=destination.id,
        text=message.text,
        now=now,
        priority=priority,
        buttons=[[button.to_json() for button in row] for row in message.buttons],
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
    *,
    platform: str,
    dest_kind: str,
    dest_id: str,
    text: str,
    now: datetime,
    priority: int = 5,
    buttons: list | None = None,
    payload: dict[str, Any] | None = None,
    kind: str = "message",
    ref: tuple[str, int] | None = None,
) -> OutboxMessage:
    """Add an entry the sender itself decided on (a follow-up, a reaction, a failure notice)."""
    entry = OutboxMessage(
        platform=platform,
        dest_kind=dest_kind,
        dest_id=dest_id,
        kind=kind,
        text=text,
        buttons=buttons or [],
        payload=payload or {},
        priority=priority,
        ref_kind=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(entry)
    return entry


async def describe_destination(session: AsyncSession, entry: OutboxMessage) -> str:
    """Where an entry goes, as an organizer recognises it: the room title or the person's name."""
    if entry.dest_kind == "room":
        room = (
            await session.exec(select(Room).where(Room.platform == entry.platform, Room.external_id == entry.dest_id))
        ).first()
        title = room.title if room and room.title else entry.dest_id
        return f"{title} ({entry.platform})"
    person = await people.person_of_account(session, entry.platform, entry.dest_id)
    return f"{person.name if person else entry.dest_id} ({entry.platform})"


async def organizer_identities(session: AsyncSession, settings: Settings) -> list[tuple[Person, Identity]]:
    """Each organizer with the account to reach them on (never the bot's own system account)."""
    return await people.organizer_accounts(session, settings)


async def notify_failure(session: AsyncSession, entry: OutboxMessage, settings: Settings, now: datetime) -> int:
    """Tell every organizer that `entry` finally failed; returns how many were told.

    Nothing is sent about a message that was itself for an organizer (or a notice of a
    failure): if organizers cannot be reached, telling them would only fail again, in a loop.
    """
    if (entry.payload or {}).get("failure_of"):
        return 0
    organizers = await organizer_identities(session, settings)
    if entry.dest_kind == "user" and any(
        (i.platform, i.external_id) == (entry.platform, entry.dest_id) for _, i in organizers
    ):
        return 0
    where = await describe_destination(session, entry)
    for person, identity in organizers:
        translate = Translator(person.locale or settings.locale)
        add_raw(
            session,
            platform=identity.platform,
            dest_kind="user",
            dest_id=identity.external_id,
            text=translate("outbox.failed_notice", id=entry.id, destination=where, reason=clip(entry.error, 200)),
            payload={"failure_of": entry.id},
            now=now,
        )
    return len(organizers)


def merged_acks_text(entries: list[OutboxMessage], locale: str) -> str:
    """One confirmation for several recorded ideas: '💡 아이디어 #12, #13번을 등록했습니다.'"""
    numbers = sorted(e.ref_id for e in entries if e.ref_id is not None)
    return Translator(locale)("outbox.ideas_recorded", numbers=", ".join(f"#{n}" for n in numbers), count=len(numbers))


async def remembered_message_ids(db: Database, platform: str) -> list[str]:
    """The ids of the messages on `platform` that the bot links to ideas and its own posts."""
    async with db.session() as session:
        return list((await session.exec(select(MessageLink.message_id).where(MessageLink.platform == platform))).all())
