"""Dates, quarters and months as the office writes them in 공문."""

from __future__ import annotations

from datetime import date, datetime

from bot.dates import official_date, official_datetime, official_period, official_quarter


def test_dates_as_official_documents_write_them() -> None:
    assert official_date(date(2026, 6, 15)) == "2026. 6. 15.(월)"
    assert official_date(date(2026, 12, 31)) == "2026. 12. 31.(목)"
    assert official_datetime(datetime(2026, 3, 20, 14, 0)) == "2026. 3. 20.(금) 14:00"
    assert official_date(date(2026, 6, 15), "en") == "2026-06-15 (Mon)"


def test_quarters_months_and_years() -> None:
    assert official_quarter(2026, 2) == "2026년 2분기"
    assert official_period("2026-Q2") == "2026년 2분기"
    assert official_period("2026-03") == "2026년 3월"
    assert official_period("2026") == "2026년"
    assert official_period("2026-Q2", "en") == "Q2 2026"
