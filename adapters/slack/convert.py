"""Bolt request bodies turned into the core's neutral events (no Slack object crosses over)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from bot.messages import Actor, ButtonPress, IncomingMessage, MessageEdited, Place, ReactionAdded, ReactionRemoved

PLATFORM = "slack"
# Slack sends 👍 as `+1` or `thumbsup`, with `::skin-tone-N` for skin tones.
THUMBS_UP = {"+1", "thumbsup"}
# Message subtypes that are still a person writing (everything else is an edit, a join, a bot...).
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")


def unescape(text: str) -> str:
    """Slack's delivered text as typed: entities decoded, links unwrapped, mentions kept."""
    text = _LINK.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def place(channel_id: str, title: str = "", channel_type: str | None = None) -> Place:
    """A channel, private channel or group DM is a room; an `im` (ids starting with D) is direct."""
    is_direct = channel_type == "im" or channel_id.startswith("D")
    return Place(PLATFORM, channel_id, "" if is_direct else title, is_direct)


def actor(user_id: str, username: str | None = None, display_name: str = "") -> Actor:
    return Actor(PLATFORM, user_id, display_name=display_name or username or "", username=username)


def _fallback_event_id(*parts: Any) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"h:{digest}"


def command_to_message(body: dict[str, Any], who: Actor | None = None) -> IncomingMessage:
    """`/idea 버스정류장…` typed as a slash command: the same text the core parses everywhere."""
    command = str(body.get("command", "")).strip()
    text = unescape(str(body.get("text", "") or "")).strip()
    trigger_id = body.get("trigger_id")
    event_id = (
        f"cmd:{trigger_id}"
        if trigger_id
        else _fallback_event_id(
            body.get("team_id"), body.get("channel_id"), body.get("user_id"), command, text, body.get("ts", "")
        )
    )
    return IncomingMessage(
        event_id=event_id,
        actor=who or actor(str(body.get("user_id", "")), body.get("user_name")),
        place=place(str(body.get("channel_id", "")), str(body.get("channel_name", "") or "")),
        text=f"{command} {text}".strip(),
    )


def is_person_message(event: dict[str, Any]) -> bool:
    """A new message written by a person (not a bot, not an edit or a join notice)."""
    if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES:
        return False
    return bool(event.get("user")) and bool(event.get("text"))


def message_to_incoming(body: dict[str, Any], who: Actor | None = None) -> IncomingMessage | None:
    """A `message` event, or None when it is not a person writing."""
    event = body.get("event", {})
    if not is_person_message(event):
        return None
    return IncomingMessage(
        event_id=str(body.get("event_id") or _fallback_event_id(event.get("channel"), event.get("ts"))),
        actor=who or actor(str(event["user"])),
        place=place(str(event.get("channel", "")), channel_type=event.get("channel_type")),
        text=unescape(str(event["text"])),
        message_id=str(event.get("ts")),
        # A reply in a thread names the thread's first message (its own ts differs).
        reply_to=str(event["thread_ts"]) if event.get("thread_ts") not in (None, event.get("ts")) else None,
    )


def editor(event: dict[str, Any]) -> str | None:
    """Who edited a message, for a `message_changed` event that is a person's edit; None otherwise.

    Slack also sends `message_changed` for its own updates of a message (a link preview, a thread's
    reply count) with the text unchanged: those carry no `edited` stamp and are not edits."""
    message = event.get("message")
    if event.get("subtype") != "message_changed" or not isinstance(message, dict) or message.get("bot_id"):
        return None
    edited = message.get("edited")
    if not isinstance(edited, dict) or not isinstance(message.get("text"), str) or not message.get("ts"):
        return None
    user = edited.get("user") or message.get("user")
    return str(user) if user else None


def edit_to_event(body: dict[str, Any], who: Actor | None = None) -> MessageEdited | None:
    """A person's edit of their message: it names the message's own ts; each edit is an event of its own."""
    event = body.get("event", {})
    user = editor(event)
    if user is None:
        return None
    message = event["message"]
    stamp = str(message["edited"].get("ts") or "")
    try:
        edited_at = datetime.fromtimestamp(float(stamp), UTC) if stamp else None
    except (ValueError, OverflowError):
        edited_at = None
    return MessageEdited(
        event_id=str(body.get("event_id") or _fallback_event_id("edit", event.get("channel"), message["ts"], stamp)),
        actor=who or actor(user),
        place=place(str(event.get("channel", "")), channel_type=event.get("channel_type")),
        message_id=str(message["ts"]),
        text=unescape(str(message["text"])),
        edited_at=edited_at,
    )


def is_thumbs_up(reaction: str) -> bool:
    return reaction.split("::", 1)[0] in THUMBS_UP


def reaction_to_event(body: dict[str, Any], who: Actor | None = None) -> ReactionAdded | None:
    """A 👍 on a message (any skin tone) as the core's support emoji; other reactions are None."""
    event = body.get("event", {})
    item = event.get("item", {})
    if item.get("type") != "message" or not is_thumbs_up(str(event.get("reaction", ""))):
        return None
    return ReactionAdded(
        event_id=str(
            body.get("event_id") or _fallback_event_id(event.get("user"), item.get("ts"), event.get("reaction"))
        ),
        actor=who or actor(str(event.get("user", ""))),
        place=place(str(item.get("channel", ""))),
        emoji="👍",
        message_id=str(item.get("ts", "")),
    )


def reaction_removed_to_event(body: dict[str, Any], who: Actor | None = None) -> ReactionRemoved | None:
    """A 👍 taken off a message (any skin tone); other reactions are None."""
    event = body.get("event", {})
    item = event.get("item", {})
    if item.get("type") != "message" or not is_thumbs_up(str(event.get("reaction", ""))):
        return None
    return ReactionRemoved(
        event_id=str(
            body.get("event_id")
            or _fallback_event_id("removed", event.get("user"), item.get("ts"), event.get("event_ts"))
        ),
        actor=who or actor(str(event.get("user", ""))),
        place=place(str(item.get("channel", ""))),
        emoji="👍",
        message_id=str(item.get("ts", "")),
    )


def action_to_press(body: dict[str, Any], action: dict[str, Any], who: Actor | None = None) -> ButtonPress:
    """One pressed button of a `block_actions` payload; its value is our action string."""
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    trigger = body.get("trigger_id") or _fallback_event_id(user.get("id"), message_ts, action.get("value"))
    return ButtonPress(
        event_id=f"act:{trigger}:{action.get('action_ts', '')}",
        actor=who or actor(str(user.get("id", "")), user.get("username") or user.get("name")),
        place=place(str(channel), str((body.get("channel") or {}).get("name", "") or "")),
        action=str(action.get("value", "")),
        message_id=str(message_ts) if message_ts else None,
    )
