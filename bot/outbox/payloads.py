"""The stored JSON of each kind of outbox entry, read and written through pydantic (follow-ups included)."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import TypeAdapter

from bot.messages import (
    DocumentPayload,
    InvitePayload,
    Kind,
    MessagePayload,
    Payload,
    PhotoPayload,
    ReactionPayload,
)

_KINDS: dict[str, Kind] = {kind: kind for kind in get_args(Kind)}
# Kinds that post into a chat, and so count against its pace (invites and reactions do not).
CHAT_KINDS: frozenset[str] = frozenset({"message", "photo", "document"})

MESSAGE = TypeAdapter(MessagePayload)
PHOTO = TypeAdapter(PhotoPayload)
DOCUMENT = TypeAdapter(DocumentPayload)
INVITE = TypeAdapter(InvitePayload)
REACTION = TypeAdapter(ReactionPayload)
_BY_KIND: dict[str, TypeAdapter[Any]] = {
    "message": MESSAGE,
    "photo": PHOTO,
    "document": DOCUMENT,
    "invite": INVITE,
    "reaction": REACTION,
}


def kind_of(stored: str) -> Kind:
    """The kind of a stored entry; an unknown one is a bug of whoever wrote it."""
    if stored not in _KINDS:
        raise ValueError(f"unknown outbox entry kind {stored!r}")
    return _KINDS[stored]


def encode(kind: str, payload: Payload | dict[str, Any]) -> dict[str, Any]:
    """The JSON stored for `payload` (follow-ups as plain objects); wrong keys or types raise."""
    adapter = _BY_KIND[kind_of(kind)]
    result: dict[str, Any] = adapter.dump_python(adapter.validate_python(payload), mode="json")
    return result


def decode(kind: str, stored: dict[str, Any] | None) -> Payload:
    """The typed payload of a stored entry."""
    result: Payload = _BY_KIND[kind_of(kind)].validate_python(stored or {})
    return result


def message_payload(kind: str, stored: dict[str, Any] | None) -> MessagePayload:
    """What a chat message carries for the outbox itself (nothing for the other kinds)."""
    return MESSAGE.validate_python(stored or {}) if kind == "message" else MessagePayload()
