"""What the dashboard hands out as files or takes in: the directory CSV, the payout, the report workbook and chart, /mydata."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.charts import chart_figures, render_chart
from bot.config import Settings
from bot.directory import DirectoryError, parse_directory, store_directory
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
        raise DirectoryError([(1, f"not UTF-8 text ({error.reason})")]) from error
    rows = parse_directory(text)
    async with db.session() as session:
        counts = await store_directory(session, rows)
        session.add(AuditEntry(at=now, actor_id=actor_id, action="directory.imported", detail={"departments": counts[0], "people": counts[1], "via": "web"}))
    return counts


async def _read(db: Database, read: Any) -> Any:
    async with db.session() as session:
        return await read(session)


async def payout_file(db: Database, settings: Settings, period_text: str, fmt: str, now: datetime, t: Translator) -> tuple[Path, str]:
    """The points payout of a period written to a temporary file, with the name to download it as."""
    if fmt not in PAYOUT_FORMATS:
        raise ValueError(fmt)
    period = parse_period(period_text, settings.tz)
    awards = load_rules(settings.points_rules_file).awards
    rows = await _read(db, lambda session: payout_rows(session, period, awards))
    name = f"points-{period.label}.{fmt}"
    path = Path(tempfile.mkdtemp(prefix="idearoom-web-")) / name
    write_points(rows, path, fmt, t, period, letterhead(settings, now, t))
    return path, name


async def report_of(db: Database, period: Period) -> MonthReport:
    return await _read(db, lambda session: month_report(session, period))


async def report_file(db: Database, settings: Settings, period: Period, now: datetime, t: Translator) -> tuple[Path, str]:
    """The month's report workbook (the same sheets as `idearoom report`), in a temporary file."""

    async def read(session: Any) -> tuple[Any, Any]:
        return await month_report(session, period), await month_details(session, period)

    report, details = await _read(db, read)
    name = f"report-{period.label}.xlsx"
    path = Path(tempfile.mkdtemp(prefix="idearoom-web-")) / name
    write_workbook(report_tables(report, details, t, settings.tz), letterhead(settings, now, t), path)
    return path, name


async def chart_png(db: Database, period: Period, t: Translator) -> bytes:
    """The /report chart of the month as PNG bytes (drawn in a thread: it takes a few hundred ms)."""
    report = await report_of(db, period)
    directory = tempfile.mkdtemp(prefix="idearoom-web-")
    path = await asyncio.to_thread(render_chart, chart_figures(report, t), directory)
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    return data


async def my_data(db: Database, person_id: int, now: datetime) -> bytes:
    """Everything the bot keeps about the person (as /mydata), as JSON; the export is audited as in chat."""
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        data = await collect(session, person)
        session.add(AuditEntry(at=now, actor_id=person_id, action="person.data_exported", subject_kind="person", subject_id=person_id, detail={"tables": sorted(data), "via": "web"}))
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
