"""What became of a send: delivered (links and follow-ups), retried later, held back by a "too many", or given up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import files
from bot.messages import SendResult
from bot.outbox.coalescing import settle_covered
from bot.outbox.entries import entry_id, key_of
from bot.outbox.failures import notify_failure
from bot.outbox.follow_ups import send_follow_up
from bot.outbox.payloads import INVITE, message_payload
from bot.outbox.worker import Worker
from bot.ports import DeliveryError
from storage.db import insert_ignoring_conflict
from storage.tables import MessageLink, OutboxMessage, OutboxState

log = logging.getLogger(__name__)


# Built once (as the claims' statements): the entries whose outcomes a flush writes.
_BY_IDS = select(OutboxMessage).where(col(OutboxMessage.id).in_(sa.bindparam("ids", expanding=True)))


def backoff(attempts: int) -> float:
    """Seconds before the next try of an entry that failed `attempts` times."""
    return min(2.0**attempts, 300.0)


def start_link(worker: Worker, platform: str, payload: str) -> str:
    """A link that opens the bot's direct chat with `/start <payload>`, or the command itself."""
    gateway = worker.gateways.get(platform)
    link = gateway.start_link(payload) if gateway is not None else None
    return link or f"/start {payload}"


class Results:
    """Records the outcomes of one worker's sends, those that come in together in one transaction.

    What the next send needs at once (a destination that asked to wait, the counts) is kept in
    memory as each outcome arrives; the rows are written by one flush at a time, which takes
    every outcome that arrived while the previous flush ran (a group commit).
    """

    def __init__(self, worker: Worker, on_change: Callable[[], None] = lambda: None) -> None:
        self.worker = worker
        # Called after a flush that wrote something due (a follow-up, a notice, a retry).
        self.on_change = on_change
        self._waiting: list[tuple[OutboxMessage, SendResult | DeliveryError, datetime]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._written: list[asyncio.Future[None]] = []
        self._changed = False

    def record(self, entry: OutboxMessage, outcome: SendResult | DeliveryError) -> asyncio.Future[None]:
        """Note how a send went; it is written by the flush under way or the next one, which the
        future returned tells (written, or given up on: then the entry's lease runs out)."""
        now = self.worker.clock.now()
        if isinstance(outcome, SendResult):
            self.worker.counts.sent += 1
        elif outcome.retry_after is not None and not outcome.permanent:
            # Before the destination's next entry goes: held back from now on.
            self.worker.held_until[key_of(entry)] = now + timedelta(seconds=outcome.retry_after)
        self._waiting.append((entry, outcome, now))
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._written.append(written)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-results")
        return written

    async def settle(self) -> None:
        """Wait until every outcome noted so far is written."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            written, self._written = self._written, []
            self._changed = False
            try:
                await self._write(batch)
            except Exception:  # the entries stay "sending": their lease runs out and they go again
                log.exception("could not record %d outbox results", len(batch))
                continue
            finally:
                for future in written:
                    if not future.done():
                        future.set_result(None)
            if self._changed:
                self.on_change()

    async def _write(self, batch: list[tuple[OutboxMessage, SendResult | DeliveryError, datetime]]) -> None:
        async with self.worker.db.session() as session:
            ids = [entry_id(entry) for entry, _, _ in batch]
            rows = {row.id: row for row in (await session.exec(_BY_IDS, params={"ids": ids})).all()}
            for entry, outcome, at in batch:
                row = rows.get(entry_id(entry))
                if row is None or self._taken_over(row, outcome):
                    continue
                if isinstance(outcome, SendResult):
                    await self._sent(session, row, outcome, at)
                else:
                    await self._failed(session, row, outcome, at)
                session.add(row)

    def _taken_over(self, row: OutboxMessage, outcome: SendResult | DeliveryError) -> bool:
        """Another worker took the entry back (this one's lease lapsed): its outcome is that worker's
        to write, except a delivery it would otherwise repeat or leave unrecorded."""
        if row.claimed_by == self.worker.worker_id:
            return False
        log.warning(
            "outbox entry %s was taken over by %s while %s sent it (%s)",
            row.id,
            row.claimed_by,
            self.worker.worker_id,
            "delivered" if isinstance(outcome, SendResult) else "not delivered",
        )
        return not isinstance(outcome, SendResult) or row.state == OutboxState.sent

    async def _sent(self, session: AsyncSession, row: OutboxMessage, result: SendResult, now: datetime) -> None:
        """Delivered: remember the platform's message id, settle what it stood for, send its follow-up."""
        row.state = OutboxState.sent
        row.sent_at = now
        row.platform_message_id = result.message_id or result.link
        row.attempts += 1
        row.error = ""
        if (
            row.kind == "message"
            and row.ref_kind
            and row.ref_id is not None
            and result.message_id
            and row.dest_kind == "room"
        ):
            await insert_ignoring_conflict(
                session,
                MessageLink,
                dict(
                    platform=row.platform,
                    chat_id=row.dest_id,
                    message_id=result.message_id,
                    ref_kind=row.ref_kind,
                    ref_id=row.ref_id,
                ),
            )
        covered = message_payload(row.kind, row.payload).get("covers")
        if covered:
            await settle_covered(session, covered, OutboxState.sent, now, message_id=row.platform_message_id)
        if row.kind == "invite" and result.link:
            follow_up = INVITE.validate_python(row.payload).get("on_sent")
            if follow_up is not None:
                send_follow_up(session, follow_up, now, link=result.link)
                self._changed = True

    async def _failed(self, session: AsyncSession, row: OutboxMessage, error: DeliveryError, now: datetime) -> None:
        """Not delivered: try again after a pause, wait as the platform asked, or give up."""
        worker = self.worker
        row.attempts += 1
        row.error = error.reason[:1000]
        if error.permanent or (error.retry_after is None and row.attempts >= worker.settings.send_max_attempts):
            await self._give_up(session, row, now)
        elif error.retry_after is not None:
            await self._hold_destination(session, row, now + timedelta(seconds=error.retry_after))
        else:
            delay = backoff(row.attempts)
            row.state = OutboxState.pending
            row.next_attempt_at = now + timedelta(seconds=delay)
            self._changed = True
            worker.counts.retried += 1
            log.warning("outbox entry %s retried in %.1fs: %s", row.id, delay, error.reason)

    async def _hold_destination(self, session: AsyncSession, row: OutboxMessage, until: datetime) -> None:
        """The platform said "too many": this destination waits, every other keeps flowing."""
        self.worker.counts.rate_limited += 1
        row.state = OutboxState.pending
        row.next_attempt_at = until
        self._changed = True
        await session.exec(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.platform) == row.platform,
                col(OutboxMessage.dest_kind) == row.dest_kind,
                col(OutboxMessage.dest_id) == row.dest_id,
                col(OutboxMessage.state) == OutboxState.pending,
                col(OutboxMessage.next_attempt_at) < until,
            )
            .values(next_attempt_at=until)
        )
        log.warning("%s:%s asked to wait until %s (outbox entry %s)", row.platform, row.dest_id, until, row.id)

    async def _give_up(self, session: AsyncSession, row: OutboxMessage, now: datetime) -> None:
        """Keep the reason, say so loudly, send the entry's fallback, and tell the organizers."""
        row.state = OutboxState.failed
        self.worker.counts.failed += 1
        log.error(
            "outbox entry %s (%s to %s:%s:%s) failed after %d attempts: %s",
            row.id,
            row.kind,
            row.platform,
            row.dest_kind,
            row.dest_id,
            row.attempts,
            row.error,
        )
        payload = message_payload(row.kind, row.payload)
        files.remove((row.payload or {}).get("path"), self.worker.settings.report_dir)  # never to be sent
        covered = payload.get("covers")
        if covered:
            await settle_covered(session, covered, OutboxState.failed, now, error=f"#{row.id}: {row.error}"[:1000])
        fallback = payload.get("on_failed")
        if fallback is not None:
            start = payload.get("start_payload")
            send_follow_up(session, fallback, now, link=start_link(self.worker, row.platform, start) if start else "")
            self._changed = True
        if row.kind != "reaction":  # a missing reaction is no news worth an organizer's time
            self._changed = bool(await notify_failure(session, row, self.worker.settings, now)) or self._changed
