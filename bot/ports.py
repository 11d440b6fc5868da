"""The small interfaces the core needs from the outside: a chat platform and a clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol

from bot.messages import Destination, Outgoing, SendResult


class DeliveryError(Exception):
    """A send that failed; `retry_after` (seconds) when the platform asked to wait."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class ChatGateway(Protocol):
    """What an adapter offers the core: deliver to a room or a person, invite a person.

    Implementations raise DeliveryError; a permanent one is not retried.
    """

    platform: str

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        """Post a message (with buttons) to a room, or directly to a user."""
        ...

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        """Bring a user into a room: add them, or return a personal single-use link."""
        ...

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        """Put a reaction on a message, to mark it as seen or recorded."""
        ...


class Clock(Protocol):
    """Tells the time; tests and `--clock` use one they can move."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(timezone.utc)

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._now += timedelta(**delta)
