"""Platform-neutral types for what reaches the bot and what it sends back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Actor:
    """The person behind an event, as the platform names them."""

    platform: str
    user_id: str
    display_name: str = ""
    username: str | None = None


@dataclass(frozen=True)
class Place:
    """Where an event happened: a group room, or a direct chat when `is_direct`."""

    platform: str
    chat_id: str
    title: str = ""
    is_direct: bool = False


@dataclass(frozen=True)
class IncomingMessage:
    """A text message or command from a person."""

    event_id: str
    actor: Actor
    place: Place
    text: str
    message_id: str | None = None
    # The message this one answers (a Telegram reply, a Slack thread's parent), if any.
    reply_to: str | None = None


@dataclass(frozen=True)
class ButtonPress:
    """A press of one of the bot's buttons; `action` is the button's payload."""

    event_id: str
    actor: Actor
    place: Place
    action: str
    message_id: str | None = None
    # Set when the press was a reaction on the bot's message (Matrix): the reaction's own id,
    # so that taking the reaction back takes back what the press gave.
    reaction_id: str | None = None


@dataclass(frozen=True)
class ReactionAdded:
    """An emoji reaction put on a message (a 👍 on an idea counts as support)."""

    event_id: str
    actor: Actor
    place: Place
    emoji: str
    message_id: str
    # The reaction's own id where the platform has one (Matrix: the m.reaction event); a removal names it.
    reaction_id: str | None = None


@dataclass(frozen=True)
class ReactionRemoved:
    """A reaction taken back: named by the message and emoji (Telegram, Slack) or by its own id (Matrix)."""

    event_id: str
    actor: Actor
    place: Place
    emoji: str = ""
    message_id: str | None = None
    reaction_id: str | None = None


@dataclass(frozen=True)
class MessageEdited:
    """A person changed the text of a message they sent earlier (`message_id` names that message)."""

    event_id: str
    actor: Actor
    place: Place
    message_id: str
    text: str
    # When the platform says the edit was made: of two edits arriving out of order, the later one wins.
    edited_at: datetime | None = None


@dataclass(frozen=True)
class RoomMoved:
    """The platform gave a room a new id (a Telegram group upgraded to a supergroup)."""

    event_id: str
    actor: Actor
    place: Place
    new_chat_id: str


Incoming = IncomingMessage | ButtonPress | ReactionAdded | ReactionRemoved | MessageEdited | RoomMoved


@dataclass(frozen=True)
class Button:
    """A button under a message; `action` comes back in a ButtonPress when pressed."""

    label: str
    action: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "action": self.action}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> "Button":
        return cls(label=data["label"], action=data["action"])


@dataclass
class Outgoing:
    """A message the core wants delivered to a room or to one person."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    kind: str = "message"  # message, invite, reaction, photo, document (payload "path")
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Destination:
    """Where an outbox entry goes on its platform: a room (chat) or a user (direct message)."""

    platform: str
    kind: str  # room, user
    id: str


@dataclass(frozen=True)
class SendResult:
    """What a platform answered to a send: the message id, or an invite link for invites."""

    message_id: str | None = None
    link: str | None = None
    detail: str = ""


@dataclass
class Outcome:
    """What the core tells the adapter right away: a short note for a pressed button."""

    toast: str | None = None
    duplicate: bool = False
    failed: bool = False
    # Failed only because the database could not be reached: the same event later may succeed.
    retryable: bool = False
    handled_at: datetime | None = None
