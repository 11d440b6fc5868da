"""Runs the scheduler in the bot's event loop: APScheduler ticks, start-up recovery, clock moves."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import reminders
from bot.core import Core
from bot.jobs import ensure_schedule
from bot.ports import ManualClock
from scheduler.firing import FireReport, fire_due, mark_overdue_missed, next_due_at

log = logging.getLogger(__name__)

TICK_JOB = "reminders-tick"
NEXT_DUE_JOB = "reminders-next-due"
CHANGED_JOB = "reminders-changed"
# Seconds between ticks where another process may store reminders (PostgreSQL) and where only
# this one does (SQLite: it hears of each new reminder at once, so the tick only keeps the schedule ahead).
SHARED_TICK_SECONDS, ALONE_TICK_SECONDS = 30.0, 900.0


class SchedulerRunner:
    """Keeps the stored schedule ahead and fires what is due, once, on one core."""

    def __init__(self, core: Core, tick_seconds: float | None = None) -> None:
        self.core = core
        if tick_seconds is None:
            tick_seconds = ALONE_TICK_SECONDS if core.db.dialect == "sqlite" else SHARED_TICK_SECONDS
        self.tick_seconds = tick_seconds
        self.scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    @property
    def manual(self) -> bool:
        """True when time only moves when told (tests, `--clock`)."""
        return isinstance(self.core.clock, ManualClock)

    async def recover(self) -> FireReport:
        """On start: rebuild the schedule, mark long-overdue reminders missed, fire the rest once."""
        now = self.core.clock.now()
        grace = timedelta(hours=self.core.settings.reminder_grace_hours)
        async with self._lock:
            await mark_overdue_missed(self.core, now, grace)
            return await self._tick_locked(now)

    async def tick(self) -> FireReport:
        """Keep the schedule ahead and fire what is due now."""
        async with self._lock:
            return await self._tick_locked(self.core.clock.now())

    async def _tick_locked(self, now: datetime) -> FireReport:
        await self.core.run_job(lambda ctx: ensure_schedule(ctx.session, ctx.settings, now))
        report = await fire_due(self.core, now)
        await self.core.run_job(lambda ctx: ensure_schedule(ctx.session, ctx.settings, now))
        await self._plan_next_due()
        return report

    async def start(self) -> None:
        """Recover, then tick every `tick_seconds` and wake exactly when the next reminder is due."""
        await self.recover()
        self.scheduler = AsyncIOScheduler(timezone=self.core.settings.tz)
        self.scheduler.add_job(
            self._safe_tick,
            IntervalTrigger(seconds=self.tick_seconds),
            id=TICK_JOB,
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        reminders.listeners.append(self._reminders_changed)
        await self._plan_next_due()

    async def stop(self) -> None:
        if self._reminders_changed in reminders.listeners:
            reminders.listeners.remove(self._reminders_changed)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    def _reminders_changed(self) -> None:
        """A reminder was stored in this process: tick now (fire what is due, plan the next wake-up)."""
        if self.scheduler is None or self.manual:
            return
        self.scheduler.add_job(
            self._safe_tick,
            DateTrigger(run_date=self.core.clock.now()),
            id=CHANGED_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            max_instances=2,
        )

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:  # the next tick tries again; reminders stay pending in the database
            log.exception("scheduler tick failed")

    async def _plan_next_due(self) -> None:
        """A one-off job at the next due time, so a reminder is not up to a tick late.

        It is planned from inside a running wake-up: when something fell due during that run, the
        new wake-up is due at once, while the old one is still finishing. APScheduler would skip it
        as a second running instance and leave the reminder to the next interval tick (30 s);
        `max_instances=2` lets it start, and `self._lock` makes it wait for the first.
        """
        if self.scheduler is None or self.manual:
            return
        due = await next_due_at(self.core)
        if due is None:
            return
        self.scheduler.add_job(
            self._safe_tick,
            DateTrigger(run_date=max(due, self.core.clock.now())),
            id=NEXT_DUE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            max_instances=2,
        )

    async def advance_to(self, target: datetime, on_step=None) -> list[FireReport]:
        """Move a manual clock to `target`, stopping at each due time on the way to fire it."""
        clock = self.core.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("only a manual clock can be moved")
        reports = []
        while True:
            due = await next_due_at(self.core)
            if due is None or due > target:
                break
            clock.set(max(due, clock.now()))
            report = await self.tick()
            reports.append(report)
            if on_step is not None:
                await on_step(clock.now(), report)
        if target > clock.now():
            clock.set(target)
        reports.append(await self.tick())
        return reports
