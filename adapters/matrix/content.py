"""Matrix message content: the plain body and its `org.matrix.custom.html` twin, user text never markup."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.messages import Button

# A word joiner between "@" and "room": clients that still read the body for "@room" see no mention.
_ROOM_MENTION = re.compile(r"@(room)\b", re.IGNORECASE)
BUTTONS_FIELD = "org.idearoom.buttons"  # which reaction on this message stands for which button
KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]


def defuse_mentions(text: str) -> str:
    return _ROOM_MENTION.sub("@\u2060\\1", text)


def leading_emoji(label: str) -> str:
    """The emoji a button label starts with ("👍 공감" → "👍"), or "" when it starts with a letter."""
    first = label.strip().split(" ", 1)[0] if label.strip() else ""
    return first if first and not any(ch.isalnum() for ch in first) else ""


def reaction_keys(rows: list[list[Button]]) -> list[tuple[str, Button]]:
    """One reaction per button: the label's emoji, or a keycap digit when two buttons share one."""
    buttons = [button for row in rows for button in row]
    emojis = [leading_emoji(b.label) for b in buttons]
    keys: list[tuple[str, Button]] = []
    for index, (button, emoji) in enumerate(zip(buttons, emojis)):
        unique = emoji and emojis.count(emoji) == 1
        key = emoji if unique else KEYCAPS[index] if index < len(KEYCAPS) else ""
        if key:
            keys.append((key, button))
    return keys


def message_content(text: str, hint: str, rows: list[list[Button]], button_line: Any) -> dict[str, Any]:
    """An m.text event: the text and one line per button saying which reaction or command presses it.

    `button_line(key, label, command)` writes such a line in the reader's language.
    """
    keys = reaction_keys(rows)
    lines = [button_line(key, button.label, f"/press {button.action}") for key, button in keys]
    plain = defuse_mentions(text) + ("\n\n" + hint + "\n" + "\n".join(lines) if lines else "")
    formatted = html.escape(defuse_mentions(text), quote=False).replace("\n", "<br>")
    if lines:
        formatted += (
            "<br><br>"
            + html.escape(hint, quote=False)
            + "<br>"
            + "<br>".join(html.escape(line, quote=False) for line in lines)
        )
    content: dict[str, Any] = {
        "msgtype": "m.text",
        "body": plain,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        # Intentional mentions: an empty list tells every client and push rule that nobody is pinged.
        "m.mentions": {},
    }
    if keys:
        content[BUTTONS_FIELD] = [{"key": key, "action": button.action} for key, button in keys]
    return content


POLL_START = "org.matrix.msc3381.poll.start"  # Element sends and reads the MSC3381 names
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
POLL_RESPONSES = (POLL_RESPONSE, "m.poll.response")
TEXT = "org.matrix.msc1767.text"


def is_vote(rows: list[list[Button]], prefixes: tuple[str, ...] = ("vote:",)) -> bool:
    """A message whose every button casts a vote is sent as a poll."""
    buttons = [button for row in rows for button in row]
    return bool(buttons) and all(button.action.startswith(prefixes) for button in buttons)


def poll_content(text: str, rows: list[list[Button]], fallback: dict[str, Any]) -> dict[str, Any]:
    """A poll whose answer ids are the buttons' actions; clients without polls read the fallback text."""
    answers = [{"id": button.action, TEXT: button.label} for row in rows for button in row]
    return {
        POLL_START: {
            "question": {TEXT: defuse_mentions(text)},
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": 1,
            "answers": answers,
        },
        TEXT: fallback["body"],
        "body": fallback["body"],
        "m.mentions": {},
    }
