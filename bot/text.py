"""Cleaning of text people type, before the bot stores it."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import UserError

# Bidirectional overrides and isolates can make stored text display differently from what
# was typed; zero-width characters hide words from search. Neither belongs in an idea.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_control_characters(text: str) -> str:
    """Remove control and invisible characters, keeping line breaks and tabs."""
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn"))


def clean_text(text: str, *, max_length: int, empty_key: str, too_long_key: str) -> str:
    """Normalized text, or a UserError when it is empty or over `max_length` characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = strip_control_characters(text)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        raise UserError(empty_key)
    if len(text) > max_length:
        raise UserError(too_long_key, length=len(text), limit=max_length)
    return text


def clean_optional(text: str, max_length: int) -> str:
    """Free text that may be empty (a withdrawal's reason): cleaned as ideas are, then cut to `max_length`."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANK_LINES.sub("\n\n", strip_control_characters(text)).strip()[:max_length]


def clean_name(text: str | None) -> str:
    """A name or title a platform passes on (a display name, a username, a room's title): one line, no
    control or invisible characters, as people's own text is; PostgreSQL refuses a NUL in it."""
    return " ".join(strip_control_characters(unicodedata.normalize("NFC", text or "")).split())


def clip(text: str, length: int) -> str:
    """`text` shortened to `length` characters with an ellipsis, for lists."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# Every id column is a 32-bit INTEGER; a larger number names nothing (PostgreSQL refuses it).
MAX_ID = 2**31 - 1
_NUMBER = re.compile(r"[0-9]{1,12}")


def is_number(text: str) -> bool:
    """ASCII digits only, at most 12: `str.isdigit` also accepts '²', which int() refuses."""
    return bool(_NUMBER.fullmatch(text))
