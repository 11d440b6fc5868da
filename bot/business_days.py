"""Korean business-day arithmetic backed by the maintained `holidays` package."""

from __future__ import annotations

import calendar
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")

_ONE_DAY = timedelta(days=1)
# One look-up covers the year before and these years after the one asked for.
_YEARS_AHEAD = 3
_CHILD_SECONDS = 60

log = logging.getLogger(__name__)
_years: dict[int, frozenset[date]] = {}
_looking_up = threading.Lock()


def _korean_holidays(year: int) -> frozenset[date]:
    found = _years.get(year)
    if found is None:
        with _looking_up:
            found = _years.get(year)
            if found is None:
                _years.update(_looked_up(range(year - 1, year + _YEARS_AHEAD + 1)))
                found = _years[year]
    return found


def _from_the_package(years: Iterable[int]) -> dict[int, frozenset[date]]:
    import holidays

    # holidays.KR includes lunar holidays (설날, 추석) and 대체공휴일 substitute days.
    return {year: frozenset(holidays.country_holidays("KR", years=year)) for year in years}


def _looked_up(years: range) -> dict[int, frozenset[date]]:
    """The `holidays` package's Korean holidays of `years`, worked out in a short child process.

    Asking the package for one country imports every country's calendar (11 MiB that the bot
    would keep resident for good, and a third of a second of its start); the child's answer is a
    few dates a year. Where no child can be run, the package is imported here after all.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (root, env.get("PYTHONPATH"))))
    command = [sys.executable, "-m", "bot.business_days", *map(str, years)]
    try:
        answer = subprocess.run(command, capture_output=True, check=True, timeout=_CHILD_SECONDS, env=env)
        days = json.loads(answer.stdout)
        return {int(year): frozenset(map(date.fromisoformat, listed)) for year, listed in days.items()}
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        log.warning("looking up the holidays in a child process failed (%s); importing them here", error)
        return _from_the_package(years)


def look_up_in_background(year: int) -> None:
    """Start looking up `year`'s holidays now, in a thread, so the first business-day sum finds them."""
    threading.Thread(target=_korean_holidays, args=(year,), name="holidays", daemon=True).start()


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


if __name__ == "__main__":
    found = _from_the_package(int(year) for year in sys.argv[1:])
    json.dump({year: sorted(day.isoformat() for day in days) for year, days in found.items()}, sys.stdout)
