"""When the built-in jobs fall due: the monthly topic reminder and the quarterly committee."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.business_days import (
    first_business_day_of_month,
    local_datetime_to_utc,
    next_business_day,
    previous_business_day,
)

MONTHLY_TOPIC_AT = (9, 0)
AGENDA_AT = (9, 0)
MEETING_AT = (10, 0)
TALLY_AT = (18, 0)  # votes may change until the end of meeting day


def monthly_topic_due(year: int, month: int, tz: ZoneInfo) -> datetime:
    """09:00 local on the first business day of the month, in UTC."""
    return local_datetime_to_utc(first_business_day_of_month(year, month), *MONTHLY_TOPIC_AT, tz=tz)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class Quarter:
    """One quarter of a year, e.g. 2026-Q2, and when its committee meets."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, label: str) -> Quarter:
        year, _, number = label.partition("-Q")
        return cls(int(year), int(number))

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def meeting_day(self, day_of_month: int, month_of_quarter: int) -> date:
        """That day of that month of the quarter, moved to the next business day if needed."""
        month = (self.number - 1) * 3 + min(max(month_of_quarter, 1), 3)
        last = calendar.monthrange(self.year, month)[1]
        return next_business_day(date(self.year, month, min(max(day_of_month, 1), last)), include_today=True)


@dataclass(frozen=True)
class CommitteeTimes:
    """The agenda (a week before, on a business day), the nudge to members who have not voted
    (the business day before the meeting), the meeting and the tally, in UTC."""

    quarter: Quarter
    agenda_at: datetime
    meets_at: datetime
    tally_at: datetime
    nudge_at: datetime


def committee_times(quarter: Quarter, day_of_month: int, month_of_quarter: int, tz: ZoneInfo) -> CommitteeTimes:
    meeting = quarter.meeting_day(day_of_month, month_of_quarter)
    agenda = previous_business_day(date.fromordinal(meeting.toordinal() - 7), include_today=True)
    return CommitteeTimes(
        quarter,
        local_datetime_to_utc(agenda, *AGENDA_AT, tz=tz),
        local_datetime_to_utc(meeting, *MEETING_AT, tz=tz),
        local_datetime_to_utc(meeting, *TALLY_AT, tz=tz),
        local_datetime_to_utc(previous_business_day(meeting), *AGENDA_AT, tz=tz),
    )
