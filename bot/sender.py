"""Drains the outbox: claims each due entry, hands it to its platform and records the result."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from bot.messages import Button, Destination, Outgoing, SendResult
from bot.ports import ChatGateway, Clock, DeliveryError
from storage.db import Database, insert_ignoring_conflict
from storage.tables import MessageLink, OutboxMessage, OutboxState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# An entry left in "sending" longer than this belonged to a worker that died mid-send.
CLAIM_LEASE = timedelta(seconds=60)


def _backoff(attempts: int) -> float:
    return min(2.0 ** attempts, 300.0)


def to_outgoing(entry: OutboxMessage) -> Outgoing:
    buttons = [[Button.from_json(b) for b in row] for row in entry.buttons or []]
    return Outgoing(entry.text, buttons, kind=entry.kind, payload=dict(entry.payload or {}))


class Sender:
    """Delivers outbox entries for the platforms it has gateways for."""

    def __init__(self, db: Database, gateways: dict[str, ChatGateway], clock: Clock, worker_id: str | None = None) -> None:
        self.db = db
        self.gateways = gateways
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.wakeup = asyncio.Event()
        self.sent_count = 0
        self.failed_count = 0
        self.retried_count = 0

    def notify(self) -> None:
        """Something was written to the outbox: drain soon."""
        self.wakeup.set()

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Drain forever, waking when notified or every `idle_seconds`."""
        while True:
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the entry stays pending and is retried
                log.exception("outbox drain failed")
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=idle_seconds)
            except asyncio.TimeoutError:
                pass
            self.wakeup.clear()

    async def drain(self, limit: int = 200) -> int:
        """Send every entry that is due now; returns how many were delivered."""
        delivered = 0
        while True:
            batch = await self._claim(limit)
            if not batch:
                return delivered
            for entry in batch:
                if await self._deliver(entry):
                    delivered += 1

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        now = self.clock.now()
        platforms = list(self.gateways)
        async with self.db.session() as session:
            stale = now - CLAIM_LEASE
            await session.exec(  # type: ignore[call-overload]
                sa.update(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.sending, OutboxMessage.claimed_at < stale)
                .values(state=OutboxState.pending)
            )
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.state == OutboxState.pending,
                        OutboxMessage.platform.in_(platforms),  # type: ignore[attr-defined]
                        OutboxMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboxMessage.priority, OutboxMessage.id)
                    .limit(limit)
                )
            ).all()
            claimed = []
            for row in rows:
                result = await session.exec(  # type: ignore[call-overload]
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.state == OutboxState.pending)
                    .values(state=OutboxState.sending, claimed_by=self.worker_id, claimed_at=now)
                )
                if result.rowcount:
                    claimed.append(row)
            return claimed

    async def _deliver(self, entry: OutboxMessage) -> bool:
        gateway = self.gateways[entry.platform]
        destination = Destination(entry.platform, entry.dest_kind, entry.dest_id)
        message = to_outgoing(entry)
        try:
            if entry.kind == "invite":
                result = await gateway.invite(entry.dest_id, str(message.payload["room_id"]))
            elif entry.kind == "reaction":
                result = await gateway.react(entry.dest_id, str(message.payload["message_id"]), message.payload["emoji"])
            else:
                result = await gateway.send(destination, message)
        except DeliveryError as error:
            await self._record_failure(entry, error)
            return False
        except Exception as error:  # an adapter bug must not stop the outbox
            log.exception("unexpected error sending outbox entry %s", entry.id)
            await self._record_failure(entry, DeliveryError(repr(error)))
            return False
        await self._record_success(entry, result)
        return True

    async def _record_success(self, entry: OutboxMessage, result: SendResult) -> None:
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, entry.id)
            assert row is not None
            row.state = OutboxState.sent
            row.sent_at = self.clock.now()
            row.platform_message_id = result.message_id or result.link
            row.attempts += 1
            session.add(row)
            if row.ref_kind and row.ref_id is not None and result.message_id and row.dest_kind == "room":
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
            await self._after_send(session, row, result)
        self.sent_count += 1

    async def _after_send(self, session, row: OutboxMessage, result: SendResult) -> None:  # type: ignore[no-untyped-def]
        """Follow-ups an entry asks for once delivered (e.g. an invite link passed on)."""
        follow_up = (row.payload or {}).get("on_sent")
        if follow_up and result.link:
            text = follow_up["text"].replace("{link}", result.link)
            self._enqueue_raw(session, follow_up, text)

    def _enqueue_raw(self, session, spec: dict, text: str) -> None:  # type: ignore[no-untyped-def]
        session.add(
            OutboxMessage(
                platform=spec["platform"],
                dest_kind=spec["dest_kind"],
                dest_id=spec["dest_id"],
                text=text,
                buttons=spec.get("buttons", []),
                priority=spec.get("priority", 5),
                next_attempt_at=self.clock.now(),
                created_at=self.clock.now(),
            )
        )

    async def _record_failure(self, entry: OutboxMessage, error: DeliveryError) -> None:
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, entry.id)
            assert row is not None
            row.attempts += 1
            row.error = error.reason[:1000]
            if error.permanent or (error.retry_after is None and row.attempts >= MAX_ATTEMPTS):
                row.state = OutboxState.failed
                self.failed_count += 1
                log.error("outbox entry %s to %s:%s failed: %s", row.id, row.platform, row.dest_id, error.reason)
                fallback = (row.payload or {}).get("on_failed")
                if fallback:
                    self._enqueue_raw(session, fallback, fallback["text"])
            else:
                delay = error.retry_after if error.retry_after is not None else _backoff(row.attempts)
                row.state = OutboxState.pending
                row.next_attempt_at = self.clock.now() + timedelta(seconds=delay)
                self.retried_count += 1
                log.warning("outbox entry %s retried in %.1fs: %s", row.id, delay, error.reason)
            session.add(row)
