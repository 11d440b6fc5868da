"""Small helpers shared by the features: numbers typed by people (and, from the core, the room's topic)."""

from __future__ import annotations

from bot.errors import UserError
from bot.text import is_number
from bot.topics.queries import active_topic  # noqa: F401  (the features' one import for it)


def parse_number(word: str | None, missing_key: str, **params: object) -> int:
    """An idea or proposal number as people type it: `12` or `#12`."""
    if word is None:
        raise UserError(missing_key, **params)
    cleaned = word.strip().lstrip("#")
    if not is_number(cleaned):
        raise UserError("error.not_a_number", value=word[:20])
    return int(cleaned)


def parse_numbers(text: str) -> list[int]:
    """Numbers separated by commas or spaces: `3,5 7` → [3, 5, 7]; invalid words raise."""
    words = [w for w in text.replace(",", " ").split() if w]
    return [parse_number(w, "error.not_a_number") for w in words]
