"""Office hours on business days: when something the bot sends on its own may go out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.business_days import is_business_day, next_business_day

if TYPE_CHECKING:
    from bot.config import Settings


def _clock(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


class OfficeHours:
    """Business days (Korean holidays included) from `opens` to `closes`, in the office's zone."""

    def __init__(self, tz: ZoneInfo, opens: str = "09:00", closes: str = "18:00") -> None:
        self.tz = tz
        self.opens = _clock(opens)
        self.closes = _clock(closes)

    @classmethod
    def of(cls, settings: Settings) -> OfficeHours:
        return cls(settings.tz, settings.office_opens, settings.office_closes)

    def is_open(self, when: datetime) -> bool:
        local = when.astimezone(self.tz)
        return is_business_day(local.date()) and self.opens <= local.time().replace(tzinfo=None) <= self.closes

    def opening(self, day: date) -> datetime:
        """The opening time of a day, in UTC."""
        return datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(UTC)

    def next_open(self, when: datetime) -> datetime:
        """`when` itself during office hours, else the next opening after it."""
        if self.is_open(when):
            return when
        local = when.astimezone(self.tz)
        day = local.date()
        if is_business_day(day) and local.time().replace(tzinfo=None) < self.opens:
            return self.opening(day)
        return self.opening(next_business_day(day))


def due_day(start: datetime, days: int, tz: ZoneInfo) -> date:
    """`days` calendar days after `start` (local), moved to the next business day if it is none."""
    return next_business_day((start.astimezone(tz) + timedelta(days=days)).date(), include_today=True)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last minute of a local day, in UTC: a deadline on that day ends then."""
    return datetime.combine(day, time(23, 59), tzinfo=tz).astimezone(UTC)


def day_after(day: date, tz: ZoneInfo) -> datetime:
    """Midnight after a local day, in UTC: the first moment the day has ended."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(UTC)
