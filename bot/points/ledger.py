"""The append-only points ledger: awards that can never be written twice, balances, reversals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert_ignoring_conflict
from storage.tables import PointEntry, PointTotal, table_of

REVERSAL_PREFIX = "undo:"
REDO_MARK = ":redo"
# The calendar of the running totals (migration 0003 backfills them in it too).
TOTALS_TIME_ZONE = ZoneInfo("Asia/Seoul")
ALL_TIME = "all"


def period_keys(moment: datetime) -> list[str]:
    """The totals an entry made at `moment` counts in: all time, its year, quarter and month (Asia/Seoul)."""
    local = moment.astimezone(TOTALS_TIME_ZONE)
    return [ALL_TIME, f"{local.year}", f"{local.year}-Q{(local.month - 1) // 3 + 1}", f"{local.year}-{local.month:02d}"]


def _totals_upsert(dialect: str) -> sa.Insert:
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table_of(PointTotal))
    return statement.on_conflict_do_update(
        index_elements=["person_id", "period"],
        set_={"points": PointTotal.points + statement.excluded.points},
    )


# Built once: building a statement costs more CPU than SQLite takes to run it (a multi-row VALUES
# is even compiled afresh every time); executed with parameters, each is compiled once and cached.
_TOTALS_UPSERT = {dialect: _totals_upsert(dialect) for dialect in ("sqlite", "postgresql")}
_KEY_PROBE = select(PointEntry.id).where(PointEntry.award_key == sa.bindparam("award_key")).limit(1)
_STAGE_COUNT = (
    select(func.count())
    .select_from(PointEntry)
    .where(
        PointEntry.person_id == sa.bindparam("person_id"),
        PointEntry.stage == sa.bindparam("stage"),
        PointEntry.points > 0,
        PointEntry.created_at >= sa.bindparam("since"),
        PointEntry.created_at < sa.bindparam("until"),
    )
)


@dataclass(frozen=True)
class Cap:
    """At most `most` positive entries of `stage` per person within [since, until) (a daily cap)."""

    stage: str
    since: datetime
    until: datetime
    most: int


_ENTRY_COLUMNS = (
    "person_id",
    "points",
    "stage",
    "ref_kind",
    "ref_id",
    "award_key",
    "reason",
    "awarded_by",
    "created_at",
)


def _capped_insert(dialect: str) -> sa.Insert:
    """Append an entry unless its key is taken or the person already has `cap` entries of the stage
    in the window: the count and the insert in one statement (one statement less per idea)."""
    table = table_of(PointEntry)
    counted = (
        select(func.count())
        .select_from(table)
        .where(
            table.c.person_id == sa.bindparam("v_person_id", type_=table.c.person_id.type),
            table.c.stage == sa.bindparam("v_stage", type_=table.c.stage.type),
            table.c.points > 0,
            table.c.created_at >= sa.bindparam("cap_since", type_=table.c.created_at.type),
            table.c.created_at < sa.bindparam("cap_until", type_=table.c.created_at.type),
        )
        .scalar_subquery()
    )
    row = sa.select(*(sa.bindparam(f"v_{column}", type_=table.c[column].type) for column in _ENTRY_COLUMNS))
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # SQLite needs the WHERE anyway: an upsert after INSERT … SELECT without one is ambiguous to its parser.
    return (
        insert(table)
        .from_select(_ENTRY_COLUMNS, row.where(counted < sa.bindparam("cap_most", type_=sa.Integer)))
        .on_conflict_do_nothing()
    )


_CAPPED_INSERT = {dialect: _capped_insert(dialect) for dialect in ("sqlite", "postgresql")}


async def _add_to_totals(session: AsyncSession, person_id: int, points: int, moment: datetime) -> None:
    """Add an entry's points to its running totals, each an atomic upsert (concurrent awards add up)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    rows = [dict(person_id=person_id, period=key, points=points) for key in period_keys(moment)]
    await session.exec(_TOTALS_UPSERT[dialect], params=rows)


async def award(
    session: AsyncSession,
    person_id: int,
    points: int,
    stage: str,
    ref_kind: str,
    ref_id: int | None,
    award_key: str,
    reason: str,
    awarded_by: int | None,
    now: datetime,
    cap: Cap | None = None,
) -> bool:
    """Append one entry unless `award_key` is already in the ledger (or `cap` is reached); True when appended.

    The unique award key, not a read-then-write check, is what makes a replayed event or
    two workers handling the same award at once write it only once. The running totals
    change in the same transaction, and only when the entry was really appended.
    A cap is counted by the inserting statement itself; callers where workers may award the
    same person at once take turns on the person first (see points.listeners.on_idea_posted).
    """
    entry = dict(
        person_id=person_id,
        points=points,
        stage=stage,
        ref_kind=ref_kind,
        ref_id=ref_id,
        award_key=award_key,
        reason=reason,
        awarded_by=awarded_by,
        created_at=now,
    )
    if cap is None:
        appended = await insert_ignoring_conflict(session, PointEntry, entry)
    else:
        assert cap.stage == stage, "a cap counts the entries of the stage it awards"
        params: dict[str, Any] = {f"v_{column}": value for column, value in entry.items()}
        params.update(cap_since=cap.since, cap_until=cap.until, cap_most=cap.most)
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        appended = bool((await session.exec(_CAPPED_INSERT[dialect], params=params)).rowcount)
    if appended:
        await _add_to_totals(session, person_id, points, now)
    return appended


async def next_key(session: AsyncSession, base_key: str) -> str:
    """The key for awarding `base_key` now: every reversed award of it makes room for one more.

    The n-th award of a key is reversed by "undo:<key>" before the (n+1)-th is made, so the
    reversals are contiguous and each is found by an equality probe of the unique index
    (a LIKE prefix match is served by no index and scanned the whole ledger).
    """
    reversed_count = 0
    while await _exists(session, REVERSAL_PREFIX + _redo_key(base_key, reversed_count)):
        reversed_count += 1
    return _redo_key(base_key, reversed_count)


def _redo_key(base_key: str, count: int) -> str:
    return base_key if not count else f"{base_key}{REDO_MARK}{count}"


async def _exists(session: AsyncSession, award_key: str) -> bool:
    return (await session.exec(_KEY_PROBE, params={"award_key": award_key})).first() is not None


async def reverse_live(
    session: AsyncSession,
    *,
    ref_kind: str,
    ref_id: int,
    stages: set[str],
    key_contains: str = "",
    reason: str,
    awarded_by: int | None,
    now: datetime,
    floor_at_zero: bool = False,
) -> int:
    """Append a negative entry for each not-yet-reversed award of `stages` on a thing; returns how many.

    `floor_at_zero`: a reversal takes back at most what the person still has, so that a
    deduction made meanwhile cannot leave the balance below zero.
    """
    if not stages:
        return 0
    entries = (
        await session.exec(
            select(PointEntry).where(
                PointEntry.ref_kind == ref_kind,
                PointEntry.ref_id == ref_id,
                col(PointEntry.stage).in_(stages),
                PointEntry.points > 0,
                sa.not_(col(PointEntry.award_key).startswith(REVERSAL_PREFIX)),
            )
        )
    ).all()
    reversed_count = 0
    for entry in entries:
        if key_contains and key_contains not in entry.award_key:
            continue
        taken_back = entry.points
        if floor_at_zero:
            taken_back = min(taken_back, max(0, await total(session, entry.person_id)))
        if await award(
            session,
            entry.person_id,
            -taken_back,
            entry.stage,
            entry.ref_kind,
            entry.ref_id,
            REVERSAL_PREFIX + entry.award_key,
            reason,
            awarded_by,
            now,
        ):
            reversed_count += 1
    return reversed_count


async def balance(
    session: AsyncSession, person_id: int, since: datetime | None = None, until: datetime | None = None
) -> int:
    """The sum of a person's entries, optionally within [since, until)."""
    query = select(func.coalesce(func.sum(PointEntry.points), 0)).where(PointEntry.person_id == person_id)
    if since is not None:
        query = query.where(PointEntry.created_at >= since)
    if until is not None:
        query = query.where(PointEntry.created_at < until)
    return int((await session.exec(query)).one())


async def total(session: AsyncSession, person_id: int, period: str = ALL_TIME) -> int:
    """A person's running total for a period key (see `period_keys`); 0 without entries in it."""
    points = (
        await session.exec(
            select(PointTotal.points).where(PointTotal.person_id == person_id, PointTotal.period == period)
        )
    ).first()
    return int(points or 0)


async def count_stage(session: AsyncSession, person_id: int, stage: str, since: datetime, until: datetime) -> int:
    """How many entries of `stage` a person got within [since, until) (for daily caps)."""
    params = {"person_id": person_id, "stage": stage, "since": since, "until": until}
    return (await session.exec(_STAGE_COUNT, params=params)).one()
