"""Claims due reminders and fires each exactly once, in the transaction of its effects."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.context import Context
from bot.core import Core
from bot.office_hours import OfficeHours
from storage.tables import Reminder, ReminderState

log = logging.getLogger(__name__)

# After this many failed attempts a reminder stops being retried and is marked missed.
MAX_ATTEMPTS = 5
# New reminders a handler schedules may themselves be due already (a clock moved far ahead).
MAX_ROUNDS = 50


@dataclass
class FireReport:
    """What one call of `fire_due` did, by reminder id."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # claimed by another worker first
    quiet: list[int] = field(default_factory=list)  # housekeeping done (registry.reminder(quiet=True))


async def due_ids(core: Core, now: datetime, limit: int = 200) -> list[int]:
    """Pending reminders due at `now`, oldest first."""
    async with core.db.session() as session:
        rows = await session.exec(
            select(Reminder.id)
            .where(Reminder.state == ReminderState.pending, Reminder.due_at <= now)
            .order_by(col(Reminder.due_at), col(Reminder.id))
            .limit(limit)
        )
        return [int(i) for i in rows.all() if i is not None]


async def fire_due(core: Core, now: datetime | None = None) -> FireReport:
    """Fire every pending reminder due at `now` (and those its handlers make due), once each."""
    now = now or core.clock.now()
    report = FireReport()
    seen: set[int] = set()
    for _ in range(MAX_ROUNDS):
        await defer_closed_hours(core, now)
        ids = [i for i in await due_ids(core, now) if i not in seen]
        if not ids:
            break
        for reminder_id in ids:
            seen.add(reminder_id)
            await fire_one(core, reminder_id, now, report)
    return report


def keeps_office_hours(core: Core, reminder: Reminder) -> bool:
    """False for what an organizer asked to send at any hour (`/remind add ... anytime`)."""
    return not (reminder.payload or {}).get("anytime")


def fires_at(core: Core, reminder: Reminder) -> datetime:
    """When a reminder really fires: its due time, or the next opening after it for a notice."""
    if reminder.kind in core.registry.exact_reminders or not keeps_office_hours(core, reminder):
        return reminder.due_at
    return OfficeHours.of(core.settings).next_open(reminder.due_at)


async def defer_closed_hours(core: Core, now: datetime) -> int:
    """Notices due outside office hours move to the next opening (the one place that decides it)."""

    async with core.db.session() as session:
        rows = (
            await session.exec(select(Reminder).where(Reminder.state == ReminderState.pending, Reminder.due_at <= now))
        ).all()
        moved = 0
        for reminder in rows:
            opening = fires_at(core, reminder)
            if opening > reminder.due_at:
                # Conditional, so a reminder another worker claimed meanwhile is left alone.
                await session.exec(
                    sa.update(Reminder)
                    .where(col(Reminder.id) == reminder.id, col(Reminder.state) == ReminderState.pending)
                    .values(due_at=opening)
                )
                moved += 1
        return moved


async def fire_one(core: Core, reminder_id: int, now: datetime, report: FireReport) -> None:
    """Claim, handle and mark one reminder sent, all in one transaction; record a failure apart."""

    async def claim_and_handle(ctx: Context) -> str:
        # The conditional UPDATE is the claim: on PostgreSQL a second worker blocks on the row
        # until this transaction ends, then matches nothing; a crash rolls the claim back.
        claimed = await ctx.session.exec(
            sa.update(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.state) == ReminderState.pending)
            .values(state=ReminderState.claimed, claimed_at=now)
        )
        if not claimed.rowcount:
            return "skipped"
        reminder = await ctx.session.get(Reminder, reminder_id)
        assert reminder is not None
        await ctx.session.refresh(reminder)
        if keeps_office_hours(core, reminder):
            ctx.office_hours = OfficeHours.of(ctx.settings)
        handler = ctx.registry.reminders.get(reminder.kind)
        if handler is None:
            log.error("reminder %s has unknown kind %r; marked missed", reminder_id, reminder.kind)
            reminder.state = ReminderState.missed
            reminder.payload = {**(reminder.payload or {}), "_error": f"unknown kind {reminder.kind}"}
            ctx.session.add(reminder)
            return "missed"
        await handler(ctx, reminder)
        reminder.state = ReminderState.sent
        reminder.sent_at = ctx.now()
        ctx.session.add(reminder)
        return "quiet" if reminder.kind in ctx.registry.quiet_reminders else "sent"

    for attempt in range(3):
        try:
            outcome = await core.run_job(claim_and_handle)
            break
        except IntegrityError as error:
            # Two workers created the same row at once (e.g. the bot's own person); retry.
            if attempt < 2:
                continue
            outcome = await _failed(core, reminder_id, error)
        except Exception as error:  # the handler's transaction is rolled back whole; count the try
            outcome = await _failed(core, reminder_id, error)
            break
    getattr(report, outcome).append(reminder_id)


async def _failed(core: Core, reminder_id: int, error: Exception) -> str:
    log.exception("reminder %s failed", reminder_id, exc_info=error)
    return await _record_failure(core, reminder_id, error)


async def _record_failure(core: Core, reminder_id: int, error: Exception) -> str:
    """Back to pending with one more attempt counted, or missed after MAX_ATTEMPTS."""
    async with core.db.session() as session:
        reminder = await session.get(Reminder, reminder_id)
        if reminder is None or reminder.state != ReminderState.pending:
            return "skipped"
        payload = dict(reminder.payload or {})
        payload["_attempts"] = int(payload.get("_attempts", 0)) + 1
        payload["_error"] = repr(error)[:500]
        reminder.payload = payload
        if payload["_attempts"] >= MAX_ATTEMPTS:
            reminder.state = ReminderState.missed
            log.error("reminder %s gave up after %s attempts: %r", reminder_id, MAX_ATTEMPTS, error)
            session.add(reminder)
            return "missed"
        session.add(reminder)
        return "failed"


async def next_due_at(core: Core) -> datetime | None:
    """When the earliest pending reminder falls due, if any."""
    async with core.db.session() as session:
        return (
            await session.exec(
                select(Reminder.due_at)
                .where(Reminder.state == ReminderState.pending)
                .order_by(col(Reminder.due_at))
                .limit(1)
            )
        ).first()


async def mark_overdue_missed(core: Core, now: datetime, grace: timedelta) -> list[Reminder]:
    """On start: reminders overdue beyond the grace period are marked missed; organizers told once."""

    async def job(ctx: Context) -> list[Reminder]:
        ctx.office_hours = OfficeHours.of(ctx.settings)
        overdue = (
            await ctx.session.exec(
                select(Reminder)
                .where(Reminder.state == ReminderState.pending, Reminder.due_at < now - grace)
                .order_by(col(Reminder.due_at), col(Reminder.id))
            )
        ).all()
        missed = []
        for reminder in overdue:
            if fires_at(core, reminder) >= now - grace:
                continue  # it would have waited for office hours anyway: still in time
            result = await ctx.session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == reminder.id, col(Reminder.state) == ReminderState.pending)
                .values(state=ReminderState.missed)
            )
            if result.rowcount:
                missed.append(reminder)
        if missed:
            from bot.reminder_list import describe_reminders

            for organizer in await ctx.organizers():
                t = ctx.translator(organizer)
                lines = [t("scheduler.missed_on_start", count=len(missed))]
                lines += describe_reminders(ctx, t, missed)
                lines.append(t("scheduler.missed_hint"))
                await ctx.tell(organizer, "\n".join(lines))
            ctx.audit("reminder.missed", "reminder", None, ids=[r.id for r in missed])
            log.warning("marked %s overdue reminders missed: %s", len(missed), [r.id for r in missed])
        return missed

    return await core.run_job(job)
