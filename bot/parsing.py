"""Turns a line of chat text into a command, the same way for every platform."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Korean command words people may type instead of the English ones.
ALIASES = {
    "아이디어": "idea",
    "아이디어목록": "ideas",
    "공감": "support",
    "주제": "topic",
    "초대": "invite",
    "제안": "proposal",
    "제안목록": "proposals",
    "포인트": "points",
    "순위": "leaderboard",
    "보고서": "report",
    "자문단": "committee",
    "알림": "remind",
    "도움말": "help",
    "할일": "todo",
    "start": "start",
}

_IDEA_TAGS = ("#아이디어", "#idea")
_COMMAND = re.compile(r"^/(?P<name>[^\s@/]+)(?:@(?P<bot>\S+))?(?:\s+(?P<args>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class ParsedCommand:
    """A command word and its arguments: `args` is the raw rest, `argv` its words."""

    name: str
    args: str = ""
    argv: list[str] = field(default_factory=list)

    def word(self, index: int) -> str | None:
        return self.argv[index].lower() if len(self.argv) > index else None

    def rest_after(self, count: int) -> str:
        """The raw text after the first `count` words, as typed (quotes and spacing kept)."""
        text = self.args
        for _ in range(count):
            parts = text.split(None, 1)
            text = parts[1] if len(parts) > 1 else ""
        return text.strip()


def split_words(text: str) -> list[str]:
    """Words of an argument string; quotes group words, unbalanced quotes are forgiven."""
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
            rest = stripped[len(tag):].lstrip(" :：-\n\t")
            return ParsedCommand("idea", rest, split_words(rest))
    match = _COMMAND.match(stripped)
    if not match:
        return None
    addressed_to = match.group("bot")
    if addressed_to and bot_username and addressed_to.lower() != bot_username.lower():
        return None
    name = match.group("name").lower()
    name = ALIASES.get(name, name)
    args = (match.group("args") or "").strip()
    return ParsedCommand(name, args, split_words(args))
