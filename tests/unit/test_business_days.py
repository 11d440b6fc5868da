"""Tests for Korean business-day arithmetic."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.business_days import (
    SEOUL,
    add_business_days,
    end_of_month,
    first_business_day_of_month,
    is_business_day,
    is_holiday,
    local_datetime_to_utc,
    next_business_day,
    previous_business_day,
)


def test_ordinary_weekday_is_business_day() -> None:
    assert is_business_day(date(2026, 1, 7))  # Wednesday


@pytest.mark.parametrize("d", [date(2026, 1, 3), date(2026, 1, 4)])  # Sat, Sun
def test_weekends_are_not_business_days(d: date) -> None:
    assert not is_holiday(d)
    assert not is_business_day(d)


def test_new_years_day_2026_is_skipped() -> None:
    assert not is_business_day(date(2026, 1, 1))
    assert first_business_day_of_month(2026, 1) == date(2026, 1, 2)


def test_first_business_day_of_month_skips_weekend() -> None:
    # 2026-08-01 is a Saturday.
    assert first_business_day_of_month(2026, 8) == date(2026, 8, 3)
    assert first_business_day_of_month(2026, 4) == date(2026, 4, 1)


def test_seollal_2026_is_skipped() -> None:
    for day in (16, 17, 18):
        assert not is_business_day(date(2026, 2, day))
    assert next_business_day(date(2026, 2, 13)) == date(2026, 2, 19)  # Fri -> Thu


def test_samiljeol_on_sunday_gets_substitute_monday() -> None:
    # 삼일절 2026-03-01 is a Sunday; 대체공휴일 applies to it since 2021.
    assert date(2026, 3, 1).weekday() == 6
    assert is_holiday(date(2026, 3, 1))
    assert is_holiday(date(2026, 3, 2))
    assert first_business_day_of_month(2026, 3) == date(2026, 3, 3)


def test_chuseok_2026_is_skipped() -> None:
    for day in (24, 25, 26):
        assert is_holiday(date(2026, 9, day))
    # Wed 23rd -> Thu-Sat 추석, Sun 27th -> Mon 28th.
    assert next_business_day(date(2026, 9, 23)) == date(2026, 9, 28)
    assert add_business_days(date(2026, 9, 23), 1) == date(2026, 9, 28)


def test_next_business_day_include_today() -> None:
    monday = date(2026, 1, 5)
    assert next_business_day(monday, include_today=True) == monday
    assert next_business_day(monday) == date(2026, 1, 6)
    assert next_business_day(date(2026, 1, 3), include_today=True) == monday


def test_previous_business_day() -> None:
    assert previous_business_day(date(2026, 3, 3)) == date(2026, 2, 27)


def test_add_business_days_forward_and_backward() -> None:
    friday = date(2026, 1, 9)
    assert add_business_days(friday, 0) == friday
    assert add_business_days(friday, 1) == date(2026, 1, 12)
    assert add_business_days(friday, 5) == date(2026, 1, 16)
    assert add_business_days(date(2026, 1, 12), -1) == friday
    # Back over 신정: Mon 5th -> Fri 2nd -> Wed Dec 31st.
    assert add_business_days(date(2026, 1, 5), -2) == date(2025, 12, 31)


def test_add_business_days_from_a_holiday() -> None:
    # Starting on a holiday, one business day ahead is the next business day.
    assert add_business_days(date(2026, 1, 1), 1) == date(2026, 1, 2)


def test_add_business_days_round_trip_over_seollal() -> None:
    start = date(2026, 2, 12)
    forward = add_business_days(start, 3)
    assert forward == date(2026, 2, 20)
    assert add_business_days(forward, -3) == start


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 10), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_end_of_month(d: date, expected: date) -> None:
    assert end_of_month(d) == expected


def test_seoul_nine_am_is_midnight_utc() -> None:
    result = local_datetime_to_utc(date(2026, 3, 3), 9, 0)
    assert result == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


def test_seoul_early_morning_is_previous_day_utc() -> None:
    assert local_datetime_to_utc(date(2026, 3, 3), 8, 30, SEOUL) == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def test_other_timezone_respects_dst() -> None:
    new_york = ZoneInfo("America/New_York")
    assert local_datetime_to_utc(date(2026, 7, 1), 9, 0, new_york) == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert local_datetime_to_utc(date(2026, 1, 5), 9, 0, new_york) == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
