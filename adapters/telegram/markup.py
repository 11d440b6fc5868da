"""Telegram HTML: escaped text split to Telegram's length limit, inline keyboards, reaction emoji."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ReactionEmoji

from bot.messages import Button

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_ALLOWED_REACTIONS = {emoji.value for emoji in ReactionEmoji}
_REACTION_ALIASES = {
    "+1": "👍",
    "thumbsup": "👍",
    "eyes": "👀",
    "ok": "👌",
    "✅": "👌",
    "✔": "👌",
    "white_check_mark": "👌",
    "heavy_check_mark": "👌",
    "writing_hand": "✍",
    "memo": "✍",
    "📝": "✍",
    "tada": "🎉",
}
FALLBACK_REACTION = "👀"


class MarkupError(ValueError):
    """Something the core asked for cannot be expressed on Telegram (a programming error)."""


def escape(text: str) -> str:
    """Plain text made safe for parse_mode HTML: no tag or entity of the user's survives."""
    return html.escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """The text escaped for HTML, in pieces of at most `limit` units, cut at line ends where possible."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.splitlines(keepends=True):
        for part in _cut_long_line(line, limit):
            escaped = escape(part)
            length = utf16_length(escaped)
            if current and size + length > limit:
                pieces.append("".join(current))
                current, size = [], 0
            current.append(escaped)
            size += length
    if current:
        pieces.append("".join(current))
    return [piece.rstrip("\n") for piece in pieces if piece.strip()]


def _cut_long_line(line: str, limit: int) -> list[str]:
    """A line whose escaped form exceeds `limit`, cut (at a space where one is near) into parts that fit."""
    if utf16_length(escape(line)) <= limit:
        return [line]
    parts: list[str] = []
    start, size, last_space = 0, 0, -1
    for index, char in enumerate(line):
        length = utf16_length(escape(char))
        if size + length > limit:
            # Prefer cutting after a space in the second half of the part to keep words whole.
            cut = last_space + 1 if last_space - start > limit // 2 else index
            parts.append(line[start:cut])
            start = cut
            size = utf16_length(escape(line[start:index]))
            last_space = -1
        if char.isspace():
            last_space = index
        size += length
    parts.append(line[start:])
    return parts


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard whose buttons send their action back as callback data."""
    buttons = []
    for row in rows:
        if not row:
            continue
        for button in row:
            if len(button.action.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise MarkupError(f"button action over {MAX_CALLBACK_DATA_BYTES} bytes: {button.action[:80]!r}")
        buttons.append([InlineKeyboardButton(button.label, callback_data=button.action) for button in row])
    return InlineKeyboardMarkup(buttons) if buttons else None


def reaction_emoji(emoji: str) -> str:
    """The reaction Telegram accepts closest to `emoji` (it only allows a fixed set)."""
    bare = emoji.strip().strip(":").replace("\ufe0f", "")
    if bare in _ALLOWED_REACTIONS:
        return bare
    return _REACTION_ALIASES.get(bare.lower(), FALLBACK_REACTION)
