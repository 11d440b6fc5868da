"""Calendar periods (month, quarter, year) in the office's time zone, as UTC bounds for queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and how people write it (2026-11, 2026-Q4, 2026)."""

    label: str
    start: datetime
    end: datetime


def _local(year: int, month: int, tz: ZoneInfo) -> datetime:
    return datetime(year, month, 1, tzinfo=tz).astimezone(UTC)


def _span(year: int, first_month: int, months: int, label: str, tz: ZoneInfo) -> Period:
    end_month = first_month + months
    end = _local(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, tz)
    return Period(label, _local(year, first_month, tz), end)


def month(year: int, number: int, tz: ZoneInfo) -> Period:
    return _span(year, number, 1, f"{year}-{number:02d}", tz)


def quarter(year: int, number: int, tz: ZoneInfo) -> Period:
    return _span(year, 3 * (number - 1) + 1, 3, f"{year}-Q{number}", tz)


def year(number: int, tz: ZoneInfo) -> Period:
    return _span(number, 1, 12, f"{number}", tz)


def parse_period(text: str, tz: ZoneInfo) -> Period:
    """`2026-11`, `2026-Q4` or `2026`; ValueError for anything else."""
    match = _PERIOD.match(text.strip())
    if not match or not 2000 <= int(match["year"]) <= 2999:
        raise ValueError(f"not a period: {text!r} (expected e.g. 2026-11, 2026-Q4 or 2026)")
    number = int(match["year"])
    if match["month"]:
        if not 1 <= int(match["month"]) <= 12:
            raise ValueError(f"not a month: {text!r}")
        return month(number, int(match["month"]), tz)
    if match["quarter"]:
        return quarter(number, int(match["quarter"]), tz)
    return year(number, tz)


def current(kind: str, now: datetime, tz: ZoneInfo) -> Period:
    """The month, quarter or year that `now` falls in, in the office's time zone."""
    local = now.astimezone(tz)
    if kind == "year":
        return year(local.year, tz)
    if kind == "quarter":
        return quarter(local.year, (local.month - 1) // 3 + 1, tz)
    return month(local.year, local.month, tz)


def local_day(now: datetime, tz: ZoneInfo) -> Period:
    """The office-time-zone day that `now` falls in."""
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    end = start + timedelta(days=1)
    return Period(start.date().isoformat(), start.astimezone(UTC), end.astimezone(UTC))
