"""A test stand-in for a chat platform, and a story driver: `await story.say("minji", "/idea ...")`."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import func, select

from bot.config import Settings
from bot.messages import (
    Actor,
    ButtonPress,
    Destination,
    IncomingMessage,
    MessageEdited,
    Outgoing,
    Place,
    ReactionAdded,
    ReactionRemoved,
    SendResult,
)
from bot.ports import DEFAULT_ACK_REACTION, NO_LIMITS, Clock, DeliveryError, PlatformLimits
from idearoom.settings import AppSettings
from idearoom.wiring import App
from tests.templates import prepared_app

PLATFORM = "test"


@dataclass
class Sent:
    """One message the bot delivered."""

    destination: Destination
    message: Outgoing
    message_id: str
    file: bytes | None = None  # what the file the message carried held when it was sent (it is removed after)

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def actions(self) -> list[str]:
        return [b.action for row in self.message.buttons for b in row]


@dataclass
class RecordingGateway:
    """Records every send, invite and reaction; can be told to fail the next sends."""

    platform: str = PLATFORM
    limits: PlatformLimits = NO_LIMITS
    ack_reaction: str = DEFAULT_ACK_REACTION
    sent: list[Sent] = field(default_factory=list)
    invites: list[tuple[str, str]] = field(default_factory=list)
    reactions: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    invite_link: str | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        self._maybe_fail()
        message_id = f"m{next(self._ids)}"
        path = message.payload.get("path")
        content = Path(path).read_bytes() if path and message.kind in ("photo", "document") else None
        self.sent.append(Sent(destination, message, message_id, content))
        return SendResult(message_id=message_id)

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        self._maybe_fail()
        self.invites.append((user_id, room_id))
        return SendResult(link=self.invite_link, detail="link" if self.invite_link else "added")

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        self._maybe_fail()
        self.reactions.append((room_id, message_id, emoji))
        return SendResult(message_id=message_id)

    def start_link(self, payload: str) -> str | None:
        return None


def test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: no .env file, the given database, demo organisation loaded."""
    values: dict[str, object] = {
        "IDEAROOM_DATABASE_URL": database_url,
        "IDEAROOM_LOCALE": "ko",
        "TELEGRAM_BOT_TOKEN": "",
        "SLACK_BOT_TOKEN": "",
        "IDEAROOM_ORGANIZERS": "",
        "IDEAROOM_DEMO_DATA": "true",
    }
    values.update(overrides)
    return AppSettings(_env_file=None, **values)  # type: ignore[call-arg]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


class Story:
    """Drives the real core and outbox through a recording platform, like people in a chat."""

    def __init__(self, app: App, gateway: RecordingGateway) -> None:
        self.app = app
        self.gateway = gateway
        self._message_ids = itertools.count(1)

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Story:
        app = await prepared_app(settings, clock)  # a new database starts as a copy of a prepared one
        gateway = RecordingGateway()
        app.add_gateway(gateway)
        app.core.handle_platforms.add(PLATFORM)  # test people are named by their handles, as at the console
        return cls(app, gateway)

    async def close(self) -> None:
        await self.app.close()

    @staticmethod
    def actor(person: str) -> Actor:
        return Actor(PLATFORM, person, display_name=person, username=person)

    @staticmethod
    def place(room: str) -> Place:
        if room.startswith("dm:"):
            return Place(PLATFORM, room, is_direct=True)
        return Place(PLATFORM, room, title=room)

    async def _deliver(self) -> list[Sent]:
        before = len(self.gateway.sent)
        await self.app.sender.drain()
        return self.gateway.sent[before:]

    async def say(
        self,
        person: str,
        text: str,
        room: str = "room",
        event_id: str | None = None,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> list[str]:
        """`person` writes `text` in `room` (as a reply to message `reply_to`); returns what the bot sent."""
        sent = await self.say_sent(person, text, room, event_id, reply_to, message_id)
        return [s.text for s in sent]

    async def say_sent(
        self,
        person: str,
        text: str,
        room: str = "room",
        event_id: str | None = None,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> list[Sent]:
        message_id = message_id or f"u{next(self._message_ids)}"
        event = IncomingMessage(
            event_id or uuid.uuid4().hex, self.actor(person), self.place(room), text, message_id, reply_to=reply_to
        )
        await self.app.core.handle(event)
        return await self._deliver()

    async def dm(self, person: str, text: str) -> list[str]:
        """`person` writes to the bot in a direct chat."""
        return await self.say(person, text, room=f"dm:{person}")

    async def press(self, person: str, action: str, room: str = "room", event_id: str | None = None) -> str | None:
        """`person` presses a button; returns the short answer shown to them."""
        event = ButtonPress(event_id or uuid.uuid4().hex, self.actor(person), self.place(room), action)
        outcome = await self.app.core.handle(event)
        await self._deliver()
        return outcome.toast

    async def react(self, person: str, message_id: str, emoji: str = "👍", room: str = "room") -> None:
        event = ReactionAdded(uuid.uuid4().hex, self.actor(person), self.place(room), emoji, message_id)
        await self.app.core.handle(event)
        await self._deliver()

    async def unreact(self, person: str, message_id: str, emoji: str = "👍", room: str = "room") -> None:
        """`person` takes back their reaction on message `message_id`."""
        event = ReactionRemoved(uuid.uuid4().hex, self.actor(person), self.place(room), emoji, message_id)
        await self.app.core.handle(event)
        await self._deliver()

    async def edit(
        self,
        person: str,
        message_id: str,
        text: str,
        room: str = "room",
        edited_at: datetime | None = None,
        event_id: str | None = None,
    ) -> list[str]:
        """`person` edits their earlier message `message_id` to `text`; returns what the bot sent."""
        event = MessageEdited(
            event_id or uuid.uuid4().hex, self.actor(person), self.place(room), message_id, text, edited_at
        )
        await self.app.core.handle(event)
        return [s.text for s in await self._deliver()]

    async def rows(self, table: Any, *where: Any, order: Any = None) -> list[Any]:
        """Stored rows of `table` (in id order unless told), for assertions on what was stored."""
        async with self.app.db.session() as session:
            return list((await session.exec(select(table).where(*where).order_by(order or table.id))).all())

    async def count(self, table: Any, *where: Any) -> int:
        async with self.app.db.session() as session:
            return (await session.exec(select(func.count()).select_from(table).where(*where))).one()

    def to_person(self, person: str) -> list[str]:
        """Texts delivered to `person` directly."""
        return [s.text for s in self.gateway.sent if s.destination.kind == "user" and s.destination.id == person]

    def in_room(self, room: str = "room") -> list[str]:
        return [s.text for s in self.gateway.sent if s.destination.kind == "room" and s.destination.id == room]


async def link_accounts(app: App, platform: str, accounts: dict[str, str]) -> None:
    """Link platform user ids to directory handles, as a directory import with their ids does."""
    from bot.directory import link_account
    from storage.tables import Person

    async with app.db.session() as session:
        for handle, external_id in accounts.items():
            person = (await session.exec(select(Person).where(Person.handle == handle))).one()
            await link_account(session, person, platform, external_id)


def distinct_text(*seed: object) -> str:
    """A text of its own for each seed (Hangul syllables), so no two ideas of a burst look alike to the
    similar-idea check, which refuses a person's near duplicates."""
    n = sum((i + 1) * 131 * ord(c) for i, c in enumerate(repr(seed)))
    return "".join(chr(0xAC00 + (n * 7919 + k * 104729) % 11172) for k in range(8))
