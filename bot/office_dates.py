"""Dates and periods as the office writes them (2026. 4. 1., 2026년 1분기); bot/text.py may take these over."""

from __future__ import annotations

from datetime import date

from bot.i18n import Translator


def gongmun_date(day: date) -> str:
    """A date as 공문 write it: 2026. 4. 1."""
    return f"{day.year}. {day.month}. {day.day}."


def period_text(label: str, t: Translator) -> str:
    """A period label (2026-03, 2026-Q1, 2026) as the office writes it: 2026년 3월, 2026년 1분기, 2026년."""
    year, _, rest = label.partition("-")
    if not rest:
        return t("period.year", year=year)
    if rest.upper().startswith("Q"):
        return t("period.quarter", year=year, quarter=rest[1:])
    return t("period.month", year=year, month=int(rest))
