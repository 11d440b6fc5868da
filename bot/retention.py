"""Retention: old processed-event ids, delivered outbox rows, inbox rows, audit entries, spent link codes and files are purged."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import files
from bot.config import Settings
from bot.reminders import schedule
from storage.tables import (
    AuditEntry,
    InboxEvent,
    LinkCode,
    OutboxMessage,
    OutboxState,
    ProcessedEvent,
    WebLoginLink,
    WebSession,
    table_of,
)

RETENTION = "retention.purge"
PURGE_AT = time(3, 0)  # local time: the quietest hour of an office
NEXT_BATCH = timedelta(minutes=1)


def _targets(settings: Settings, now: datetime) -> list[tuple[sa.Table, tuple[Any, ...], sa.ColumnElement[bool]]]:
    """(table, key columns, what is old enough) for each table with a retention period."""
    targets: list[tuple[sa.Table, tuple[Any, ...], sa.ColumnElement[bool]]] = []
    if settings.retain_events_days:
        cutoff = now - timedelta(days=settings.retain_events_days)
        targets.append(
            (
                table_of(ProcessedEvent),
                (ProcessedEvent.platform, ProcessedEvent.event_id),
                col(ProcessedEvent.processed_at) < cutoff,
            )
        )
    if settings.retain_outbox_days:
        cutoff = now - timedelta(days=settings.retain_outbox_days)
        old = sa.and_(col(OutboxMessage.state) == OutboxState.sent, col(OutboxMessage.created_at) < cutoff)
        targets.append((table_of(OutboxMessage), (OutboxMessage.id,), old))
    if settings.retain_inbox_days:
        cutoff = now - timedelta(days=settings.retain_inbox_days)
        targets.append((table_of(InboxEvent), (InboxEvent.id,), col(InboxEvent.received_at) < cutoff))
    if settings.retain_audit_days:
        cutoff = now - timedelta(days=settings.retain_audit_days)
        targets.append((table_of(AuditEntry), (AuditEntry.id,), col(AuditEntry.at) < cutoff))
    # A link code is worth nothing a day after it expired.
    targets.append((table_of(LinkCode), (LinkCode.id,), col(LinkCode.expires_at) < now - timedelta(days=1)))
    # The web dashboard's links and sessions, likewise, once they ended.
    targets.append((table_of(WebLoginLink), (WebLoginLink.id,), col(WebLoginLink.expires_at) < now - timedelta(days=1)))
    targets.append((table_of(WebSession), (WebSession.id,), col(WebSession.expires_at) < now - timedelta(days=1)))
    return targets


async def purge_batch(session: AsyncSession, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete at most one batch of old rows per table; returns how many went from each."""
    purged: dict[str, int] = {}
    for table, keys, old in _targets(settings, now):
        batch = select(*keys).where(old).limit(settings.retention_batch)
        match = keys[0].in_(batch) if len(keys) == 1 else sa.tuple_(*keys).in_(batch)
        if len(keys) > 1 and session.bind is not None and session.bind.dialect.name == "sqlite":
            rows = (await session.exec(batch)).all()
            match = sa.or_(*(sa.and_(*(k == v for k, v in zip(keys, row))) for row in rows)) if rows else sa.false()
        result = await session.exec(sa.delete(table).where(match))
        purged[table.name] = result.rowcount or 0
    purged["files"] = await asyncio.to_thread(files.purge, settings.report_dir, now, settings.retain_files_days)
    return purged


def next_purge(settings: Settings, now: datetime) -> datetime:
    """The next 03:00 in the office's time zone strictly after `now`."""
    local = now.astimezone(settings.tz)
    due = datetime.combine(local.date(), PURGE_AT, tzinfo=settings.tz)
    return due if due > now else due + timedelta(days=1)


async def schedule_retention(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Store the next night's purge (one per night: its key is the date)."""
    due = next_purge(settings, now)
    await schedule(
        session,
        kind=RETENTION,
        due_at=due,
        audience="organizers",
        dedupe_key=f"{RETENTION}:{due.date().isoformat()}",
        now=now,
    )


async def schedule_next_batch(session: AsyncSession, after: datetime, number: int, now: datetime) -> None:
    """More old rows than one batch: the next batch a minute later, in a transaction of its own."""
    due = after + NEXT_BATCH
    await schedule(
        session,
        kind=RETENTION,
        due_at=due,
        audience="organizers",
        dedupe_key=f"{RETENTION}:{after.isoformat()}:{number}",
        payload={"batch": number},
        now=now,
    )
