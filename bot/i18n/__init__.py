"""The message catalog: every text the bot says, in Korean (default) and English.

Catalogs are gettext `.po` files (one per feature) under `bot/i18n/<locale>/`, read with
Babel, so translators work with the tools they know. Message ids are stable keys such as
`idea.recorded`; the Korean and English texts are both translations of the key.

The locales are the folders: `bot/i18n/<locale>/`, and those of IDEAROOM_CATALOGS (a language
added outside the package). Command words too come from the catalogs (`commands.po`:
`command.topic` → "주제", `command.topic.pick` → "선정, 정하기"), so a language brings its own.

Korean particles are written once on the placeholder and chosen when the text is rendered:
`{title:을}` gives "대책을" or "정류소를"; `!q` quotes the value first, so
`{title!q:을} 등록했습니다` gives "'버스정류장 폭염 대책'을 등록했습니다". Never "을(를)". English counts name their noun
once in both numbers: `{count:idea|ideas}` gives "1 idea" and "3 ideas", never "1 ideas".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from bot.i18n.particles import PARTICLES, particle

DEFAULT_LOCALE = "ko"
COMMAND_PREFIX = "command."
_PACKAGE_DIR = Path(__file__).parent
_extra_dirs: tuple[Path, ...] = ()


def use_catalogs(folders: Iterable[str | Path]) -> None:
    """Read locales from these folders too, after the package's own (set from IDEAROOM_CATALOGS)."""
    global _extra_dirs
    _extra_dirs = tuple(Path(folder) for folder in folders)


def _roots(extra: Iterable[str | Path] | None = None) -> tuple[Path, ...]:
    return (_PACKAGE_DIR, *(_extra_dirs if extra is None else (Path(f) for f in extra)))


def locales(extra: Iterable[str | Path] | None = None) -> tuple[str, ...]:
    """Every locale that has a catalog folder, the default first: to add a language, copy a folder."""
    return _locales(_roots(extra))


@cache
def _locales(roots: tuple[Path, ...]) -> tuple[str, ...]:
    found = {folder.name for root in roots if root.is_dir() for folder in root.iterdir() if any(folder.glob("*.po"))}
    return (DEFAULT_LOCALE, *sorted(found - {DEFAULT_LOCALE}))


def load_messages(locale: str) -> dict[str, str]:
    """All messages of one locale, merged from its `.po` files."""
    return _messages(_roots(), locale)


@cache
def _messages(roots: tuple[Path, ...], locale: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for root in roots:
        for po_file in sorted((root / locale).glob("*.po")):
            with po_file.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            for message in catalog:
                if message.id and message.string:
                    messages[str(message.id)] = str(message.string)
    return messages


def command_words(key: str) -> frozenset[str]:
    """The words that name a command or sub-command in any locale: `command_words("topic.pick")`
    is {"pick", "선정", …}; the English word of the key always works."""
    return _command_words(_roots())[key]


def command_aliases() -> dict[str, str]:
    """Every locale's word for a command, to the command's name: {"주제": "topic", …}."""
    return _command_aliases(_roots())


@cache
def _command_words(roots: tuple[Path, ...]) -> dict[str, frozenset[str]]:
    words: dict[str, set[str]] = {}
    for locale in _locales(roots):
        for key, text in _messages(roots, locale).items():
            if key.startswith(COMMAND_PREFIX):
                name = key.removeprefix(COMMAND_PREFIX)
                found = words.setdefault(name, {name.rsplit(".", 1)[-1]})
                found.update(word.strip().lower() for word in text.split(",") if word.strip())
    return _AlwaysEnglish({name: frozenset(found) for name, found in words.items()})


class _AlwaysEnglish(dict[str, frozenset[str]]):
    """A command or sub-command without catalog words is still named by its English word."""

    def __missing__(self, key: str) -> frozenset[str]:
        return frozenset({key.rsplit(".", 1)[-1]})


@cache
def _command_aliases(roots: tuple[Path, ...]) -> dict[str, str]:
    return {
        word: name for name, found in _command_words(roots).items() if "." not in name for word in found if word != name
    }


def placeholders(template: str) -> set[str]:
    """The named fields of a message, e.g. {'number'} for '#{number}'."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


class _CatalogFormatter(Formatter):
    """str.format plus `!q` (quote the value), a Korean particle, an English plural or `month_name` as the spec."""

    def convert_field(self, value: object, conversion: str | None) -> object:
        if conversion == "q":
            return f"'{value}'"
        return super().convert_field(value, conversion)

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" in format_spec:  # English plurals: {count:idea|ideas}
            one, many = format_spec.split("|", 1)
            return f"{value} {one if int(str(value)) == 1 else many}"
        if format_spec == "month_name":  # English: {month:month_name} -> "March"; Korean writes {month}월
            return _MONTH_NAMES[int(str(value)) - 1]
        if format_spec in PARTICLES:
            text = format(value, "")
            return text + particle(text, format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _CatalogFormatter()
# Not calendar.month_name: that follows the process's C locale.
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def render(template: str, **params: object) -> str:
    """A catalog template filled in, with its particles chosen."""
    return _FORMATTER.vformat(template, (), params)


class Translator:
    """Renders catalog messages in one locale, falling back to Korean, then to the key."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in locales() else DEFAULT_LOCALE
        self._messages = load_messages(self.locale)
        self._fallback = load_messages(DEFAULT_LOCALE)

    def __call__(self, key: str, **params: object) -> str:
        template = self._messages.get(key) or self._fallback.get(key)
        if template is None:
            return key
        return render(template, **params) if params else template

    def has(self, key: str) -> bool:
        return key in self._messages
