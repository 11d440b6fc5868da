"""What a handler gets: the person, the room, the open transaction and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import people
from bot.config import Settings
from bot.dates import official_date, official_datetime, official_day, official_period
from bot.errors import NotAllowed
from bot.honorifics import called
from bot.i18n import Translator
from bot.messages import Button, Destination, MessagePayload, Outgoing, Place
from bot.office_hours import OfficeHours
from bot.outbox import enqueue
from bot.ports import Clock
from bot.registry import Registry
from storage.tables import AuditEntry, Identity, OutboxMessage, PendingInput, Person, Room, table_of

REPLY, NOTICE, BULK = 0, 5, 9
_AUDIT_INSERT = sa.insert(table_of(AuditEntry))


@dataclass
class Context:
    """One event being handled, inside one database transaction."""

    session: AsyncSession
    settings: Settings
    clock: Clock
    registry: Registry
    person: Person
    identity: Identity
    room: Room
    place: Place
    event_id: str
    message_id: str | None = None
    # The reaction this event is ("platform:chat:message or reaction id"), when a reaction gives
    # something (a 👍 support) that taking the reaction back should take back.
    reaction: str | None = None
    translators: dict[str, Translator] = field(default_factory=dict)
    # Set for work the bot does on its own (reminders): what it sends waits for office hours.
    office_hours: OfficeHours | None = None

    # --- language and time ---------------------------------------------------------------

    def translator(self, person: Person | None = None) -> Translator:
        locale = (person.locale if person and person.locale else None) or self.settings.locale
        if locale not in self.translators:
            self.translators[locale] = Translator(locale)
        return self.translators[locale]

    def t(self, key: str, **params: object) -> str:
        """A catalog message in the language of the person who is acting."""
        return self.translator(self.person)(key, **params)

    def called(self, person: Person, reader: Person | None = None) -> str:
        """`person`'s name with the honorific, as written for `reader` (default: who is acting)."""
        return called(person, self.translator(reader or self.person).locale)

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, when: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time shown in the office's time zone."""
        return when.astimezone(self.settings.tz).strftime(fmt)

    def send_after(self) -> datetime | None:
        """When what this context sends may go out: None (at once) unless office hours apply."""
        return self.office_hours.next_open(self.now()) if self.office_hours else None

    def date(self, when: datetime | date, reader: Person | None = None) -> str:
        """A stored UTC time's day (or a calendar day) as 공문 write it: '2026. 6. 15.(월)'."""
        day = when.astimezone(self.settings.tz).date() if isinstance(when, datetime) else when
        return official_date(day, self.translator(reader or self.person).locale)

    def day(self, when: datetime, reader: Person | None = None) -> str:
        """A stored UTC time's day within the year, for lists: '6. 15.(월)'."""
        return official_day(when.astimezone(self.settings.tz).date(), self.translator(reader or self.person).locale)

    def when(self, when: datetime, reader: Person | None = None) -> str:
        """A stored UTC time as 공문 write it, in the office's zone: '2026. 6. 15.(월) 14:00'."""
        return official_datetime(when.astimezone(self.settings.tz), self.translator(reader or self.person).locale)

    def period(self, label: str, reader: Person | None = None) -> str:
        """A period's label ('2026-Q2', '2026-03', '2026') as the office writes it: '2026년 2분기'."""
        return official_period(label, self.translator(reader or self.person).locale)

    # --- answering and telling -------------------------------------------------------------

    def reply(
        self,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        ref: tuple[str, int] | None = None,
        coalesce_key: str | None = None,
    ) -> OutboxMessage:
        """Answer where the event came from, before any bulk sending."""
        destination = Destination(self.place.platform, "room", self.place.chat_id)
        payload: MessagePayload = {"reply_to": self.message_id} if self.message_id else {}
        return enqueue(
            self.session,
            destination,
            Outgoing(text, buttons or [], payload=payload),
            priority=REPLY,
            ref=ref,
            coalesce_key=coalesce_key,
            now=self.now(),
            not_before=self.send_after(),
        )

    def post(
        self,
        room: Room,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        priority: int = NOTICE,
        ref: tuple[str, int] | None = None,
    ) -> OutboxMessage:
        """Post to a room (its own platform)."""
        destination = Destination(room.platform, "room", room.external_id)
        message = Outgoing(text, buttons or [])
        return enqueue(
            self.session, destination, message, priority=priority, ref=ref, now=self.now(), not_before=self.send_after()
        )

    async def identity_of(self, person: Person) -> Identity | None:
        """The account to reach `person` on: this platform's first, then any other."""
        return await people.reachable_account(self.session, person, prefer=self.place.platform)

    async def tell(
        self,
        person: Person,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        priority: int = NOTICE,
        payload: MessagePayload | None = None,
        ref: tuple[str, int] | None = None,
    ) -> OutboxMessage | None:
        """A direct message to `person`; None when they have no account the bot can reach."""
        identity = await self.identity_of(person)
        if identity is None:
            return None
        destination = Destination(identity.platform, "user", identity.external_id)
        message = Outgoing(text, buttons or [], payload=payload or MessagePayload())
        return enqueue(
            self.session, destination, message, priority=priority, ref=ref, now=self.now(), not_before=self.send_after()
        )

    async def tell_organizers(self, key: str, **params: object) -> int:
        """A direct message to every organizer, each in their language; returns how many."""
        count = 0
        for organizer in await self.organizers():
            if await self.tell(organizer, self.translator(organizer)(key, **params)):
                count += 1
        return count

    # --- roles and records -------------------------------------------------------------------

    def is_organizer(self, person: Person | None = None, identity: Identity | None = None) -> bool:
        person = person or self.person
        identity = identity or (self.identity if person is self.person else None)
        return people.is_organizer(person, identity, self.settings)

    async def require_organizer(self, action: str) -> None:
        """Refuse (and let the core audit the attempt) unless the person is an organizer."""
        if not self.is_organizer():
            raise NotAllowed(action)

    async def organizers(self) -> list[Person]:
        """People with the organizer role, in the database or by IDEAROOM_ORGANIZERS."""
        return await people.organizers(self.session, self.settings)

    def audit(self, action: str, subject_kind: str = "", subject_id: int | None = None, **detail: Any) -> None:
        """Record a state change or a refused attempt in the audit log."""
        self.session.add(AuditEntry(**self._audit_row(action, subject_kind, subject_id, detail)))

    async def audit_now(
        self, action: str, subject_kind: str = "", subject_id: int | None = None, **detail: Any
    ) -> None:
        """`audit`, written at once by a Core insert (no ORM object to flush): for the busiest
        commands, whose entry nothing in the same transaction reads back as an object."""
        await self.session.exec(_AUDIT_INSERT, params=self._audit_row(action, subject_kind, subject_id, detail))

    def _audit_row(
        self, action: str, subject_kind: str, subject_id: int | None, detail: dict[str, Any]
    ) -> dict[str, Any]:
        return dict(
            at=self.now(),
            actor_id=self.person.id,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            detail=detail,
        )

    async def publish(self, event: str, **data: Any) -> None:
        """Tell the features listening to `event` (points, reminders) in this transaction."""
        for listener in self.registry.listeners.get(event, []):
            await listener(self, **data)

    async def find_person(self, reference: str) -> Person | None:
        """A person named by @mention, platform id, handle or full name."""
        return await people.find_by_reference(self.session, self.place.platform, reference)

    async def ask(self, kind: str, ref_id: int | None = None, **data: Any) -> None:
        """Remember that the bot waits for this person's answer of `kind`."""
        pending = (
            await self.session.exec(select(PendingInput).where(PendingInput.person_id == self.person.id))
        ).first()
        if pending is None:
            assert self.person.id is not None
            pending = PendingInput(person_id=self.person.id, kind=kind)
        pending.kind, pending.ref_id, pending.data, pending.created_at = kind, ref_id, data, self.now()
        self.session.add(pending)
