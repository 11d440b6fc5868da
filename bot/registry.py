"""Where features register their commands, buttons, replies to questions and event listeners."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import Context
    from bot.parsing import ParsedCommand

CommandHandler = Callable[["Context", "ParsedCommand"], Awaitable[None]]
ButtonHandler = Callable[["Context", list[str]], Awaitable[str | None]]
InputHandler = Callable[["Context", str, Any], Awaitable[None]]
Listener = Callable[..., Awaitable[None]]
ReminderHandler = Callable[["Context", Any], Awaitable[None]]
BeforeHook = Callable[[Any], Awaitable[None]]


# Who a line of /help is for: everyone, or only people of that role (organizers see all).
EVERYONE, ORGANIZER, HEAD, COMMITTEE, CHAIR, IMPLEMENTER = (
    "all",
    "organizer",
    "head",
    "committee",
    "chair",
    "implementer",
)


@dataclass(frozen=True)
class HelpLine:
    """One line of /help: the catalog key, and whom it is for."""

    key: str
    audience: str = EVERYONE

    @property
    def organizer_only(self) -> bool:
        return self.audience == ORGANIZER


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    help: tuple[HelpLine, ...]
    order: int
    in_direct_chat: bool = True


@dataclass
class Registry:
    """All that the features offer; one per process, filled when `bot.features` is imported."""

    commands: dict[str, CommandSpec] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    inputs: dict[str, InputHandler] = field(default_factory=dict)
    listeners: dict[str, list[Listener]] = field(default_factory=lambda: defaultdict(list))
    reminders: dict[str, ReminderHandler] = field(default_factory=dict)
    before_hooks: list[BeforeHook] = field(default_factory=list)
    # Kinds that must happen at their exact time (a closing, an expiry); their messages still wait.
    exact_reminders: set[str] = field(default_factory=set)
    # Housekeeping that tells no one (the nightly purge): done, but not counted as a reminder sent.
    quiet_reminders: set[str] = field(default_factory=set)

    def command(
        self,
        name: str,
        *,
        help: tuple[str, ...] = (),
        organizer_help: tuple[str, ...] = (),
        role_help: tuple[tuple[str, str], ...] = (),
        order: int = 50,
        in_direct_chat: bool = True,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register `/name`; `help` keys are shown to everyone, `organizer_help` to organizers,
        `role_help` as (role, key) to people of that role (HEAD, COMMITTEE, CHAIR, IMPLEMENTER)."""

        def register(handler: CommandHandler) -> CommandHandler:
            lines = (
                tuple(HelpLine(k) for k in help)
                + tuple(HelpLine(key, role) for role, key in role_help)
                + tuple(HelpLine(k, ORGANIZER) for k in organizer_help)
            )
            self.commands[name] = CommandSpec(name, handler, lines, order, in_direct_chat)
            return handler

        return register

    def before_transaction(self, hook: BeforeHook) -> BeforeHook:
        """Register work an event waits for before its transaction opens (e.g. a model loading)."""
        self.before_hooks.append(hook)
        return hook

    def button(self, prefix: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register the handler of button actions `prefix:arg:arg...`; it returns a toast."""

        def register(handler: ButtonHandler) -> ButtonHandler:
            self.buttons[prefix] = handler
            return handler

        return register

    def awaiting(self, kind: str) -> Callable[[InputHandler], InputHandler]:
        """Register the handler of a person's answer to a question the bot asked them."""

        def register(handler: InputHandler) -> InputHandler:
            self.inputs[kind] = handler
            return handler

        return register

    def on(self, event: str) -> Callable[[Listener], Listener]:
        """Listen to a domain event published with `ctx.publish(event, **data)`."""

        def register(listener: Listener) -> Listener:
            self.listeners[event].append(listener)
            return listener

        return register

    def reminder(
        self, kind: str, *, exact: bool = False, quiet: bool = False
    ) -> Callable[[ReminderHandler], ReminderHandler]:
        """Register what happens when a stored reminder of `kind` falls due (see bot.reminders).

        Reminders fire in office hours on business days (one due outside waits for the next
        opening) unless `exact`; what any reminder sends waits for office hours either way.
        """

        def register(handler: ReminderHandler) -> ReminderHandler:
            self.reminders[kind] = handler
            if exact:
                self.exact_reminders.add(kind)
            if quiet:
                self.quiet_reminders.add(kind)
            return handler

        return register


registry = Registry()
