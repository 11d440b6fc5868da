"""Built-in periodic jobs, stored as Reminder rows with deterministic keys so nothing doubles."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.office_hours import OfficeHours
from bot.periods import CommitteeTimes, Quarter, committee_times, monthly_topic_due, next_month
from bot.reminders import schedule
from bot.schedules import ScheduleError, next_occurrence, parse_schedule
from storage.tables import RecurringReminder, Reminder, ReminderState

MONTHLY_TOPIC = "monthly_topic"
COMMITTEE_AGENDA = "committee.agenda"
COMMITTEE_TALLY = "committee.tally"
COMMITTEE_NUDGE = "committee.nudge"
RECURRING = "recurring"


async def schedule_monthly_topic(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Store the next monthly topic reminder strictly after `now`."""
    local = now.astimezone(settings.tz)
    year, month = local.year, local.month
    while (due := monthly_topic_due(year, month, settings.tz)) <= now:
        year, month = next_month(year, month)
    await schedule(
        session,
        kind=MONTHLY_TOPIC,
        due_at=due,
        audience="organizers",
        dedupe_key=f"{MONTHLY_TOPIC}:{year:04d}-{month:02d}",
        payload={"month": f"{year:04d}-{month:02d}"},
        now=now,
    )


def meeting_times(settings: Settings, quarter: Quarter) -> CommitteeTimes:
    return committee_times(
        quarter, settings.committee_meeting_day, settings.committee_meeting_month_of_quarter, settings.tz
    )


def coming_quarter(settings: Settings, now: datetime) -> Quarter:
    """The quarter whose committee has not been tallied yet at `now`."""
    quarter = Quarter.of(now.astimezone(settings.tz).date())
    while meeting_times(settings, quarter).tally_at <= now:
        quarter = quarter.next()
    return quarter


async def schedule_committee(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Store the agenda and the tally of the coming committee meeting."""
    times = meeting_times(settings, coming_quarter(settings, now))
    label = times.quarter.label
    steps = (
        (COMMITTEE_AGENDA, times.agenda_at, "agenda"),
        (COMMITTEE_NUDGE, times.nudge_at, "nudge"),
        (COMMITTEE_TALLY, times.tally_at, "tally"),
    )
    for kind, due, step in steps:
        await schedule(
            session,
            kind=kind,
            due_at=due,
            audience="committee",
            dedupe_key=f"committee:{label}:{step}",
            payload={"quarter": label},
            now=now,
        )


async def schedule_recurring(
    session: AsyncSession, recurring: RecurringReminder, settings: Settings, after: datetime
) -> datetime | None:
    """Store the next occurrence of a custom recurring reminder after `after`."""
    try:
        trigger = parse_schedule(recurring.schedule, settings.tz)
    except ScheduleError:
        return None
    due = next_occurrence(trigger, after)
    if due is None:
        return None
    if not recurring.anytime:
        # Held to the next opening at once, so /remind list shows when it really goes out.
        due = OfficeHours.of(settings).next_open(due)
    await schedule(
        session,
        kind=RECURRING,
        due_at=due,
        audience=recurring.audience,
        dedupe_key=f"recurring:{recurring.id}:{due.isoformat()}",
        payload={"recurring_id": recurring.id, "anytime": recurring.anytime},
        now=after,
    )
    # `schedule` cannot set the link column; the row is found again by its key.
    row = (
        await session.exec(select(Reminder).where(Reminder.dedupe_key == f"recurring:{recurring.id}:{due.isoformat()}"))
    ).one()
    if row.recurring_id is None:
        row.recurring_id = recurring.id
        session.add(row)
    return due


async def ensure_recurring(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Every active recurring reminder has its next occurrence stored."""
    active = (await session.exec(select(RecurringReminder).where(RecurringReminder.active == True))).all()  # noqa: E712
    for recurring in active:
        pending = (
            await session.exec(
                select(Reminder.id).where(
                    Reminder.recurring_id == recurring.id, Reminder.state == ReminderState.pending
                )
            )
        ).first()
        if pending is None:
            await schedule_recurring(session, recurring, settings, now)


async def ensure_schedule(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Rebuild what must be ahead: next monthly topic, next committee, next custom occurrences."""
    await schedule_monthly_topic(session, settings, now)
    await schedule_committee(session, settings, now)
    await ensure_recurring(session, settings, now)
    from bot.retention import schedule_retention  # the retention settings' own module

    await schedule_retention(session, settings, now)
