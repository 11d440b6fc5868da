"""A command that may rank departments waits for the Korean analyser before its transaction opens."""

from __future__ import annotations

from bot import routing
from bot.i18n import command_words
from bot.messages import ButtonPress, Incoming, IncomingMessage
from bot.parsing import parse
from bot.registry import registry

# Commands (with the subcommands that rank, or None for all) and buttons that may rank
# departments (see wait_for_analyser).
RANKING_COMMANDS: dict[str, str | None] = {"topic": "pick", "invite": None, "proposal": "submit"}
RANKING_BUTTONS = frozenset({"invite"})


def may_rank(event: Incoming) -> bool:
    if isinstance(event, IncomingMessage):
        command = parse(event.text)
        if command is None or command.name not in RANKING_COMMANDS:
            return False
        sub = RANKING_COMMANDS[command.name]
        return sub is None or command.word(0) in command_words(f"{command.name}.{sub}")
    if isinstance(event, ButtonPress):
        return event.action.split(":", 1)[0] in RANKING_BUTTONS
    return False


@registry.before_transaction
async def wait_for_analyser(event: Incoming) -> None:
    """A command that may rank waits for the analyser before its transaction, never inside it.

    On SQLite a transaction holds the one write lock of the process: waiting inside it for the
    analyser (seconds after start-up) would hold up every other event too.
    """
    if not routing.ranker.ready and may_rank(event):
        await routing.ranker.wait_ready()
