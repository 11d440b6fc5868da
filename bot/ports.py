"""The contract between the core and the outside: chat platforms (adapters), the running bot, a clock."""

from __future__ import annotations

import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.messages import Destination, Outgoing, SendResult

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

    from bot.config import Settings
    from bot.core import Core
    from bot.inbox import Inbox
    from bot.outbox.sender import Sender
    from storage.db import Database


class DeliveryError(Exception):
    """A send that failed; `retry_after` (seconds) when the platform asked to wait."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass(frozen=True)
class Window:
    """At most `count` sends in any `seconds` long stretch of time.

    `early`: how many seconds sooner than the window a send may reach the platform and still be
    taken, as long as the sends keep to the window on average (a token bucket that admits a short
    burst, as Slack's one message a second per channel does); 0 for a strict sliding window.
    """

    count: int
    seconds: float
    early: float = 0.0


def window(count: int, seconds: float, early: float = 0.0) -> Window | None:
    """A window, or None for a count of 0 (a limit switched off in the settings)."""
    return Window(count, seconds, early) if count > 0 else None


def any_room_is_a_group(dest_kind: str, dest_id: str) -> bool:
    return dest_kind == "room"


@dataclass(frozen=True)
class PlatformLimits:
    """What a platform allows a bot to send; None means no limit of that kind."""

    overall: Window | None = None  # every call the bot makes on the platform
    per_chat: Window | None = None  # messages into one chat, a room or a person's direct chat
    per_group: Window | None = None  # messages into one group room, on top of per_chat
    reactions: Window | None = None  # reactions, across the platform
    # Which destinations per_group applies to: (dest_kind, dest_id) -> bool.
    is_group: Callable[[str, str], bool] = field(default=any_room_is_a_group)

    @property
    def longest(self) -> float:
        windows = [w for w in (self.overall, self.per_chat, self.per_group, self.reactions) if w]
        return max((w.seconds for w in windows), default=0.0)


NO_LIMITS = PlatformLimits()
DEFAULT_ACK_REACTION = "👀"  # allowed as a bot reaction on Telegram, a standard emoji on Slack


class ChatGateway(Protocol):
    """What a platform adapter offers the core: delivery, invitations, reactions, its pace.

    Implementations raise DeliveryError; a permanent one is not retried.
    """

    platform: str  # the name stored with every identity, room and outbox entry of the platform
    limits: PlatformLimits  # what the sender keeps to (NO_LIMITS when the platform has none)
    ack_reaction: str  # the reaction that tells a person their message was recorded

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        """Post a message (with buttons) to a room, or directly to a user."""
        ...

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        """Bring a user into a room: add them, or return a personal single-use link."""
        ...

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        """Put a reaction on a message, to mark it as seen or recorded."""
        ...

    def start_link(self, payload: str) -> str | None:
        """A link that opens the bot's direct chat with `/start <payload>`; None when the platform has none."""
        ...


class HttpRoutes(Protocol):
    """The worker's one HTTP server, as an adapter sees it: it may add routes before the start."""

    def add_route(self, method: str, path: str, handler: Callable[..., Awaitable[Any]]) -> None: ...


class Host(Protocol):
    """What an adapter gets from the running bot: the core to feed, the settings, the outbox sender."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...  # only to hand to bot.people and the core's functions; adapters run no SQL

    @property
    def clock(self) -> Clock: ...

    @property
    def core(self) -> Core: ...

    @property
    def sender(self) -> Sender: ...

    @property
    def http(self) -> HttpRoutes: ...

    @property
    def inbox(self) -> Inbox: ...  # requests committed before the platform is acknowledged (bot.inbox)


class Adapter(Protocol):
    """A chat platform connection: it feeds events to the core and offers a gateway.

    An adapter may also offer `async stop_intake()`: the runtime then calls it first on a
    stop (finish and confirm the events in hand), and `stop()` only after the sender is done.
    """

    @property
    def gateway(self) -> ChatGateway: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class AdapterPlugin:
    """One chat platform, as registered in the `idearoom.adapters` entry point group."""

    name: str
    create: Callable[[Host], Adapter]  # called only when `configured(settings)`
    configured: Callable[[Settings], bool]  # whether the settings ask for this platform (e.g. a token is set)
    settings: type[BaseSettings] | None = None  # its own settings, merged into the app's Settings
    fallback: bool = False  # started when no other platform is configured (the console)
    # Its user ids are directory handles, so whoever types one plays that person (the console only:
    # elsewhere a user picks their own name, and accounts are linked only by the directory's ids).
    user_ids_are_handles: bool = False
    # Adds the platform's own `idearoom <platform> ...` commands to argparse's subparsers object.
    add_commands: Callable[[Any], None] | None = None

    @classmethod
    def lazy(
        cls,
        name: str,
        adapter: str,
        settings: type[BaseSettings] | None = None,
        *,
        configured_when: str | None = None,
        fallback: bool = False,
        user_ids_are_handles: bool = False,
        add_commands: Callable[[Any], None] | None = None,
    ) -> AdapterPlugin:
        """A plug-in whose adapter class (`"package.module:Class"`, as in entry points) is imported only
        when its platform starts, so a platform nobody configured loads none of its SDK.

        `configured_when` names a setting (or property) of `settings` that is truthy when the
        platform is asked for, e.g. its token; without one the platform is never configured.
        """

        def create(host: Host) -> Adapter:
            factory: Callable[[Host], Adapter] = pkgutil.resolve_name(adapter)
            return factory(host)

        def configured(app_settings: Settings) -> bool:
            if settings is None or configured_when is None:
                return False
            own = app_settings if isinstance(app_settings, settings) else settings()
            return bool(getattr(own, configured_when))

        return cls(name, create, configured, settings, fallback, user_ids_are_handles, add_commands)


class Clock(Protocol):
    """Tells the time; tests and `--clock` use one they can move."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
