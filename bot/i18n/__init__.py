"""The message catalog: every text the bot says, in Korean (default) and English.

Catalogs are gettext `.po` files (one per feature) under `bot/i18n/<locale>/`, read with
Babel, so translators work with the tools they know. Message ids are stable keys such as
`idea.recorded`; the Korean and English texts are both translations of the key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def load_messages(locale: str) -> dict[str, str]:
    """All messages of one locale, merged from its `.po` files."""
    messages: dict[str, str] = {}
    for po_file in sorted((_DIR / locale).glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if message.id and message.string:
                messages[str(message.id)] = str(message.string)
    return messages


def placeholders(template: str) -> set[str]:
    """The named fields of a message, e.g. {'number'} for '#{number}'."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


class Translator:
    """Renders catalog messages in one locale, falling back to Korean, then to the key."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self._messages = load_messages(self.locale)
        self._fallback = load_messages(DEFAULT_LOCALE)

    def __call__(self, key: str, **params: object) -> str:
        template = self._messages.get(key) or self._fallback.get(key)
        if template is None:
            return key
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self._messages
