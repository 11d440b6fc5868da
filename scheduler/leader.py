"""Scheduler leadership: one worker at a time runs the scheduler, by the advisory lock of `bot.leases`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.leases import Lease, asyncpg_dsn

__all__ = ["LOCK_KEY", "Leadership", "asyncpg_dsn"]

# An arbitrary constant that names "the idearoom scheduler" among advisory locks.
LOCK_KEY = 0x1DEA_5C4E


class Leadership(Lease):
    """Runs `lead()` while this worker holds the scheduler's lock; calls `step_down()` when it is lost."""

    def __init__(
        self,
        database_url: str,
        lead: Callable[[], Awaitable[None]],
        step_down: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 2.0,
        on_state: Callable[[str], None] = lambda state: None,
    ) -> None:
        super().__init__(
            database_url, LOCK_KEY, "the scheduler", lead, step_down, retry_seconds=retry_seconds, on_state=on_state
        )
