"""What organizers learn of an entry that could not be delivered: where it went, and why it failed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import people
from bot.config import Settings
from bot.i18n import Translator
from bot.messages import Destination
from bot.outbox.entries import add_raw, entry_id
from bot.outbox.payloads import message_payload
from bot.text import clip
from storage.tables import OutboxMessage, Room


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


async def notify_failure(session: AsyncSession, entry: OutboxMessage, settings: Settings, now: datetime) -> int:
    """Tell every organizer that `entry` finally failed; returns how many were told.

    Nothing is sent about a message that was itself for an organizer (or a notice of a
    failure): if organizers cannot be reached, telling them would only fail again, in a loop.
    """
    if message_payload(entry.kind, entry.payload).get("failure_of"):
        return 0
    organizers = await people.organizer_accounts(session, settings)
    if entry.dest_kind == "user" and any(
        (i.platform, i.external_id) == (entry.platform, entry.dest_id) for _, i in organizers
    ):
        return 0
    where = await describe_destination(session, entry)
    for person, identity in organizers:
        translate = Translator(person.locale or settings.locale)
        add_raw(
            session,
            Destination(identity.platform, "user", identity.external_id),
            text=translate("outbox.failed_notice", id=entry.id, destination=where, reason=clip(entry.error, 200)),
            payload={"failure_of": entry_id(entry)},
            now=now,
        )
    return len(organizers)
