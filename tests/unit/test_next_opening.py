"""Office hours: when a message the bot sends on its own may go out, and their settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.office_hours import OfficeHours
from tests.harness import test_settings

SEOUL = ZoneInfo("Asia/Seoul")
HOURS = OfficeHours(SEOUL)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("due", "goes_out"),
    [
        ("2026-04-08T10:00", "2026-04-08T10:00"),  # Wednesday, open: at once
        ("2026-04-08T18:00", "2026-04-08T18:00"),  # the closing minute still counts
        ("2026-04-08T07:30", "2026-04-08T09:00"),  # before opening: that morning
        ("2026-04-10T18:30", "2026-04-13T09:00"),  # Friday evening: Monday
        ("2026-04-11T10:00", "2026-04-13T09:00"),  # Saturday: Monday
        ("2026-02-13T19:00", "2026-02-19T09:00"),  # Friday before 설날 (16-18 Feb): Thursday
        ("2026-10-02T20:00", "2026-10-06T09:00"),  # 개천절 on Saturday, its substitute Monday 5 Oct
    ],
)
def test_a_message_due_outside_office_hours_waits_for_the_next_opening(due: str, goes_out: str) -> None:
    assert HOURS.next_open(at(due)) == at(goes_out)


def test_office_hours_are_settings_and_bad_ones_are_refused(sqlite_url: str) -> None:
    settings = test_settings(sqlite_url, IDEAROOM_OFFICE_OPENS="8:30", IDEAROOM_OFFICE_CLOSES="17:30")
    assert (settings.office_opens, settings.office_closes) == ("08:30", "17:30")
    assert OfficeHours.of(settings).next_open(at("2026-04-08T17:45")) == at("2026-04-09T08:30")
    for bad in (
        {"IDEAROOM_OFFICE_OPENS": "25:00"},
        {"IDEAROOM_OFFICE_CLOSES": "six"},
        {"IDEAROOM_OFFICE_OPENS": "19:00"},
    ):
        with pytest.raises(ValidationError):
            test_settings(sqlite_url, **bad)
    with pytest.raises(ValidationError):
        test_settings(sqlite_url, IDEAROOM_COMMITTEE_QUORUM="half")
    assert test_settings(sqlite_url, IDEAROOM_COMMITTEE_QUORUM="3").committee_quorum == "3"
