"""The topic's rules: how long a title may be, when a picked topic closes and when the room is warned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.business_days import end_of_month, previous_business_day

TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 1000
CLOSING_SOON = timedelta(days=3)


def closing_day(today: date, until: date | None) -> date:
    """The day a picked topic closes: the one named, else the end of the month."""
    return until or end_of_month(today)


def closing_instant(day: date, tz: ZoneInfo) -> datetime:
    """The last second of `day` in the office's time zone, as aware UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def warning_day(closing: date) -> date:
    """The last business day at least three days before the closing day: the room is reminded then."""
    return previous_business_day(closing - CLOSING_SOON, include_today=True)
