"""One worker at a time for a named duty (the scheduler, a platform's event stream), by a PostgreSQL advisory lock.

The lock is held on a connection of its own (not one from the pool), so it lasts exactly
as long as that connection: when the holder dies, PostgreSQL drops the connection and the
lock with it, and the next worker to try takes over within `retry_seconds`. On SQLite
there is a single process, which simply holds the duty.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """The plain libpq-style address asyncpg wants for an SQLAlchemy URL."""
    url = make_url(database_url)
    url = url.set(drivername="postgresql").difference_update_query(["search_path"])
    return url.render_as_string(hide_password=False)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a duty's name (e.g. one per bot account)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Lease:
    """Runs `lead()` while this worker holds the lock `key`; calls `step_down()` when it is lost."""

    def __init__(
        self,
        database_url: str,
        key: int,
        duty: str,
        lead: Callable[[], Awaitable[None]],
        step_down: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 2.0,
        on_state: Callable[[str], None] = lambda state: None,
    ) -> None:
        self.database_url = database_url
        self.key = key
        self.duty = duty
        self.lead = lead
        self.step_down = step_down
        self.retry_seconds = retry_seconds
        self.on_state = on_state
        self.is_leader = False

    @property
    def uses_lock(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

    async def run(self) -> None:
        """Try for the lock until cancelled; lead while holding it."""
        if not self.uses_lock:
            await self._become_leader()
            await asyncio.Event().wait()
        import asyncpg

        self.on_state("follower")
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=10)
                while not await connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", self.key, timeout=self.retry_seconds * 5
                ):
                    await asyncio.sleep(self.retry_seconds)
                await self._become_leader()
                while True:  # the lock lives as long as this connection does
                    await asyncio.sleep(self.retry_seconds)
                    await connection.fetchval("SELECT 1", timeout=self.retry_seconds * 2)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("%s: lock connection lost: %s", self.duty, error)
            finally:
                if self.is_leader:
                    await self._lose_leadership()
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(self.retry_seconds)

    async def _become_leader(self) -> None:
        self.is_leader = True
        self.on_state("leader")
        log.info("this worker now runs %s", self.duty)
        await self.lead()

    async def _lose_leadership(self) -> None:
        self.is_leader = False
        self.on_state("follower")
        log.warning("this worker no longer runs %s", self.duty)
        await self.step_down()
