"""Dates, times and quarters as the office writes them in 공문: "2026. 6. 15.(월) 14:00", "2026년 2분기"."""

from __future__ import annotations

from datetime import date, datetime

_KO_WEEKDAYS = "월화수목금토일"
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def official_date(day: date, locale: str = "ko") -> str:
    """'2026. 6. 15.(월)' in Korean, '2026-06-15 (Mon)' in English."""
    if locale == "ko":
        return f"{day.year}. {day.month}. {day.day}.({_KO_WEEKDAYS[day.weekday()]})"
    return f"{day.isoformat()} ({_EN_WEEKDAYS[day.weekday()]})"


def official_day(day: date, locale: str = "ko") -> str:
    """The day within the year, for lists: '6. 15.(월)' in Korean, '06-15 (Mon)' in English."""
    if locale == "ko":
        return f"{day.month}. {day.day}.({_KO_WEEKDAYS[day.weekday()]})"
    return f"{day:%m-%d} ({_EN_WEEKDAYS[day.weekday()]})"


def official_datetime(moment: datetime, locale: str = "ko") -> str:
    """'2026. 6. 15.(월) 14:00': the date as above and the 24-hour time (already local)."""
    return f"{official_date(moment.date(), locale)} {moment:%H:%M}"


def official_quarter(year: int, quarter: int, locale: str = "ko") -> str:
    """'2026년 2분기' in Korean, 'Q2 2026' in English."""
    return f"{year}년 {quarter}분기" if locale == "ko" else f"Q{quarter} {year}"


def official_period(label: str, locale: str = "ko") -> str:
    """A stored period label ('2026-Q2', '2026-03', '2026') as the office writes it."""
    year, _, rest = label.partition("-")
    if not year.isdigit():
        return label
    if rest.startswith("Q") and rest[1:].isdigit():
        return official_quarter(int(year), int(rest[1:]), locale)
    if rest.isdigit():
        return official_month(int(year), int(rest), locale)
    return f"{year}년" if locale == "ko" and not rest else label


def official_month(year: int, month: int, locale: str = "ko") -> str:
    """'2026년 3월' in Korean, '2026-03' in English."""
    return f"{year}년 {month}월" if locale == "ko" else f"{year}-{month:02d}"
