"""The sender: drains the outbox in claiming rounds until stopped, waking when written to or when a budget frees up."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime

from bot.config import Settings
from bot.outbox.claims import Claims
from bot.outbox.delivery import deliver, deliver_batch
from bot.outbox.results import Results
from bot.outbox.worker import Draw, Worker
from bot.ports import ChatGateway, Clock, PlatformLimits
from storage.db import Database
from storage.tables import OutboxMessage

log = logging.getLogger(__name__)


class Sender:
    """Delivers outbox entries for the platforms it has gateways for; several may share a database."""

    def __init__(
        self,
        db: Database,
        gateways: dict[str, ChatGateway],
        clock: Clock,
        worker_id: str | None = None,
        settings: Settings | None = None,
        draw: Draw | None = None,
    ) -> None:
        self.worker = Worker(
            db, gateways, clock, settings or Settings(), worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}", draw
        )
        self.claims = Claims(self.worker)
        self.results = Results(self.worker)
        self.wakeup = asyncio.Event()
        self.stopping = False
        self._next_due: datetime | None = None

    # What tests and the runtime read and set: the settings in force and the gateways by platform.
    @property
    def settings(self) -> Settings:
        return self.worker.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.worker.settings = settings

    @property
    def gateways(self) -> dict[str, ChatGateway]:
        return self.worker.gateways

    @property
    def sent_count(self) -> int:
        return self.worker.counts.sent

    @property
    def failed_count(self) -> int:
        return self.worker.counts.failed

    @property
    def retried_count(self) -> int:
        return self.worker.counts.retried

    @property
    def rate_limited_count(self) -> int:
        return self.worker.counts.rate_limited

    @property
    def merged_count(self) -> int:
        return self.worker.counts.merged

    def limits(self) -> dict[str, PlatformLimits]:
        """The limits kept to on each platform, as its gateway declares them."""
        return self.claims.limits()

    def notify(self) -> None:
        """Something was written to the outbox: drain soon."""
        self.wakeup.set()

    def stop(self) -> None:
        """Finish the send under way, then leave `run` (what is left waits in the outbox)."""
        self.stopping = True
        self.wakeup.set()

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Drain until stopped, waking when notified, when a budget frees up, or every `idle_seconds`."""
        while not self.stopping:
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the entry stays pending and is retried
                log.exception("outbox drain failed")
            timeout = idle_seconds
            if self._next_due is not None:
                timeout = min(idle_seconds, max(0.005, (self._next_due - self.worker.clock.now()).total_seconds()))
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass
            self.wakeup.clear()

    async def drain(self, limit: int = 500) -> int:
        """Send every entry that is due and fits its budget now; returns how many were delivered."""
        delivered = 0
        while True:
            batch = await self.claims.claim(limit)
            if not batch:
                self._next_due = await self.claims.soonest_due(self.worker.clock.now())
                return delivered
            delivered += await deliver_batch(self.worker, batch, self._send_one, self.claims.release)

    async def _send_one(self, entry: OutboxMessage) -> bool:
        return await deliver(self.worker, entry, self.results.sent, self.results.failed)
