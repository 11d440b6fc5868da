"""Platform-neutral types for what reaches the bot and what it sends back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NotRequired

# pydantic (the outbox's JSON codec) reads TypedDicts from typing_extensions on Python 3.11.
from typing_extensions import TypedDict


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
    def from_json(cls, data: dict[str, str]) -> Button:
        return cls(label=data["label"], action=data["action"])


# What an outbox entry does on its platform: post a message, a photo or a file, invite, react.
Kind = Literal["message", "photo", "document", "invite", "reaction"]


@dataclass(frozen=True)
class Wording:
    """A catalog text worded only when it is sent, with values known only then (an invite link).

    `params` may hold wordings themselves, each in its own reader's locale; the late values
    (`link`) are given to every one of them.
    """

    key: str
    locale: str
    params: dict[str, str | int | Wording] = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUp:
    """A message the outbox writes on its own once an entry is delivered, or finally fails."""

    to: Destination
    wording: Wording
    priority: int = 5


class MessagePayload(TypedDict, total=False):
    """A chat message: what it answers, and what the outbox needs to know about it."""

    reply_to: str  # the person's message it answers (adapters thread or quote it)
    start_payload: str  # for `on_failed`: the `/start` argument its direct-chat link opens with
    on_failed: FollowUp  # told to someone else when this message cannot be delivered
    covers: list[int]  # a merged confirmation: the entries it stands for
    failure_of: int  # a failure notice: the entry that failed (never itself reported)
    reacted: bool  # a confirmation whose reaction is already queued


class PhotoPayload(TypedDict, total=False):
    """An image: a file, or figures the outbox has drawn when it is sent (the /report chart)."""

    path: str
    render: dict[str, Any]
    reply_to: str


class DocumentPayload(TypedDict):
    """A file to post, with the message text as its caption."""

    path: str


class InvitePayload(TypedDict):
    """Bring the destination user into a room; a link the platform gives back goes to `on_sent`."""

    room_id: str
    on_sent: NotRequired[FollowUp]


class ReactionPayload(TypedDict):
    """An emoji put on a message in the destination room."""

    message_id: str
    emoji: str


Payload = MessagePayload | PhotoPayload | DocumentPayload | InvitePayload | ReactionPayload


@dataclass
class Outgoing:
    """A message the core wants delivered to a room or to one person; `payload` is the one of its kind."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    kind: Kind = "message"
    payload: Payload = field(default_factory=MessagePayload)


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
    # The platform showed the file's path instead of uploading it (the console): the file must stay.
    file_kept: bool = False


@dataclass
class Outcome:
    """What the core tells the adapter right away: a short note for a pressed button."""

    toast: str | None = None
    duplicate: bool = False
    failed: bool = False
    # Failed only because the database could not be reached: the same event later may succeed.
    retryable: bool = False
    handled_at: datetime | None = None
