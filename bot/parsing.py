"""Turns a line of chat text into a command, the same way for every platform."""

from __future__ import annotations

import difflib
import re
import shlex
import unicodedata
from dataclasses import dataclass, field

from bot.i18n import command_aliases

_IDEA_TAGS = ("#아이디어", "#idea")
_COMMAND = re.compile(r"^/(?P<name>[^\s@/]+)(?:@(?P<bot>\S+))?(?:\s+(?P<args>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class ParsedCommand:
    """A command word and its arguments: `args` is the raw rest, `argv` its words (NFKC).

    `typed` is the command word as the person wrote it (`주제` for `/주제`), to echo it back.
    """

    name: str
    args: str = ""
    argv: list[str] = field(default_factory=list)
    typed: str = ""

    @property
    def shown(self) -> str:
        """The command as typed, for messages: '주제' when they wrote /주제."""
        return self.typed or self.name

    def word(self, index: int) -> str | None:
        return self.argv[index].lower() if len(self.argv) > index else None

    def rest_after(self, count: int) -> str:
        """The raw text after the first `count` words, as typed (quotes and spacing kept)."""
        text = self.args
        for _ in range(count):
            parts = text.split(None, 1)
            text = parts[1] if len(parts) > 1 else ""
        return text.strip()


def closest_command(typed: str, commands: list[str]) -> str | None:
    """The command word closest to a mistyped one, Korean for Korean: `/아이디여` -> `아이디어`."""
    korean = not typed.isascii()
    aliases = command_aliases()
    words = (
        [alias for alias, name in aliases.items() if name in commands and not alias.isascii()] if korean else commands
    )
    found = difflib.get_close_matches(typed, words, n=1, cutoff=0.5 if korean else 0.6)
    return found[0] if found else None


def split_words(text: str) -> list[str]:
    """Words of an argument string; quotes group words, unbalanced quotes are forgiven.

    Words are NFKC-normalised, so '２' is the digit 2 and '／' a slash wherever a word is
    read as a number, a sub-command or a date; free text (`args`) is kept as typed.
    """
    text = unicodedata.normalize("NFKC", text)
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse(text: str, bot_username: str | None = None) -> ParsedCommand | None:
    """The command in `text`, or None for ordinary chat.

    `/idea@idearoom_bot ...` is accepted; a command addressed to another bot is not ours.
    A message starting with `#아이디어` or `#idea` is the idea command.
    """
    stripped = text.strip()
    lowered = stripped.lower()
    for tag in _IDEA_TAGS:
        if lowered.startswith(tag) and (len(stripped) == len(tag) or not stripped[len(tag)].isalnum()):
            rest = stripped[len(tag) :].lstrip(" :：-\n\t")
            return ParsedCommand("idea", rest, split_words(rest))
    match = _COMMAND.match(stripped) or _COMMAND.match(unicodedata.normalize("NFKC", stripped))
    if not match:
        return None
    addressed_to = match.group("bot")
    if addressed_to and bot_username and addressed_to.lower() != bot_username.lower():
        return None
    typed = unicodedata.normalize("NFKC", match.group("name")).lower()
    name = command_aliases().get(typed, typed)
    args = (match.group("args") or "").strip()
    return ParsedCommand(name, args, split_words(args), typed)
