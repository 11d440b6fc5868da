"""What the dashboard hands out as files or takes in: the directory CSV, the payout, the report workbook and chart, /mydata."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.charts import chart_figures, render_chart
from bot.config import Settings
from bot.directory import DirectoryError, Problem, parse_directory, store_directory
from bot.exports import payout_rows, write_points
from bot.i18n import Translator
from bot.personal_data import collect
from bot.points.periods import Period, parse_period
from bot.points.rules import load_rules
from bot.report_details import month_details
from bot.report_workbook import report_tables
from bot.reports import MonthReport, month_report
from bot.sheets import letterhead, write_workbook
from storage.db import Database
from storage.tables import AuditEntry, Person

PAYOUT_FORMATS = ("xlsx", "csv")


def month_of(text: str, settings: Settings) -> Period:
    """A `YYYY-MM` month, or ValueError."""
    period = parse_period(text, settings.tz)
    if "-" not in period.label or "Q" in period.label:
        raise ValueError(text)
    return period


async def import_directory_upload(db: Database, data: bytes, actor_id: int, now: datetime) -> tuple[int, int]:
    """Check the whole file, then store it in one transaction; a DirectoryError with line numbers stores nothing."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DirectoryError([Problem(1, "directory.not_utf8")]) from error
    rows = parse_directory(text)
    async with db.session() as session:
        counts = await store_directory(session, rows)
        session.add(
            AuditEntry(
                at=now,
                actor_id=actor_id,
                action="directory.imported",
                detail={"departments": counts[0], "people": counts[1], "via": "web"},
            )
        )
    return counts


async def _read(db: Database, read: Any) -> Any:
    async with db.session() as session:
        return await read(session)


def _written(name: str, write: Callable[[Path], Any]) -> bytes:
    """What `write` puts in a file of that name, read back; the temporary directory goes with it."""
    with tempfile.TemporaryDirectory(prefix="idearoom-web-") as directory:
        path = Path(directory) / name
        write(path)
        return path.read_bytes()


async def payout_file(
    db: Database, settings: Settings, period_text: str, fmt: str, now: datetime, t: Translator
) -> tuple[bytes, str]:
    """The points payout of a period as a file's bytes, with the name to download it as.

    Written in a thread, as every file here: a large month would otherwise pause the whole bot."""
    if fmt not in PAYOUT_FORMATS:
        raise ValueError(fmt)
    period = parse_period(period_text, settings.tz)
    awards = load_rules(settings.points_rules_file).awards
    rows = await _read(db, lambda session: payout_rows(session, period, awards))
    name = f"points-{period.label}.{fmt}"
    head = letterhead(settings, now, t)
    data = await asyncio.to_thread(_written, name, lambda path: write_points(rows, path, fmt, t, period, head))
    return data, name


async def report_of(db: Database, period: Period) -> MonthReport:
    return await _read(db, lambda session: month_report(session, period))


async def report_file(
    db: Database, settings: Settings, period: Period, now: datetime, t: Translator
) -> tuple[bytes, str]:
    """The month's report workbook (the same sheets as `idearoom report`), as bytes to download."""

    async def read(session: Any) -> tuple[Any, Any]:
        return await month_report(session, period), await month_details(session, period)

    report, details = await _read(db, read)
    name = f"report-{period.label}.xlsx"
    tables, head = report_tables(report, details, t, settings.tz), letterhead(settings, now, t)
    data = await asyncio.to_thread(_written, name, lambda path: write_workbook(tables, head, path))
    return data, name


async def chart_png(db: Database, period: Period, t: Translator) -> bytes:
    """The /report chart of the month as PNG bytes (drawn in a thread: it takes a few hundred ms)."""
    report = await report_of(db, period)
    figures = chart_figures(report, t)

    def drawn() -> bytes:
        with tempfile.TemporaryDirectory(prefix="idearoom-web-") as directory:
            return render_chart(figures, directory).read_bytes()

    return await asyncio.to_thread(drawn)


async def my_data(db: Database, person_id: int, now: datetime) -> bytes:
    """Everything the bot keeps about the person (as /mydata), as JSON; the export is audited as in chat."""
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        data = await collect(session, person)
        session.add(
            AuditEntry(
                at=now,
                actor_id=person_id,
                action="person.data_exported",
                subject_kind="person",
                subject_id=person_id,
                detail={"tables": sorted(data), "via": "web"},
            )
        )
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
