"""Lease renewal: while a worker has sends under way, it keeps their claims fresh so no other worker takes them back."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlmodel import col

from bot.outbox.worker import Worker
from storage.tables import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# Renewed this many times per lease: a renewal delayed by a lock wait or a busy loop still lands in time.
RENEWALS_PER_LEASE = 3


class Leases:
    """One small task per worker, running only while something is in flight: a slow send, a burst to
    one destination, or a long lock wait is not mistaken for a dead worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._task: asyncio.Task[None] | None = None

    def keep(self) -> None:
        """Claims were just taken: renew them (and any later ones) until nothing is in flight."""
        if self.worker.in_flight and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._renew_while_in_flight(), name="outbox-leases")

    async def close(self) -> None:
        """Wait for the task to notice nothing is in flight (it leaves at once then)."""
        if self._task is not None and not self.worker.in_flight:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _renew_while_in_flight(self) -> None:
        worker = self.worker
        while worker.in_flight:
            every = worker.settings.send_lease_seconds / RENEWALS_PER_LEASE
            try:
                await asyncio.wait_for(worker.idle.wait(), every)
            except TimeoutError:
                pass
            if worker.in_flight:
                try:
                    await self.renew()
                except Exception:  # the next renewal tries again; a lapsed lease costs a double at worst
                    log.exception("could not renew the leases of %d outbox entries", len(worker.in_flight))

    async def renew(self) -> int:
        """One UPDATE for every entry this worker still has in flight; returns how many it renewed."""
        worker = self.worker
        ids = list(worker.in_flight)
        if not ids:
            return 0
        now = worker.clock.now()
        async with worker.db.session() as session:
            result = await session.exec(
                sa.update(OutboxMessage)
                .where(
                    col(OutboxMessage.id).in_(ids),
                    col(OutboxMessage.claimed_by) == worker.worker_id,
                    col(OutboxMessage.state) == OutboxState.sending,
                    # One planned a moment ahead keeps its moment: the pacing reads it.
                    col(OutboxMessage.claimed_at) < now,
                )
                .values(claimed_at=now)
            )
        return int(result.rowcount or 0)
