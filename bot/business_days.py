"""Korean business-day arithmetic backed by the maintained `holidays` package."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _korean_holidays(year: int) -> frozenset[date]:
    # holidays.KR includes lunar holidays (설날, 추석) and 대체공휴일 substitute days.
    return frozenset(holidays.country_holidays("KR", years=year))


def is_holiday(d: date) -> bool:
    """True if `d` is a Korean public holiday (including substitute holidays)."""
    return d in _korean_holidays(d.year)


def is_business_day(d: date) -> bool:
    """True if `d` is a weekday that is not a Korean public holiday."""
    return d.weekday() < 5 and not is_holiday(d)


def next_business_day(d: date, include_today: bool = False) -> date:
    """The first business day after `d` (or `d` itself if `include_today` and it qualifies)."""
    candidate = d if include_today else d + _ONE_DAY
    while not is_business_day(candidate):
        candidate += _ONE_DAY
    return candidate


def previous_business_day(d: date, include_today: bool = False) -> date:
    """The last business day before `d` (or `d` itself if `include_today` and it qualifies)."""
    candidate = d if include_today else d - _ONE_DAY
    while not is_business_day(candidate):
        candidate -= _ONE_DAY
    return candidate


def add_business_days(d: date, n: int) -> date:
    """Move `n` business days from `d` (backwards if negative); n == 0 returns `d` unchanged."""
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    current = d
    for _ in range(abs(n)):
        current += step
        while not is_business_day(current):
            current += step
    return current


def first_business_day_of_month(year: int, month: int) -> date:
    """The first business day of the given month."""
    return next_business_day(date(year, month, 1), include_today=True)


def end_of_month(d: date) -> date:
    """The last calendar day of the month containing `d`."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def local_datetime_to_utc(d: date, hh: int, mm: int, tz: ZoneInfo = SEOUL) -> datetime:
    """Aware UTC datetime for wall-clock `hh:mm` on `d` in `tz`."""
    return datetime.combine(d, time(hh, mm), tzinfo=tz).astimezone(UTC)
