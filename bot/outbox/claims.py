"""Claiming rounds: leases a dead worker left are taken back, and the due entries each destination's budget allows are leased."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.coalescing import MERGE_AT_MOST, MERGEABLE, merge_if_due, react_to
from bot.outbox.entries import DestKey, entry_id, key_of
from bot.outbox.pacing import IN_FLIGHT_MARGIN_SECONDS, Budget, limits_for
from bot.outbox.worker import Worker
from bot.ports import PlatformLimits
from storage.tables import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# Claiming rounds of all workers take this PostgreSQL advisory lock in turn, so the budget
# each round reads from the table includes every other worker's claims.
CLAIM_LOCK_KEY = 0x1DEA_0B0C
# Leases run for a minute: looking for lapsed ones this often, not in every round, loses nothing.
RECLAIM_EVERY_SECONDS = 5.0

# Built once, values as parameters: building a statement and its cache key cost about as much CPU
# as running it (0.3 of 0.7 ms for the candidates), in every round of every sender (issue 18).
_DUE = (
    select(OutboxMessage)
    .where(
        col(OutboxMessage.state) == OutboxState.pending,
        col(OutboxMessage.platform).in_(sa.bindparam("platforms", expanding=True)),
        col(OutboxMessage.next_attempt_at) <= sa.bindparam("now"),
    )
    .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
    .limit(sa.bindparam("limit"))
)
_CLAIM_LOCK = select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK_KEY))
_DUE_SKIPPING_LOCKED = _DUE.with_for_update(skip_locked=True)
# Eight columns: more than sqlmodel's select() is typed for, so SQLAlchemy's, on the session's connection.
_RECENT = (
    sa.select(
        col(OutboxMessage.id),
        col(OutboxMessage.platform),
        col(OutboxMessage.dest_kind),
        col(OutboxMessage.dest_id),
        col(OutboxMessage.kind),
        col(OutboxMessage.state),
        col(OutboxMessage.claimed_at),
        col(OutboxMessage.sent_at),
    )
    .where(
        # A send claimed earlier may have reached the platform (or be on its way) since.
        sa.or_(
            col(OutboxMessage.claimed_at) >= sa.bindparam("since"),
            col(OutboxMessage.sent_at) >= sa.bindparam("since"),
            col(OutboxMessage.state) == OutboxState.sending,
        ),
        col(OutboxMessage.platform).in_(sa.bindparam("platforms", expanding=True)),
    )
    .order_by(col(OutboxMessage.claimed_at))
)
_SOONEST = select(sa.func.min(col(OutboxMessage.next_attempt_at))).where(
    col(OutboxMessage.state) == OutboxState.pending,
    col(OutboxMessage.platform).in_(sa.bindparam("platforms", expanding=True)),
    col(OutboxMessage.next_attempt_at) > sa.bindparam("now"),
)


@dataclass
class Round:
    """What one claiming round leased, when each of them may go, and when to look again."""

    claimed: list[OutboxMessage] = field(default_factory=list)
    # Entries planned a moment ahead (within the round's horizon): not to be sent before this.
    planned: dict[int, datetime] = field(default_factory=dict)
    # The next time anything not claimed now falls due (a retry, a budget that frees up).
    next_due: datetime | None = None
    # As many candidates as asked for were read: more may be due behind them.
    full: bool = False
    # Some due entries had to wait (a budget, a destination under way): the next round may take them.
    blocked: bool = False

    @property
    def busy(self) -> bool:
        """More will be due soon: worth a look as soon as this round's sends have left."""
        return self.full or self.blocked or bool(self.planned)


class Claims:
    """One worker's claiming rounds, and how long until the next entry can go."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._budget_wait: float | None = None
        self._reclaimed_at: datetime | None = None
        # When the oldest lease another worker holds runs out: a worker that died mid-send leaves it,
        # and an idle sender must look again then, not at its next idle poll (minutes on SQLite).
        self._lease_ends: datetime | None = None

    def limits(self) -> dict[str, PlatformLimits]:
        """What each platform's gateway declares (none at all when the setting switches limits off)."""
        return {
            platform: limits_for(gateway, self.worker.settings) for platform, gateway in self.worker.gateways.items()
        }

    async def claim(self, limit: int, horizon: float = 0.0) -> Round:
        """Lease, in priority order, up to `limit` due entries that fit their destination's budget
        now or within `horizon` seconds, and find when the rest fall due; one transaction."""
        worker = self.worker
        now = worker.clock.now()
        platforms = list(worker.gateways)
        if not platforms:
            return Round()
        async with worker.db.session() as session:
            postgres = worker.db.dialect == "postgresql"
            if postgres:
                await session.exec(_CLAIM_LOCK)
            if self._reclaimed_at is None or (now - self._reclaimed_at).total_seconds() >= RECLAIM_EVERY_SECONDS:
                await self._reclaim_stale(session, now)
                self._reclaimed_at = now
            limits = self.limits()
            budget = await self._recent_budget(session, limits, now)
            query = _DUE_SKIPPING_LOCKED if postgres else _DUE
            values = {"platforms": platforms, "now": now}
            candidates = list((await session.exec(query, params={**values, "limit": limit})).all())
            found = Round(full=len(candidates) >= limit)
            found.claimed = await self._choose(session, candidates, budget, now, horizon, found.planned)
            await session.flush()
            soonest = (await session.exec(_SOONEST, params=values)).one()
        # Only once committed: a claim that did not commit is no one's, and the next round takes it.
        worker.under_way(found.claimed, now)
        due = [t for t in (soonest,) if t is not None]
        if self._lease_ends is not None and self._reclaimed_at is not None:
            due.append(max(self._lease_ends, self._reclaimed_at + timedelta(seconds=RECLAIM_EVERY_SECONDS)))
        if self._budget_wait is not None:
            due.append(now + timedelta(seconds=self._budget_wait))
            found.blocked = True
        found.next_due = min(due) if due else None
        return found

    async def _reclaim_stale(self, session: AsyncSession, now: datetime) -> None:
        """Entries left "sending" past the lease belonged to a worker that died mid-send."""
        stale = now - timedelta(seconds=self.worker.settings.send_lease_seconds)
        result = await session.exec(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.state) == OutboxState.sending,
                col(OutboxMessage.claimed_at) < stale,
                # This worker's own sends still under way are not lost, however long a round takes.
                sa.or_(
                    col(OutboxMessage.claimed_by) != self.worker.worker_id,
                    col(OutboxMessage.id).not_in(list(self.worker.in_flight)),
                ),
            )
            .values(state=OutboxState.pending, next_attempt_at=now)
        )
        if result.rowcount:
            log.warning("reclaimed %d outbox entries a stopped worker left unsent", result.rowcount)
        oldest = (
            await session.exec(
                select(sa.func.min(col(OutboxMessage.claimed_at))).where(
                    col(OutboxMessage.state) == OutboxState.sending,
                    col(OutboxMessage.claimed_by) != self.worker.worker_id,
                )
            )
        ).one()
        lease = timedelta(seconds=self.worker.settings.send_lease_seconds)
        self._lease_ends = oldest + lease if oldest is not None else None

    async def _recent_budget(self, session: AsyncSession, limits: dict[str, PlatformLimits], now: datetime) -> Budget:
        """The budget as every worker spent it: entries claimed within the longest window."""
        budget = Budget(limits)
        longest = max((limit.longest for limit in limits.values()), default=0.0)
        if longest <= 0:
            return budget
        since = now - timedelta(seconds=longest + budget.margin)
        connection = await session.connection()
        rows = (await connection.execute(_RECENT, {"since": since, "platforms": list(limits)})).all()
        finished = self.worker.finished
        for old in [i for i, t in finished.items() if t < since]:
            del finished[old]
        in_flight = now + timedelta(seconds=IN_FLIGHT_MARGIN_SECONDS)
        # This worker's own sends under way count as made after anything this round could claim:
        # a send that depends on one of them waits until its answer is back.
        own = now + timedelta(seconds=longest + budget.margin)
        sends = sorted(
            (
                own
                if row_id in self.worker.in_flight
                else self._timed(finished.get(row_id), state, claimed_at, sent_at, in_flight),
                platform,
                dest_kind,
                dest_id,
                kind,
                claimed_at,  # when it was planned to leave
            )
            for row_id, platform, dest_kind, dest_id, kind, state, claimed_at, sent_at in rows
            if row_id is not None and claimed_at is not None
        )
        for at, platform, dest_kind, dest_id, kind, planned in sends:
            budget.record(platform, dest_kind, dest_id, kind, at, planned)
        return budget

    @staticmethod
    def _timed(
        finished: datetime | None, state: str, claimed_at: datetime, sent_at: datetime | None, in_flight: datetime
    ) -> datetime:
        """When a recent send counted at the platform, at the latest: this worker's own by the answer's
        return, another's sent one by when it was recorded sent, one still in flight as arriving a
        moment from now, one that failed by its claim and the margin."""
        if finished is not None:
            return finished
        if state == OutboxState.sent and sent_at is not None:
            return max(sent_at, claimed_at)
        if state == OutboxState.sending:
            return max(in_flight, claimed_at)
        return claimed_at + timedelta(seconds=IN_FLIGHT_MARGIN_SECONDS)

    async def _choose(
        self,
        session: AsyncSession,
        candidates: list[OutboxMessage],
        budget: Budget,
        now: datetime,
        horizon: float,
        planned: dict[int, datetime],
    ) -> list[OutboxMessage]:
        """Claim, in priority order, what each destination's budget allows now or within `horizon`
        (its moment noted in `planned`); merge confirmations that would otherwise fall behind."""
        worker = self.worker
        self._budget_wait = None
        mergeable: dict[tuple[DestKey, str], list[OutboxMessage]] = defaultdict(list)
        for entry in candidates:
            if entry.coalesce_key in MERGEABLE:
                mergeable[(key_of(entry), entry.coalesce_key)].append(entry)
        done: set[int] = set()
        claimed: list[OutboxMessage] = []
        reactions: list[OutboxMessage] = []
        under_way = worker.busy_destinations()
        for entry in candidates:
            if entry.id in done:
                continue
            key = key_of(entry)
            if key in under_way:  # in order: after the entry of an earlier round has gone
                self._note_wait(self.worker.settings.send_lease_seconds)
                continue
            held = worker.held(key, now)
            if held is not None:
                self._note_wait((held - now).total_seconds())
                continue
            group = mergeable.get((key, entry.coalesce_key or ""), [])
            if len(group) > 1 and budget.capacity(
                *key, "message", now, worker.settings.ack_coalesce_seconds, len(group)
            ) < len(group):
                done.update(entry_id(e) for e in group)
                reactions += react_to(worker, session, group, now)
                carrier = merge_if_due(worker, session, group[:MERGE_AT_MOST], budget, now, self._note_wait)
                if carrier is not None:
                    claimed.append(carrier)
                continue
            wait = budget.wait(*key, entry.kind, now)
            if wait > horizon:
                self._note_wait(wait)
                continue
            at = now + timedelta(seconds=wait)
            worker.lease(entry, at)
            budget.record(*key, entry.kind, at)
            if wait > 0:
                planned[entry_id(entry)] = at
            claimed.append(entry)
        if reactions:
            await session.flush()
        for reaction in reactions:
            if budget.wait(*key_of(reaction), "reaction", now) == 0:
                worker.lease(reaction, now)
                budget.record(*key_of(reaction), "reaction", now)
                claimed.append(reaction)
        return claimed

    def _note_wait(self, seconds: float) -> None:
        if self._budget_wait is None or seconds < self._budget_wait:
            self._budget_wait = seconds

    async def release(self, entries: list[OutboxMessage], until: datetime) -> None:
        """Give back claimed entries whose destination asked to wait, for after the wait."""
        self.worker.landed(entries)
        async with self.worker.db.session() as session:
            await session.exec(
                sa.update(OutboxMessage)
                .where(
                    col(OutboxMessage.id).in_([e.id for e in entries]), col(OutboxMessage.state) == OutboxState.sending
                )
                .values(state=OutboxState.pending, next_attempt_at=until)
            )
