"""Parses the schedules organizers type: 5-field cron, or weekday/daily forms like `월 09:00`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 = Sunday

WEEKDAYS = {
    "월": "mon",
    "화": "tue",
    "수": "wed",
    "목": "thu",
    "금": "fri",
    "토": "sat",
    "일": "sun",
    "mon": "mon",
    "tue": "tue",
    "wed": "wed",
    "thu": "thu",
    "fri": "fri",
    "sat": "sat",
    "sun": "sun",
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
EVERY_DAY = {"매일": "*", "daily": "*", "everyday": "*", "평일": "mon-fri", "weekdays": "mon-fri", "주말": "sat,sun"}
FILLER = {"매주", "every", "weekly", "마다"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    """The text is neither a cron expression nor a weekday/daily time."""


def parse_schedule(text: str, tz: ZoneInfo) -> CronTrigger:
    """A trigger for `0 9 * * 1`, `월 09:00`, `mon 09:00`, `매주 금 17:30`, `매일 09:00` or `평일 08:30`."""
    words = text.strip().lower().split()
    if len(words) == 5:
        return _crontab(words, tz)
    words = [w for w in words if w not in FILLER]
    if len(words) != 2:
        raise ScheduleError(text)
    day, time = words
    match = _TIME.match(time)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(text)
    days = EVERY_DAY.get(day) or _weekdays(day)
    return CronTrigger(day_of_week=days, hour=int(match.group(1)), minute=int(match.group(2)), timezone=tz)


def _weekdays(word: str) -> str:
    """`월`, `월요일`, `mon`, `월,수,금` or `mon,wed` as APScheduler day names."""
    names = []
    for part in word.split(","):
        part = part.removesuffix("요일")
        if part not in WEEKDAYS:
            raise ScheduleError(word)
        names.append(WEEKDAYS[part])
    return ",".join(names)


def _crontab(fields: list[str], tz: ZoneInfo) -> CronTrigger:
    """Standard crontab, with its Sunday-is-0 weekday numbers (APScheduler 3 counts from Monday)."""
    minute, hour, day, month, day_of_week = fields
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_weekdays(day_of_week), timezone=tz
        )
    except ValueError as error:
        raise ScheduleError(" ".join(fields)) from error


def _cron_weekdays(field: str) -> str:
    if field == "*" or not re.search(r"\d", field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        spec, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            a, _, b = spec.partition("-")
            if not (a.isdigit() and b.isdigit()):
                raise ScheduleError(field)
            first, last = int(a), int(b)
        elif spec.isdigit():
            first = last = int(spec)
        else:
            raise ScheduleError(field)
        if first > last or last > 7:
            raise ScheduleError(field)
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(CRON_DAY_NAMES[d] for d in sorted(days))


def next_occurrence(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The first time the trigger fires strictly after `after`, in UTC."""
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return fire.astimezone(ZoneInfo("UTC")) if fire else None
