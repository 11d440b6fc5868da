"""The points export the office pays rewards from: one row per person for a period, as CSV or xlsx."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.points.periods import Period
from storage.tables import Department, Person, PointEntry

if TYPE_CHECKING:
    from bot.config import Settings

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class PointsRow:
    """One person's points in the period."""

    name: str
    handle: str
    department: str
    points: int
    entries: int


async def points_rows(session: AsyncSession, period: Period) -> list[PointsRow]:
    """Everyone with entries in the period, most points first."""
    total = func.sum(PointEntry.points)
    rows = (
        await session.exec(
            select(Person.name, Person.handle, Department.name, total, func.count(PointEntry.id))  # type: ignore[arg-type]
            .join(PointEntry, PointEntry.person_id == Person.id)  # type: ignore[arg-type]
            .join(Department, Department.id == Person.department_id, isouter=True)  # type: ignore[arg-type]
            .where(sa.and_(PointEntry.created_at >= period.start, PointEntry.created_at < period.end))
            .group_by(Person.id, Person.name, Person.handle, Department.name)
            .order_by(total.desc(), Person.name)
        )
    ).all()
    return [PointsRow(name, handle or "", department or "", int(points), int(entries)) for name, handle, department, points, entries in rows]


def headers(t: Translator) -> list[str]:
    return [t("points.export.name"), t("points.export.handle"), t("points.export.department"), t("points.export.points"), t("points.export.entries")]


def write_points(rows: list[PointsRow], path: str | Path, fmt: str, t: Translator, period: Period) -> Path:
    """Write the rows; CSV is UTF-8 with a BOM so Excel shows Korean names correctly."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    values = [[r.name, r.handle, r.department, r.points, r.entries] for r in rows]
    if fmt == "csv":
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers(t))
            writer.writerows(values)
        return target
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = period.label
    sheet.append(headers(t))
    for row in values:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    workbook.save(target)
    return target


async def export_points_file(settings: "Settings", period_text: str, fmt: str, output: str | None) -> tuple[Path, int]:
    """Run the export against the configured database; returns the file written and its row count."""
    from bot.points.periods import parse_period
    from storage.db import Database

    period = parse_period(period_text, settings.tz)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            rows = await points_rows(session, period)
    finally:
        await db.dispose()
    path = write_points(rows, output or f"points-{period.label}.{fmt}", fmt, Translator(settings.locale), period)
    return path, len(rows)
