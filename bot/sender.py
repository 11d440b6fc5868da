"""Drains the outbox: claims due entries within each destination's budget, delivers them, records the result."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import files
from bot.config import Settings
from bot.messages import Button, Destination, Outgoing, SendResult
from bot.outbox import add_raw, merged_acks_text, notify_failure
from bot.pacing import Budget, PlatformLimits, limits_for
from bot.ports import ChatGateway, Clock, DeliveryError
from bot.charts import render_chart
from storage.db import Database, insert_ignoring_conflict
from storage.tables import MessageLink, OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# Claiming rounds of all workers take this PostgreSQL advisory lock in turn, so the budget
# each round reads from the table includes every other worker's claims.
CLAIM_LOCK_KEY = 0x1DEA_0B0C
# Confirmations that may be merged into one message, and the catalog text of the merge.
MERGEABLE = frozenset({"idea-ack"})
MERGE_AT_MOST = 100
CONCURRENT_DESTINATIONS = 16

DestKey = tuple[str, str, str]


def _backoff(attempts: int) -> float:
    return min(2.0 ** attempts, 300.0)


def to_outgoing(entry: OutboxMessage) -> Outgoing:
    buttons = [[Button.from_json(b) for b in row] for row in entry.buttons or []]
    return Outgoing(entry.text, buttons, kind=entry.kind, payload=dict(entry.payload or {}))


def _key(entry: OutboxMessage) -> DestKey:
    return (entry.platform, entry.dest_kind, entry.dest_id)


class Sender:
    """Delivers outbox entries for the platforms it has gateways for; several may share a database."""

    def __init__(
        self,
        db: Database,
        gateways: dict[str, ChatGateway],
        clock: Clock,
        worker_id: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.gateways = gateways
        self.clock = clock
        self.settings = settings or Settings()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wakeup = asyncio.Event()
        self.stopping = False
        # A 429 for one destination holds back only that destination, until this time.
        self.held_until: dict[DestKey, datetime] = {}
        self.sent_count = 0
        self.failed_count = 0
        self.retried_count = 0
        self.rate_limited_count = 0
        self.merged_count = 0
        self._next_due: datetime | None = None
        self._budget_wait: float | None = None
        # When this worker really began each recent send (the claim may be a moment earlier).
        self._started: dict[int, datetime] = {}

    # --- running -------------------------------------------------------------------------------

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
                timeout = min(idle_seconds, max(0.005, (self._next_due - self.clock.now()).total_seconds()))
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass
            self.wakeup.clear()

    async def drain(self, limit: int = 500) -> int:
        """Send every entry that is due and fits its budget now; returns how many were delivered."""
        delivered = 0
        while True:
            batch = await self._claim(limit)
            if not batch:
                self._next_due = await self._soonest_due(self.clock.now())
                return delivered
            delivered += await self._deliver_batch(batch)

    def limits(self) -> dict[str, PlatformLimits]:
        return {
            platform: limits_for(gateway, self.settings) for platform, gateway in self.gateways.items()
        }

    # --- claiming ------------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        now = self.clock.now()
        platforms = list(self.gateways)
        if not platforms:
            return []
        async with self.db.session() as session:
            postgres = self.db.dialect == "postgresql"
            if postgres:
                await session.exec(sa.text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=CLAIM_LOCK_KEY))  # type: ignore[call-overload]
            await self._reclaim_stale(session, now)
            limits = self.limits()
            budget = await self._recent_budget(session, limits, now)
            query = (
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.state) == OutboxState.pending,
                    col(OutboxMessage.platform).in_(platforms),
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
                .limit(limit)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True)
            candidates = list((await session.exec(query)).all())
            claimed = await self._choose(session, candidates, budget, now)
            await session.flush()
        return claimed

    async def _reclaim_stale(self, session: AsyncSession, now: datetime) -> None:
        """Entries left "sending" past the lease belonged to a worker that died mid-send."""
        stale = now - timedelta(seconds=self.settings.send_lease_seconds)
        result = await session.exec(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.state) == OutboxState.sending, col(OutboxMessage.claimed_at) < stale)
            .values(state=OutboxState.pending, next_attempt_at=now)
        )
        if result.rowcount:
            log.warning("reclaimed %d outbox entries a stopped worker left unsent", result.rowcount)

    async def _recent_budget(self, session: AsyncSession, limits: dict[str, PlatformLimits], now: datetime) -> Budget:
        """The budget as every worker spent it: entries claimed within the longest window."""
        budget = Budget(limits)
        longest = max((limit.longest for limit in limits.values()), default=0.0)
        if longest <= 0:
            return budget
        since = now - timedelta(seconds=longest + budget.margin)
        rows = (
            await session.exec(
                select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for at most four columns
                    col(OutboxMessage.id),
                    col(OutboxMessage.platform),
                    col(OutboxMessage.dest_kind),
                    col(OutboxMessage.dest_id),
                    col(OutboxMessage.kind),
                    col(OutboxMessage.claimed_at),
                )
                .where(
                    col(OutboxMessage.claimed_at) >= since,
                    col(OutboxMessage.platform).in_(list(limits)),
                )
                .order_by(col(OutboxMessage.claimed_at))
            )
        ).all()
        self._started = {i: t for i, t in self._started.items() if t >= since}
        sends = sorted(
            (max(claimed_at, self._started.get(entry_id, claimed_at)), platform, dest_kind, dest_id, kind)
            for entry_id, platform, dest_kind, dest_id, kind, claimed_at in rows
        )
        for at, platform, dest_kind, dest_id, kind in sends:
            budget.record(platform, dest_kind, dest_id, kind, at)
        return budget

    async def _choose(
        self, session: AsyncSession, candidates: list[OutboxMessage], budget: Budget, now: datetime
    ) -> list[OutboxMessage]:
        """Claim, in priority order, what each destination's budget allows now; merge confirmations
        that would otherwise fall behind."""
        self._budget_wait = None
        mergeable: dict[tuple[DestKey, str], list[OutboxMessage]] = defaultdict(list)
        for entry in candidates:
            if entry.coalesce_key in MERGEABLE:
                mergeable[(_key(entry), entry.coalesce_key)].append(entry)
        done: set[int] = set()
        claimed: list[OutboxMessage] = []
        reactions: list[OutboxMessage] = []
        for entry in candidates:
            if entry.id in done:
                continue
            key = _key(entry)
            held = self.held_until.get(key)
            if held is not None and held > now:
                self._note_wait((held - now).total_seconds())
                continue
            group = mergeable.get((key, entry.coalesce_key or ""), [])
            if len(group) > 1 and budget.capacity(*key, "message", now, self.settings.ack_coalesce_seconds, len(group)) < len(group):
                done.update(e.id for e in group)  # type: ignore[misc]
                reactions += self._react_to(session, group, now)
                carrier = await self._merge_if_due(session, group[:MERGE_AT_MOST], budget, now)
                if carrier is not None:
                    claimed.append(carrier)
                continue
            wait = budget.wait(*key, entry.kind, now)
            if wait > 0:
                self._note_wait(wait)
                continue
            self._mark_claimed(entry, now)
            budget.record(*key, entry.kind, now)
            claimed.append(entry)
        if reactions:
            await session.flush()
        for reaction in reactions:
            if budget.wait(*_key(reaction), "reaction", now) == 0:
                self._mark_claimed(reaction, now)
                budget.record(*_key(reaction), "reaction", now)
                claimed.append(reaction)
        return claimed

    def _note_wait(self, seconds: float) -> None:
        if self._budget_wait is None or seconds < self._budget_wait:
            self._budget_wait = seconds

    def _mark_claimed(self, entry: OutboxMessage, now: datetime) -> None:
        entry.state = OutboxState.sending
        entry.claimed_by = self.worker_id
        entry.claimed_at = now

    def _react_to(self, session: AsyncSession, acks: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
        """Put a reaction on each person's own message, so they see at once that it was recorded."""
        gateway = self.gateways.get(acks[0].platform)
        if gateway is None:
            return []
        emoji = gateway.ack_reaction
        made = []
        for ack in acks:
            payload = dict(ack.payload or {})
            if payload.get("reacted") or not payload.get("reply_to"):
                continue
            payload["reacted"] = True
            ack.payload = payload
            made.append(
                add_raw(
                    session,
                    platform=ack.platform,
                    dest_kind=ack.dest_kind,
                    dest_id=ack.dest_id,
                    kind="reaction",
                    text="",
                    payload={"message_id": str(payload["reply_to"]), "emoji": emoji},
                    priority=ack.priority,
                    ref=("ack", ack.id),  # type: ignore[arg-type]
                    now=now,
                )
            )
        return made

    async def _merge_if_due(
        self, session: AsyncSession, group: list[OutboxMessage], budget: Budget, now: datetime
    ) -> OutboxMessage | None:
        """One confirmation for the whole group, when the room can take a message now.

        Under a short budget merged confirmations go out at the pace the room can keep up
        (e.g. one every 3 s in a Telegram group), so the budget never runs dry for a minute
        and later ideas wait at most that long.
        """
        key = _key(group[0])
        wait = max(
            budget.wait(*key, "message", now),
            budget.steady_interval(*key, "message") - budget.since_last(*key, "message", now),
        )
        if wait > 0:
            self._note_wait(wait)
            return None
        locale = next((e.payload.get("locale") for e in group if (e.payload or {}).get("locale")), None)
        carrier = add_raw(
            session,
            platform=key[0],
            dest_kind=key[1],
            dest_id=key[2],
            text=merged_acks_text(group, locale or self.settings.locale),
            payload={"covers": [e.id for e in group]},
            priority=min(e.priority for e in group),
            now=now,
        )
        self._mark_claimed(carrier, now)
        for entry in group:
            # Claimed by the carrier: no lease of their own, the carrier's lease covers them.
            entry.state = OutboxState.sending
            entry.claimed_by = self.worker_id
            entry.claimed_at = None
        budget.record(*key, "message", now)
        self.merged_count += len(group)
        return carrier

    async def _soonest_due(self, now: datetime) -> datetime | None:
        """When the next pending entry falls due (a retry, or a budget that frees up)."""
        platforms = list(self.gateways)
        async with self.db.session() as session:
            soonest = (
                await session.exec(
                    select(sa.func.min(col(OutboxMessage.next_attempt_at))).where(
                        col(OutboxMessage.state) == OutboxState.pending,
                        col(OutboxMessage.platform).in_(platforms),
                        col(OutboxMessage.next_attempt_at) > now,
                    )
                )
            ).one()
        candidates = [t for t in (soonest,) if t is not None]
        if self._budget_wait is not None:
            candidates.append(now + timedelta(seconds=self._budget_wait))
        return min(candidates) if candidates else None

    # --- delivering ----------------------------------------------------------------------------

    async def _deliver_batch(self, batch: list[OutboxMessage]) -> int:
        """Destinations in parallel (so each send leaves right after its claim), each in order;
        reactions need no order and each go on their own."""
        by_destination: dict[tuple[Any, ...], list[OutboxMessage]] = defaultdict(list)
        for entry in batch:
            by_destination[("reaction", entry.id) if entry.kind == "reaction" else _key(entry)].append(entry)
        gate = asyncio.Semaphore(CONCURRENT_DESTINATIONS)

        async def deliver_in_order(entries: list[OutboxMessage]) -> int:
            delivered = 0
            async with gate:
                for index, entry in enumerate(entries):
                    held = self.held_until.get(_key(entry))
                    if held is not None and held > self.clock.now():
                        await self._release(entries[index:], held)
                        break
                    delivered += await self._deliver(entry)
            return delivered

        counts = await asyncio.gather(*(deliver_in_order(entries) for entries in by_destination.values()))
        return sum(counts)

    async def _release(self, entries: list[OutboxMessage], until: datetime) -> None:
        """Give back claimed entries whose destination asked to wait, for after the wait."""
        async with self.db.session() as session:
            await session.exec(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id).in_([e.id for e in entries]), col(OutboxMessage.state) == OutboxState.sending)
                .values(state=OutboxState.pending, next_attempt_at=until)
            )

    async def _deliver(self, entry: OutboxMessage) -> bool:
        gateway = self.gateways[entry.platform]
        destination = Destination(entry.platform, entry.dest_kind, entry.dest_id)
        message = to_outgoing(entry)
        self._started[entry.id] = self.clock.now()  # type: ignore[index]
        try:
            if entry.kind == "invite":
                result = await gateway.invite(entry.dest_id, str(message.payload["room_id"]))
            elif entry.kind == "reaction":
                result = await gateway.react(entry.dest_id, str(message.payload["message_id"]), message.payload["emoji"])
            else:
                if entry.kind == "photo" and "render" in message.payload:
                    message = await self._render(message)
                result = await gateway.send(destination, message)
        except Exception as error:
            if not isinstance(error, DeliveryError):  # an adapter bug must not stop the outbox
                log.exception("unexpected error sending outbox entry %s", entry.id)
                error = DeliveryError(repr(error))
            given_up = await self._record_failure(entry, error)
            # A chart is drawn again for the next try; a written file is kept for it.
            if given_up or "render" in entry.payload:
                files.remove(message.payload.get("path"), self.settings.report_dir)
            return False
        await self._record_success(entry, result)
        if not result.file_kept:
            files.remove(message.payload.get("path"), self.settings.report_dir)
        return True

    async def _render(self, message: Outgoing) -> Outgoing:
        """A photo queued as chart figures is drawn now, off the event loop, and sent as the PNG it makes."""
        path = await asyncio.to_thread(render_chart, message.payload["render"], self.settings.report_dir)
        payload = {key: value for key, value in message.payload.items() if key != "render"}
        return Outgoing(message.text, message.buttons, kind=message.kind, payload={**payload, "path": str(path)})

    async def _record_success(self, entry: OutboxMessage, result: SendResult) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, entry.id)
            assert row is not None
            row.state = OutboxState.sent
            row.sent_at = now
            row.platform_message_id = result.message_id or result.link
            row.attempts += 1
            row.error = ""
            session.add(row)
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
            covered = (row.payload or {}).get("covers")
            if covered:
                await self._settle_covered(session, covered, OutboxState.sent, now, message_id=row.platform_message_id)
            await self._after_send(session, row, result)
        self.sent_count += 1

    async def _settle_covered(
        self, session: AsyncSession, ids: list[int], state: str, now: datetime, *, message_id: str | None = None, error: str = ""
    ) -> None:
        """The confirmations a merged message stood for share its fate."""
        values: dict[str, Any] = {"state": state, "error": error}
        if state == OutboxState.sent:
            values.update(sent_at=now, platform_message_id=message_id)
            # A reaction not yet made is pointless once the confirmation is in the room.
            await session.exec(
                sa.delete(OutboxMessage).where(
                    col(OutboxMessage.kind) == "reaction",
                    col(OutboxMessage.state) == OutboxState.pending,
                    col(OutboxMessage.ref_kind) == "ack",
                    col(OutboxMessage.ref_id).in_(ids),
                )
            )
        await session.exec(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.state) != OutboxState.sent)
            .values(**values)
        )

    async def _after_send(self, session: AsyncSession, row: OutboxMessage, result: SendResult) -> None:
        """Follow-ups an entry asks for once delivered (e.g. an invite link passed on)."""
        follow_up = (row.payload or {}).get("on_sent")
        if follow_up and result.link:
            self._enqueue_spec(session, follow_up, follow_up["text"].replace("{link}", result.link))

    def _enqueue_spec(self, session: AsyncSession, spec: dict[str, Any], text: str) -> None:
        add_raw(
            session,
            platform=spec["platform"],
            dest_kind=spec["dest_kind"],
            dest_id=spec["dest_id"],
            text=text,
            buttons=spec.get("buttons", []),
            priority=spec.get("priority", 5),
            now=self.clock.now(),
        )

    def _start_link(self, platform: str, payload: str) -> str:
        """A link that opens the bot's direct chat with `/start <payload>`, or the command itself."""
        gateway = self.gateways.get(platform)
        link = gateway.start_link(payload) if gateway is not None else None
        return link or f"/start {payload}"

    async def _record_failure(self, entry: OutboxMessage, error: DeliveryError) -> bool:
        """Count the failed try; True when the entry is given up for good."""
        now = self.clock.now()
        given_up = False
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, entry.id)
            assert row is not None
            row.attempts += 1
            row.error = error.reason[:1000]
            if error.permanent or (error.retry_after is None and row.attempts >= self.settings.send_max_attempts):
                await self._fail(session, row, now)
                given_up = True
            elif error.retry_after is not None:
                await self._hold_destination(session, row, now + timedelta(seconds=error.retry_after))
            else:
                delay = _backoff(row.attempts)
                row.state = OutboxState.pending
                row.next_attempt_at = now + timedelta(seconds=delay)
                self.retried_count += 1
                log.warning("outbox entry %s retried in %.1fs: %s", row.id, delay, error.reason)
            session.add(row)
        return given_up

    async def _hold_destination(self, session: AsyncSession, row: OutboxMessage, until: datetime) -> None:
        """The platform said "too many": this destination waits, every other keeps flowing."""
        self.rate_limited_count += 1
        row.state = OutboxState.pending
        row.next_attempt_at = until
        self.held_until[_key(row)] = until
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

    async def _fail(self, session: AsyncSession, row: OutboxMessage, now: datetime) -> None:
        """Give up on an entry: keep the reason, say so loudly, and tell the organizers."""
        row.state = OutboxState.failed
        self.failed_count += 1
        log.error(
            "outbox entry %s (%s to %s:%s:%s) failed after %d attempts: %s",
            row.id, row.kind, row.platform, row.dest_kind, row.dest_id, row.attempts, row.error,
        )
        payload = row.payload or {}
        covered = payload.get("covers")
        if covered:
            await self._settle_covered(session, covered, OutboxState.failed, now, error=f"#{row.id}: {row.error}"[:1000])
        fallback = payload.get("on_failed")
        if fallback:
            text = fallback["text"]
            if "{start_link}" in text and payload.get("start_payload"):
                text = text.replace("{start_link}", self._start_link(row.platform, str(payload["start_payload"])))
            self._enqueue_spec(session, fallback, text)
        if row.kind != "reaction":  # a missing reaction is no news worth an organizer's time
            await notify_failure(session, row, self.settings, now)
