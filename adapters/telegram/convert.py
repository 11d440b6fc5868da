"""Turns Telegram updates into the core's neutral events; what the bot should not act on becomes None."""

from __future__ import annotations

import logging

from telegram import Chat, ReactionTypeEmoji, Update, User
from telegram.constants import ChatType

from bot.core import SUPPORT_EMOJI
from bot.messages import (
    Actor,
    ButtonPress,
    Incoming,
    IncomingMessage,
    MessageEdited,
    Place,
    ReactionAdded,
    ReactionRemoved,
    RoomMoved,
)

log = logging.getLogger(__name__)

PLATFORM = "telegram"


class Malformed(ValueError):
    """An update whose fields are not of the types the Bot API documents."""


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{what} is {type(value).__name__}, not a string")
    return value


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _id(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"{what} is {type(value).__name__}, not an integer")
    return str(value)


def actor(user: User) -> Actor:
    name = _text(user.first_name, "first_name") + (f" {_text(user.last_name, 'last_name')}" if user.last_name else "")
    return Actor(PLATFORM, _id(user.id, "user id"), name, _optional_text(user.username, "username"))


def place(chat: Chat) -> Place:
    title = _optional_text(chat.title, "chat title") or ""
    return Place(PLATFORM, _id(chat.id, "chat id"), title, is_direct=chat.type == ChatType.PRIVATE)


def to_event(update: Update) -> Incoming | None:
    """The neutral event for `update`, or None for service messages, bots, unknown kinds and
    updates whose fields have the wrong types (those are logged)."""
    try:
        return _event(update)
    except Malformed as error:
        log.warning("telegram update %s ignored: %s", update.update_id, error)
        return None


def _event(update: Update) -> Incoming | None:
    event_id = str(update.update_id)
    if update.message is not None:
        message = update.message
        user = message.from_user
        text = _optional_text(message.text, "text") or _optional_text(message.caption, "caption")
        if message.migrate_to_chat_id is not None and user is not None:
            new_chat = _id(message.migrate_to_chat_id, "migrate_to_chat_id")
            return RoomMoved(event_id, actor(user), place(message.chat), new_chat)
        # Bots (including the anonymous-admin stand-in) and service messages carry no idea.
        if user is None or user.is_bot or not text:
            return None
        replied = message.reply_to_message
        return IncomingMessage(
            event_id,
            actor(user),
            place(message.chat),
            text,
            _id(message.message_id, "message_id"),
            reply_to=_id(replied.message_id, "message_id") if replied is not None else None,
        )
    if update.edited_message is not None:
        edited = update.edited_message
        user = edited.from_user
        text = _optional_text(edited.text, "text") or _optional_text(edited.caption, "caption")
        if user is None or user.is_bot or not text:
            return None
        # Each edit is an update of its own (its own update_id); edit_date orders two edits of one message.
        return MessageEdited(
            event_id, actor(user), place(edited.chat), _id(edited.message_id, "message_id"), text, edited.edit_date
        )
    if update.callback_query is not None:
        query = update.callback_query
        if query.data is None or query.from_user.is_bot:
            return None
        data = _text(query.data, "callback data")
        if query.message is not None:
            where, message_id = place(query.message.chat), _id(query.message.message_id, "message_id")
        else:  # a button of an inline-mode message: only the presser's own chat is known
            where, message_id = Place(PLATFORM, _id(query.from_user.id, "user id"), is_direct=True), None
        return ButtonPress(event_id, actor(query.from_user), where, data, message_id)
    if update.message_reaction is not None:
        reaction = update.message_reaction
        if reaction.user is None or reaction.user.is_bot:
            return None  # an anonymous admin's reaction names no person
        old = {_text(r.emoji, "emoji") for r in reaction.old_reaction if isinstance(r, ReactionTypeEmoji)}
        new = [_text(r.emoji, "emoji") for r in reaction.new_reaction if isinstance(r, ReactionTypeEmoji)]
        added = [emoji for emoji in new if emoji not in old]
        taken_back = [emoji for emoji in old if emoji not in new]
        message_id = _id(reaction.message_id, "message_id")
        who, where = actor(reaction.user), place(reaction.chat)
        # One update may put one emoji in place of another: what matters is a 👍 coming or going.
        given = next((e for e in added if e in SUPPORT_EMOJI), None)
        withdrawn = next((e for e in taken_back if e in SUPPORT_EMOJI), None)
        if given is None and withdrawn is not None:
            return ReactionRemoved(event_id, who, where, withdrawn, message_id)
        if not added:
            return None  # another emoji taken back
        return ReactionAdded(event_id, who, where, given or added[0], message_id)
    return None
