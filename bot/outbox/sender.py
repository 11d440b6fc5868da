"""The sender: drains the outbox in claiming rounds until stopped, waking when written to or when a budget frees up."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.outbox.claims import Claims, Round
from bot.outbox.delivery import deliver_batch
from bot.outbox.leases import Leases
from bot.outbox.results import Results
from bot.outbox.worker import Draw, Worker
from bot.ports import ChatGateway, Clock, ManualClock, PlatformLimits
from storage.db import Database

log = logging.getLogger(__name__)

DRAIN_LIMIT = 500  # due entries read per claiming round
# A round also claims what fits within this many seconds and sends each at its moment: under a
# fan-out one round serves several sends, and each leaves when its window frees, not a round later.
PLAN_AHEAD_SECONDS = 0.8


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
            db,
            gateways,
            clock,
            settings or Settings(),
            worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}",
            draw,
        )
        self.claims = Claims(self.worker)
        self.leases = Leases(self.worker)
        self.results = Results(self.worker, self.notify)
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
        """Drain until stopped, waking when notified (an outbox write of this process, a follow-up, a
        retry), when something falls due, when a send under way comes back, or every `idle_seconds`
        (for what other processes write).

        Rounds overlap: while the sends of one round go out at their moments, the next round is
        claimed, so a fan-out never waits for a claim. A quiet round (one answer) needs no second look.
        """
        horizon = 0.0 if isinstance(self.worker.clock, ManualClock) else PLAN_AHEAD_SECONDS
        deliveries: set[asyncio.Task[int]] = set()
        try:
            while not self.stopping:
                # Cleared before the round: a notice that comes during it makes the next one follow at once.
                self.wakeup.clear()
                round_ = Round()
                try:
                    round_ = await self.claims.claim(DRAIN_LIMIT, horizon)
                except Exception:  # keep the loop alive; the entries stay pending and are retried
                    log.exception("outbox claim failed")
                if round_.claimed:
                    self.leases.keep()
                    task = asyncio.create_task(self._deliver(round_), name="outbox-delivery")
                    deliveries.add(task)
                    task.add_done_callback(deliveries.discard)
                self._next_due = round_.next_due
                await self._pause(round_, deliveries, idle_seconds)
        finally:
            if deliveries:
                await asyncio.gather(*deliveries, return_exceptions=True)
            await self.leases.close()

    async def _pause(self, round_: Round, deliveries: set[asyncio.Task[int]], idle_seconds: float) -> None:
        """Until the next round: once this one's sends have all left when more is due soon, else
        until notified, something falls due or (when nothing could be claimed) a send comes back."""
        now = self.worker.clock.now()
        watched: set[asyncio.Future[Any]] = set()
        if round_.claimed and round_.busy:
            last = max(round_.planned.values(), default=now)
            timeout = (last - now).total_seconds()
        else:
            timeout = idle_seconds
            if self._next_due is not None:
                timeout = min(idle_seconds, max(0.005, (self._next_due - now).total_seconds()))
            if not round_.claimed:
                watched = set(deliveries)
        if timeout <= 0 or self.stopping:
            return
        woken = asyncio.ensure_future(self.wakeup.wait())
        try:
            await asyncio.wait({woken, *watched}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()

    async def _deliver(self, round_: Round) -> int:
        try:
            delivered = await deliver_batch(
                self.worker, round_.claimed, round_.planned, self.results.record, self.claims.release
            )
        except Exception:
            log.exception("outbox delivery failed")
            delivered = 0
        finally:
            self.worker.landed(round_.claimed)
            await self.results.settle()
        return delivered

    async def drain(self, limit: int = DRAIN_LIMIT) -> int:
        """Send every entry that is due and fits its budget now, one round after another; returns how many were delivered."""
        delivered = 0
        while True:
            round_ = await self.claims.claim(limit)
            self._next_due = round_.next_due
            if not round_.claimed:
                await self.leases.close()
                return delivered
            self.leases.keep()
            try:
                delivered += await deliver_batch(
                    self.worker, round_.claimed, round_.planned, self.results.record, self.claims.release
                )
            finally:
                self.worker.landed(round_.claimed)
                await self.results.settle()
