"""The points payout the office pays rewards from: per person the 직급, points per stage, total and grade, as CSV or xlsx."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.awards import AwardRules
from bot.dates import official_period
from bot.i18n import Translator
from bot.points.periods import Period
from bot.sheets import Column, Letterhead, Table, letterhead, write_workbook
from storage.tables import Department, Person, PointEntry, id_of

if TYPE_CHECKING:
    from bot.config import Settings

FORMATS = ("csv", "xlsx")
# The payout's stage columns and the ledger stages each one adds up (a reversal keeps its stage, so it nets out).
STAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "proposal": ("idea_posted", "idea_supported_threshold", "proposal_created", "proposal_submitted"),
    "adopted": ("proposal_adopted",),
    "implemented": ("proposal_implemented_proposers", "proposal_implemented_implementer"),
    "revived": ("proposal_revived",),
    "invitation": ("invitation_accepted",),
    "field_visit": ("field_visit_held",),
    "manual": ("manual",),
}
COLUMN_OF = {stage: column for column, stages in STAGE_COLUMNS.items() for stage in stages}
OTHER = "other"  # a stage added later than this table: still paid, shown in a column of its own


@dataclass(frozen=True)
class PayoutRow:
    """One person's points in the period, by stage column, with the grade their total earns."""

    place: int
    name: str
    rank: str
    department: str
    handle: str
    by_column: dict[str, int]
    total: int
    grade: str | None


async def payout_rows(session: AsyncSession, period: Period, awards: AwardRules) -> list[PayoutRow]:
    """Everyone with entries in the period, most points first (equal points share a place)."""
    sums = (
        await session.exec(
            select(PointEntry.person_id, PointEntry.stage, func.sum(PointEntry.points))
            .where(sa.and_(col(PointEntry.created_at) >= period.start, col(PointEntry.created_at) < period.end))
            .group_by(col(PointEntry.person_id), col(PointEntry.stage))
        )
    ).all()
    by_person: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, stage, points in sums:
        by_person[person_id][COLUMN_OF.get(stage, OTHER)] += int(points)
    people = (
        await session.exec(
            select(Person, Department.name)
            .join(Department, col(Department.id) == col(Person.department_id), isouter=True)
            .where(col(Person.id).in_(list(by_person) or [-1]))
        )
    ).all()
    ordered = sorted(people, key=lambda row: (-sum(by_person[id_of(row[0])].values()), row[0].name, row[0].id))
    totals = [sum(by_person[id_of(person)].values()) for person, _ in ordered]
    grades = awards.grade_all(totals)
    rows: list[PayoutRow] = []
    for index, ((person, department), total, grade) in enumerate(zip(ordered, totals, grades)):
        place = rows[-1].place if rows and rows[-1].total == total else index + 1
        rows.append(
            PayoutRow(
                place,
                person.name,
                person.rank or "",
                department or "",
                person.handle or "",
                dict(by_person[id_of(person)]),
                total,
                grade,
            )
        )
    return rows


def columns_of(rows: list[PayoutRow]) -> list[str]:
    """The stage columns, with "other" only when some stage is not in STAGE_COLUMNS."""
    extra = [OTHER] if any(OTHER in r.by_column for r in rows) else []
    return list(STAGE_COLUMNS) + extra


def payout_table(rows: list[PayoutRow], period: Period, t: Translator) -> Table:
    stages = columns_of(rows)
    columns = [
        Column(t("payout.place"), "number"),
        Column(t("payout.name")),
        Column(t("payout.rank")),
        Column(t("payout.department")),
    ]
    columns += [Column(t(f"payout.stage.{s}"), "signed") for s in stages]
    columns += [Column(t("payout.total"), "signed"), Column(t("payout.grade")), Column(t("payout.handle"))]
    values = [
        [
            r.place,
            r.name,
            r.rank,
            r.department or t("payout.no_department"),
            *[r.by_column.get(s, 0) for s in stages],
            r.total,
            r.grade or "",
            r.handle,
        ]
        for r in rows
    ]
    graded = Counter(r.grade for r in rows if r.grade)
    totals = [
        t("payout.sum"),
        t("payout.people", count=len(rows)),
        None,
        None,
        *[sum(r.by_column.get(s, 0) for r in rows) for s in stages],
        sum(r.total for r in rows),
        " · ".join(t("report.xlsx.tally_people", label=grade, count=n) for grade, n in graded.items()),
        None,
    ]
    return Table(
        official_period(period.label, t.locale),  # the tab reads "2026년 1분기", as the title does
        t("payout.title", period=official_period(period.label, t.locale)),
        columns,
        values,
        t("payout.empty"),
        totals,
        [t("payout.note")],
    )


def write_points(
    rows: list[PayoutRow], path: str | Path, fmt: str, t: Translator, period: Period, head: Letterhead
) -> Path:
    """Write the payout; the CSV is UTF-8 with a BOM so that Excel shows Korean names correctly."""
    table = payout_table(rows, period, t)
    if fmt != "csv":
        return write_workbook([table], head, path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.title for c in table.columns])
        writer.writerows(table.rows)
    return target


async def export_points_file(
    settings: Settings, period_text: str, fmt: str, output: str | None, now: datetime | None = None
) -> tuple[Path, int]:
    """Run the export against the configured database; returns the file written and its row count."""
    from bot.points.periods import parse_period
    from bot.points.rules import load_rules
    from storage.db import Database

    period = parse_period(period_text, settings.tz)
    awards = load_rules(settings.points_rules_file).awards
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            rows = await payout_rows(session, period, awards)
    finally:
        await db.dispose()
    t = Translator(settings.locale)
    head = letterhead(settings, now or datetime.now(UTC), t)
    path = write_points(rows, output or f"points-{period.label}.{fmt}", fmt, t, period, head)
    return path, len(rows)
