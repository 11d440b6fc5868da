"""The message catalog: every text the bot says, in Korean (default) and English.

Catalogs are gettext `.po` files (one per feature) under `bot/i18n/<locale>/`, read with
Babel, so translators work with the tools they know. Message ids are stable keys such as
`idea.recorded`; the Korean and English texts are both translations of the key.

Korean particles are written once on the placeholder and chosen when the text is rendered:
`{title:을}` gives "대책을" or "정류소를"; `!q` quotes the value first, so
`{title!q:을} 등록했습니다` gives "'버스정류장 폭염 대책'을 등록했습니다". Never "을(를)". English counts name their noun
once in both numbers: `{count:idea|ideas}` gives "1 idea" and "3 ideas", never "1 ideas".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from bot.i18n.particles import PARTICLES, particle

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


class _CatalogFormatter(Formatter):
    """str.format plus `!q` (quote the value), a Korean particle or an English plural as the spec."""

    def convert_field(self, value: object, conversion: str | None) -> object:
        if conversion == "q":
            return f"'{value}'"
        return super().convert_field(value, conversion)

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" in format_spec:  # English plurals: {count:idea|ideas}
            one, many = format_spec.split("|", 1)
            return f"{value} {one if int(str(value)) == 1 else many}"
        if format_spec in PARTICLES:
            text = format(value, "")
            return text + particle(text, format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _CatalogFormatter()


def render(template: str, **params: object) -> str:
    """A catalog template filled in, with its particles chosen."""
    return _FORMATTER.vformat(template, (), params)


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
        return render(template, **params) if params else template

    def has(self, key: str) -> bool:
        return key in self._messages
