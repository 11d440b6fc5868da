"""Schedules organizers type, and when the built-in jobs fall due (Korean business days)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.periods import Quarter, committee_times, monthly_topic_due
from bot.schedules import ScheduleError, next_occurrence, parse_schedule
from scheduler.clock import parse_target
from tests.scheduler.clocked import SEOUL, seoul

NOW = seoul("2026-03-31T09:00")  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 9 * * 1", "2026-04-06T09:00"),  # crontab: 1 = Monday
        ("0 9 * * 0", "2026-04-05T09:00"),  # crontab: 0 = Sunday (APScheduler 3 alone would say Monday)
        ("30 17 * * 1-5", "2026-03-31T17:30"),
        ("월 09:00", "2026-04-06T09:00"),
        ("월요일 09:00", "2026-04-06T09:00"),
        ("mon 09:00", "2026-04-06T09:00"),
        ("매주 금 17:30", "2026-04-03T17:30"),
        ("every fri 17:30", "2026-04-03T17:30"),
        ("매일 09:00", "2026-04-01T09:00"),
        ("daily 8:30", "2026-04-01T08:30"),
        ("평일 18:00", "2026-03-31T18:00"),
        ("월,수 10:00", "2026-04-01T10:00"),
    ],
)
def test_schedules_people_type(text: str, expected: str) -> None:
    assert next_occurrence(parse_schedule(text, SEOUL), NOW) == seoul(expected)


@pytest.mark.parametrize(
    "text", ["", "월", "09:00", "월 25:00", "월 9시", "뭐 09:00", "0 9 * *", "0 9 * * 8", "61 9 * * *"]
)
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text, SEOUL)


def test_monthly_topic_is_on_the_first_business_day_at_nine() -> None:
    assert monthly_topic_due(2026, 4, SEOUL) == seoul("2026-04-01T09:00")
    assert monthly_topic_due(2026, 5, SEOUL) == seoul("2026-05-04T09:00")  # 5/1 holiday, then a weekend
    assert monthly_topic_due(2026, 3, SEOUL) == seoul("2026-03-03T09:00")  # 3/1 Sunday, 3/2 substitute holiday


def test_committee_meets_on_the_configured_day_moved_to_a_business_day() -> None:
    q1 = committee_times(Quarter(2026, 1), 15, 3, SEOUL)
    assert q1.meets_at.astimezone(SEOUL).date() == date(2026, 3, 16)  # 3/15 is a Sunday
    assert q1.agenda_at == seoul("2026-03-09T09:00")
    q2 = committee_times(Quarter(2026, 2), 15, 3, SEOUL)
    assert (q2.agenda_at, q2.tally_at) == (seoul("2026-06-08T09:00"), seoul("2026-06-15T18:00"))
    assert committee_times(Quarter(2026, 4), 31, 2, SEOUL).meets_at.astimezone(SEOUL).date() == date(2026, 11, 30)
    assert Quarter.parse("2026-Q4").next() == Quarter(2027, 1)


def test_clock_targets() -> None:
    assert parse_target("+3d", NOW, SEOUL) == seoul("2026-04-03T09:00")
    assert parse_target("+2h", NOW, SEOUL) == seoul("2026-03-31T11:00")
    assert parse_target("+1w", NOW, SEOUL) == seoul("2026-04-07T09:00")
    assert parse_target("2026-04-01T09:00", NOW, SEOUL) == seoul("2026-04-01T09:00")
    with pytest.raises(ValueError):
        parse_target("tomorrow", NOW, SEOUL)
