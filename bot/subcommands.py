"""One way to run a command's sub-commands (`/topic pick`, `/주제 선정`), their words from the catalogs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.i18n import command_words
from bot.text import is_number

if TYPE_CHECKING:
    from bot.context import Context
    from bot.parsing import ParsedCommand

SubHandler = Callable[["Context", "ParsedCommand"], Awaitable[None]]


def _always(command: ParsedCommand) -> bool:
    return True


@dataclass(frozen=True)
class Sub:
    """A sub-command's handler, and whether the words after it fit it.

    When they do not (`/idea edit the bus timetable` is an idea, not an edit), the command's
    `otherwise` runs as if no sub-command had been named.
    """

    handler: SubHandler
    fits: Callable[[ParsedCommand], bool] = _always


class Subcommands:
    """The sub-commands of one command by their English names; any locale's words name them too.

    `bare` runs when nothing follows the command, `numbered` when a number does (`/proposal 12`),
    `otherwise` when no sub-command fits (else the person is told the word is unknown).
    """

    def __init__(
        self,
        command: str,
        subs: Mapping[str, SubHandler | Sub],
        *,
        bare: SubHandler | None = None,
        numbered: SubHandler | Sub | None = None,
        otherwise: SubHandler | None = None,
        unknown_key: str = "",
    ) -> None:
        self.command = command
        self.subs = {name: sub if isinstance(sub, Sub) else Sub(sub) for name, sub in subs.items()}
        self.bare, self.otherwise = bare, otherwise
        self.numbered = numbered if numbered is None or isinstance(numbered, Sub) else Sub(numbered)
        self.unknown_key = unknown_key or f"{command}.unknown_subcommand"

    def which(self, word: str | None) -> str | None:
        """The sub-command a word names (`선정` → `pick`), or None."""
        if word is None:
            return None
        lowered = word.lower()
        return next((name for name in self.subs if lowered in command_words(f"{self.command}.{name}")), None)

    async def __call__(self, ctx: Context, command: ParsedCommand) -> None:
        word = command.word(0)
        if word is None and self.bare is not None:
            await self.bare(ctx, command)
            return
        name = self.which(word)
        sub = self.subs.get(name) if name else None
        if sub is None and word is not None and is_number(word.removeprefix("#")):
            sub = self.numbered
        if sub is not None and sub.fits(command):
            await sub.handler(ctx, command)
        elif self.otherwise is not None:
            await self.otherwise(ctx, command)
        elif word is None:
            raise UserError(self.unknown_key, command=f"/{command.shown}")
        else:
            raise UserError(self.unknown_key, command=f"/{command.shown} {command.argv[0][:30]}")
