"""What became of a send: delivered (links and follow-ups), retried later, held back by a "too many", or given up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col
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


def backoff(attempts: int) -> float:
    """Seconds before the next try of an entry that failed `attempts` times."""
    return min(2.0**attempts, 300.0)


def start_link(worker: Worker, platform: str, payload: str) -> str:
    """A link that opens the bot's direct chat with `/start <payload>`, or the command itself."""
    gateway = worker.gateways.get(platform)
    link = gateway.start_link(payload) if gateway is not None else None
    return link or f"/start {payload}"


class Results:
    """Records each send's outcome for one worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def sent(self, entry: OutboxMessage, result: SendResult) -> None:
        """Delivered: remember the platform's message id, settle what it stood for, send its follow-up."""
        worker = self.worker
        now = worker.clock.now()
        async with worker.db.session() as session:
            row = await session.get(OutboxMessage, entry_id(entry))
            assert row is not None
            row.state = OutboxState.sent
            row.sent_at = now
            row.platform_message_id = result.message_id or result.link
            row.attempts += 1
            row.error = ""
            session.add(row)
            if row.kind == "message" and row.ref_kind and row.ref_id is not None and result.message_id and row.dest_kind == "room":
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
        worker.counts.sent += 1

    async def failed(self, entry: OutboxMessage, error: DeliveryError) -> None:
        """Not delivered: try again after a pause, wait as the platform asked, or give up."""
        worker = self.worker
        now = worker.clock.now()
        async with worker.db.session() as session:
            row = await session.get(OutboxMessage, entry_id(entry))
            assert row is not None
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
                worker.counts.retried += 1
                log.warning("outbox entry %s retried in %.1fs: %s", row.id, delay, error.reason)
            session.add(row)

    async def _hold_destination(self, session: AsyncSession, row: OutboxMessage, until: datetime) -> None:
        """The platform said "too many": this destination waits, every other keeps flowing."""
        self.worker.counts.rate_limited += 1
        row.state = OutboxState.pending
        row.next_attempt_at = until
        self.worker.held_until[key_of(row)] = until
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
            row.id, row.kind, row.platform, row.dest_kind, row.dest_id, row.attempts, row.error,
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
        if row.kind != "reaction":  # a missing reaction is no news worth an organizer's time
            await notify_failure(session, row, self.worker.settings, now)
