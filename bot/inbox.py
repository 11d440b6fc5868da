"""The durable inbox: a platform request is committed before the platform is answered, then handled from it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from storage.db import Database
from storage.tables import InboxEvent, InboxState
from storage.types import utcnow

log = logging.getLogger(__name__)

# (kind, payload) -> True when the request is handled for good, False to try it again later.
Handler = Callable[[str, dict[str, Any]], Awaitable[bool]]

CONSUMERS = 4
SCAN_SECONDS = 1.0
# The longest wait between scans: on SQLite no other worker puts requests (nor dies holding them).
IDLE_SCAN_SECONDS = {"sqlite": 300.0}
# Waits before the next try of a request whose handling failed (an outage); then it is given up.
RETRY_DELAYS = (2.0, 10.0, 60.0, 300.0)
# The request's insert, built once per dialect (its values are parameters): building it per request cost more than running it.
_PUT: dict[str, Any] = {}


@dataclass(frozen=True)
class _Taken:
    """A row this worker holds the lease of, with what handling it needs (no second read)."""

    id: int
    platform: str
    delivery_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class InboxClosed(Exception):
    """The worker is draining and takes no new requests; the platform should try another worker."""


class Inbox:
    """Requests of every platform, each handled once by whichever worker holds its lease.

    Leases and retries run on the wall clock, not the bot's clock: they are about processes, not the office's day.
    """

    def __init__(self, db: Database, lease_seconds: float = 30.0) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)
        self.handlers: dict[str, Handler] = {}
        self.accepting = True
        self._queue: asyncio.Queue[_Taken] = asyncio.Queue()
        # The ids in `_queue`, which asyncio.Queue does not let one read.
        self._waiting: set[int] = set()
        self._in_hand: set[int] = set()
        self._done: list[int] = []
        self._reaper: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._batch: list[tuple[dict[str, Any], asyncio.Future[int | None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = asyncio.Event()
        self._rescan = asyncio.Event()

    def register(self, platform: str, handler: Handler) -> None:
        self.handlers[platform] = handler

    def start(self) -> None:
        """Start handling; the first scan takes every row a previous run left unhandled."""
        if self._tasks:
            return
        self._tasks = [asyncio.create_task(self._consume(), name=f"inbox-{n}") for n in range(CONSUMERS)]
        self._tasks.append(asyncio.create_task(self._scan_forever(), name="inbox-scan"))

    async def put(self, platform: str, delivery_id: str, kind: str, payload: dict[str, Any]) -> bool:
        """Commit one request; False when a copy of it is already in.

        Requests arriving together share one short transaction (a group commit): under a burst each
        would otherwise wait its turn for SQLite's one writer, past Slack's 3-second budget.
        """
        if not self.accepting:
            raise InboxClosed()
        now = utcnow()
        values: dict[str, Any] = dict(
            platform=platform,
            delivery_id=delivery_id[:200],
            kind=kind,
            payload=payload,
            state=InboxState.pending,
            attempts=1,
            lease_until=now + self.lease,
            error="",
            received_at=now,
        )
        committed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._batch.append((values, committed))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbox-commit")
        row_id = await committed
        if row_id is None:
            return False
        self._take(_Taken(row_id, platform, values["delivery_id"], kind, payload, 1))
        return True

    async def _flush(self) -> None:
        statement = _PUT.get(self.db.dialect)
        if statement is None:
            insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
            statement = insert(InboxEvent).on_conflict_do_nothing().returning(col(InboxEvent.id))
            _PUT[self.db.dialect] = statement
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                ids = []
                async with self.db.session() as session:
                    for values, _ in batch:
                        ids.append((await session.exec(statement, params=values)).scalar())
            except Exception as error:
                for _, committed in batch:
                    if not committed.done():
                        committed.set_exception(error)
                continue
            for (_, committed), row_id in zip(batch, ids):
                if not committed.done():
                    committed.set_result(None if row_id is None else int(row_id))

    @property
    def busy(self) -> bool:
        """Requests are being handled in this process right now."""
        return not self._idle.is_set()

    async def pending(self, platform: str | None = None) -> int:
        """How many requests wait to be handled (for tests, the bench and the drain's log)."""
        async with self.db.session() as session:
            query = select(sa.func.count()).select_from(InboxEvent).where(InboxEvent.state == InboxState.pending)
            if platform:
                query = query.where(InboxEvent.platform == platform)
            return int((await session.exec(query)).one())

    async def drain(self, timeout: float) -> int:
        """Stop taking requests, finish those in hand within `timeout`; the rest stay for the next start."""
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            pass
        left = sorted(self._in_hand | self._waiting)
        await self.close(grace=0)
        if left:
            # Their transactions were rolled back by the cancel: the next start may take them at once.
            async with self.db.session() as session:
                await session.exec(
                    sa.update(InboxEvent).where(col(InboxEvent.id).in_(left)).values(lease_until=utcnow())
                )
            log.warning("drain: %d request(s) left in the inbox for the next start", len(left))
        return len(left)

    async def close(self, grace: float = 5.0) -> None:
        """Stop; requests in hand get `grace` seconds to finish before they are cancelled."""
        # A transaction cancelled mid-query may never give its connection back: PostgreSQL keeps its
        # locks, and SQLite's connection thread keeps the process from exiting. So everything that can
        # finish does; only consumers (idle, or past the grace) are cancelled.
        self.accepting = False
        self._stopping.set()
        if grace > 0 and self.busy:
            try:
                await asyncio.wait_for(self._idle.wait(), grace)
            except TimeoutError:
                log.warning("closing with %d request(s) still in hand; they stay in the inbox", len(self._in_hand))
        finishing = [t for t in (self._reaper, self._flusher, *self._tasks[CONSUMERS:]) if t is not None]
        if finishing:
            await asyncio.wait(finishing, timeout=5)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # --- handling -------------------------------------------------------------------------

    def _take(self, taken: _Taken) -> None:
        if taken.id in self._in_hand or taken.id in self._waiting:
            return
        self._idle.clear()
        self._waiting.add(taken.id)
        self._queue.put_nowait(taken)

    async def _consume(self) -> None:
        while True:
            taken = await self._queue.get()
            self._waiting.discard(taken.id)
            self._in_hand.add(taken.id)
            try:
                await self._handle(taken)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database itself failed: the lease runs out and a scan retries
                log.exception("inbox row %s could not be handled", taken.id)
            finally:
                self._in_hand.discard(taken.id)
                self._check_idle()

    def _check_idle(self) -> None:
        if self._queue.empty() and not self._in_hand and not self._done:
            self._idle.set()

    async def _handle(self, taken: _Taken) -> None:
        handler = self.handlers.get(taken.platform)
        if handler is None:
            return
        error = ""
        try:
            done = await handler(taken.kind, taken.payload)
        except Exception as exc:  # a bug in one request must not stop the others
            log.exception("handling %s request %s failed", taken.platform, taken.delivery_id)
            done, error = False, f"{type(exc).__name__}: {exc}"[:2000]
        if done:
            # Deleted in batches: a crash before the delete only means the event's claim says "duplicate" next time.
            self._done.append(taken.id)
            if self._reaper is None or self._reaper.done():
                self._reaper = asyncio.create_task(self._reap(), name="inbox-reap")
            return
        given_up = taken.attempts > len(RETRY_DELAYS)
        delay = RETRY_DELAYS[min(taken.attempts, len(RETRY_DELAYS)) - 1]
        values: dict[str, Any] = dict(lease_until=utcnow() + timedelta(seconds=delay), error=error or "failed")
        if given_up:
            values["state"] = InboxState.failed
            log.error("%s request %s given up after %d attempts", taken.platform, taken.delivery_id, taken.attempts)
        async with self.db.session() as session:
            await session.exec(sa.update(InboxEvent).where(col(InboxEvent.id) == taken.id).values(**values))
        self._rescan.set()  # its next try may be sooner than the scan planned

    async def _reap(self) -> None:
        try:
            while self._done:
                batch, self._done = self._done, []
                try:
                    async with self.db.session() as session:
                        await session.exec(sa.delete(InboxEvent).where(col(InboxEvent.id).in_(batch)))
                except Exception:  # left in place: the next try finds the event's claim and only deletes it
                    log.exception("could not delete %d handled inbox rows", len(batch))
        finally:
            self._check_idle()

    async def _scan_forever(self) -> None:
        # The next scan is when the soonest lease runs out (a retry, or a row another worker holds),
        # or sooner when this worker sets a retry; a request put in here is taken at once, and one
        # another worker put and then died with is found when its lease runs out: no scan in between.
        while not self._stopping.is_set():
            self._rescan.clear()
            soonest = None
            try:
                soonest = await self._scan()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("inbox scan failed")
            wait = max(SCAN_SECONDS, IDLE_SCAN_SECONDS.get(self.db.dialect, self.lease.total_seconds()))
            if soonest is not None:
                wait = min(wait, max(SCAN_SECONDS, (soonest - utcnow()).total_seconds()))
            stop, rescan = asyncio.ensure_future(self._stopping.wait()), asyncio.ensure_future(self._rescan.wait())
            try:
                await asyncio.wait({stop, rescan}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                rescan.cancel()
            if self._rescan.is_set() and not self._stopping.is_set():
                await asyncio.sleep(SCAN_SECONDS)  # not more often than that

    async def _scan(self) -> datetime | None:
        """Take the rows whose lease ran out: left by a dead worker, or waiting for their next try.
        Returns when the soonest lease of the rest runs out."""
        if not self.handlers or not self.accepting:
            return None
        now = utcnow()
        async with self.db.session() as session:
            due = (
                await session.exec(
                    select(InboxEvent)
                    .where(
                        InboxEvent.state == InboxState.pending,
                        col(InboxEvent.platform).in_(list(self.handlers)),
                        InboxEvent.lease_until <= now,
                    )
                    .order_by(col(InboxEvent.id))
                    .limit(100)
                )
            ).all()
            taken = []
            for row in due:
                if row.id in self._in_hand or row.id in self._done:
                    continue
                assert row.id is not None
                # Read before the UPDATE, which also refreshes `row` in the session.
                item = _Taken(row.id, row.platform, row.delivery_id, row.kind, row.payload, row.attempts + 1)
                claimed = await session.exec(
                    sa.update(InboxEvent)
                    .where(col(InboxEvent.id) == row.id, col(InboxEvent.lease_until) <= now)
                    .values(lease_until=now + self.lease, attempts=col(InboxEvent.attempts) + 1)
                )
                if claimed.rowcount:
                    taken.append(item)
            soonest = (
                await session.exec(
                    select(sa.func.min(InboxEvent.lease_until)).where(
                        InboxEvent.state == InboxState.pending,
                        col(InboxEvent.platform).in_(list(self.handlers)),
                        col(InboxEvent.lease_until) > now,
                    )
                )
            ).one()
        for item in taken:
            self._take(item)
        return soonest
