"""Turns Telegram updates into the core's neutral events; what the bot should not act on becomes None."""

from __future__ import annotations

from telegram import Chat, ReactionTypeEmoji, Update, User
from telegram.constants import ChatType

from bot.core import SUPPORT_EMOJI
from bot.messages import Actor, ButtonPress, Incoming, IncomingMessage, Place, ReactionAdded, RoomMoved

PLATFORM = "telegram"


def actor(user: User) -> Actor:
    return Actor(PLATFORM, str(user.id), user.full_name, user.username)


def place(chat: Chat) -> Place:
    return Place(PLATFORM, str(chat.id), chat.title or "", is_direct=chat.type == ChatType.PRIVATE)


def to_event(update: Update) -> Incoming | None:
    """The neutral event for `update`, or None for edits, service messages, bots and unknown kinds."""
    event_id = str(update.update_id)
    if update.message is not None:
        message = update.message
        user = message.from_user
        text = message.text or message.caption
        if message.migrate_to_chat_id is not None and user is not None:
            return RoomMoved(event_id, actor(user), place(message.chat), str(message.migrate_to_chat_id))
        # Bots (including the anonymous-admin stand-in) and service messages carry no idea.
        if user is None or user.is_bot or not text:
            return None
        replied = message.reply_to_message
        return IncomingMessage(
            event_id, actor(user), place(message.chat), text, str(message.message_id),
            reply_to=str(replied.message_id) if replied is not None else None,
        )
    if update.callback_query is not None:
        query = update.callback_query
        if query.data is None or query.from_user.is_bot:
            return None
        if query.message is not None:
            where, message_id = place(query.message.chat), str(query.message.message_id)
        else:  # a button of an inline-mode message: only the presser's own chat is known
            where, message_id = Place(PLATFORM, str(query.from_user.id), is_direct=True), None
        return ButtonPress(event_id, actor(query.from_user), where, query.data, message_id)
    if update.message_reaction is not None:
        reaction = update.message_reaction
        if reaction.user is None or reaction.user.is_bot:
            return None  # an anonymous admin's reaction names no person
        old = {r.emoji for r in reaction.old_reaction if isinstance(r, ReactionTypeEmoji)}
        added = [r.emoji for r in reaction.new_reaction if isinstance(r, ReactionTypeEmoji) and r.emoji not in old]
        if not added:
            return None  # a reaction taken back
        emoji = next((e for e in added if e in SUPPORT_EMOJI), added[0])
        return ReactionAdded(event_id, actor(reaction.user), place(reaction.chat), emoji, str(reaction.message_id))
    return None
