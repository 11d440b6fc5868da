"""The monthly report: figures from the database, a chart image (matplotlib Agg) and an xlsx workbook."""

from __future__ import annotations

import importlib.util
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates import official_period
from bot.i18n import Translator
from bot.points.periods import Period
from bot.proposals.states import LISTING_ORDER, state_key
from storage.tables import (
    Department,
    Idea,
    Person,
    PointTotal,
    Proposal,
    ProposalState,
    ProposalTransition,
    Support,
)

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

# Fonts that carry Hangul, in order of preference; without one, the chart avoids Korean text.
HANGUL_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "Malgun Gothic", "AppleGothic", "UnDotum", "Baekmuk Gulim")


@dataclass
class DepartmentFigures:
    """One department's share of the month."""

    name: str
    ideas: int = 0
    proposals: int = 0
    points: int = 0


@dataclass
class MonthReport:
    """What happened in one month (Asia/Seoul): ideas, people, proposals, decisions, points."""

    period: Period
    ideas: int
    participants: int
    proposals_by_state: dict[str, int]
    adopted: int
    rejected: int
    points_given: int
    departments: list[DepartmentFigures] = field(default_factory=list)

    @property
    def proposals_created(self) -> int:
        return sum(self.proposals_by_state.values())

    @property
    def adoption_rate(self) -> float | None:
        """Adopted among the month's decisions (adopted + rejected), or None without decisions."""
        decided = self.adopted + self.rejected
        return self.adopted / decided if decided else None


async def month_report(session: AsyncSession, period: Period) -> MonthReport:
    """Count the month: proposals by their current state among those created in it, decisions made in it."""

    def within(column: sa.ColumnElement) -> sa.ColumnElement[bool]:  # type: ignore[type-arg]
        return sa.and_(column >= period.start, column < period.end)

    # Counted and summed per department in the database: a month of a city's ledger is too many rows to fetch.
    # Grouping by department keeps people without one (NULL): the groups add up to the month's totals.
    ideas_by_department = dict(
        (
            await session.exec(
                select(Person.department_id, sa.func.count())
                .select_from(Idea)
                .join(Person, Person.id == Idea.author_id)  # type: ignore[arg-type]
                .where(within(Idea.created_at))  # type: ignore[arg-type]
                .group_by(Person.department_id)
            )
        ).all()
    )
    people = sa.union(
        select(Idea.author_id).where(within(Idea.created_at)),  # type: ignore[arg-type]
        select(Support.person_id).where(within(Support.created_at)),  # type: ignore[arg-type]
    ).subquery()
    participants = (await session.exec(select(sa.func.count()).select_from(people))).one()
    proposals = (await session.exec(select(Proposal).where(within(Proposal.created_at)))).all()  # type: ignore[arg-type]
    decisions = Counter(
        (
            await session.exec(
                select(ProposalTransition.to_state).where(
                    within(ProposalTransition.at),  # type: ignore[arg-type]
                    ProposalTransition.undone == False,  # noqa: E712
                    ProposalTransition.to_state.in_([ProposalState.adopted, ProposalState.rejected]),  # type: ignore[attr-defined]
                )
            )
        ).all()
    )
    # The month's running totals (one row per person), not the month's ledger entries.
    points_by_department = dict(
        (
            await session.exec(
                select(Person.department_id, sa.func.sum(PointTotal.points))
                .join(PointTotal, PointTotal.person_id == Person.id)  # type: ignore[arg-type]
                .where(PointTotal.period == period.label)
                .group_by(Person.department_id)
            )
        ).all()
    )
    departments = {d.id: DepartmentFigures(d.name) for d in (await session.exec(select(Department).order_by(Department.name))).all()}
    for department_id, count in ideas_by_department.items():
        if department_id in departments:
            departments[department_id].ideas += count
    for proposal in proposals:
        if proposal.department_id in departments:
            departments[proposal.department_id].proposals += 1
    for department_id, amount in points_by_department.items():
        if department_id in departments:
            departments[department_id].points += int(amount)
    return MonthReport(
        period=period,
        ideas=sum(ideas_by_department.values()),
        participants=participants,
        proposals_by_state=dict(Counter(p.state for p in proposals)),
        adopted=decisions.get(ProposalState.adopted, 0),
        rejected=decisions.get(ProposalState.rejected, 0),
        points_given=sum(int(amount) for amount in points_by_department.values()),
        departments=[d for d in departments.values() if d.ideas or d.proposals or d.points],
    )


def report_text(report: MonthReport, t: Translator) -> str:
    """The report as a chat message in the reader's language; departments are numbered as in the chart."""
    rate = f"{report.adoption_rate:.0%}" if report.adoption_rate is not None else t("value.no_rate")
    states = ", ".join(
        f"{t(state_key(s))} {report.proposals_by_state[s]}" for s in LISTING_ORDER if report.proposals_by_state.get(s)
    )
    lines = [
        t("report.title", month=official_period(report.period.label, t.locale)),
        t("report.ideas", ideas=report.ideas, participants=report.participants),
        t("report.proposals", count=report.proposals_created, states=states or t("value.no_proposals_yet")),
        t("report.decisions", adopted=report.adopted, rejected=report.rejected, rate=rate),
        t("report.points", points=report.points_given),
    ]
    if report.departments:
        lines.append(t("report.by_department"))
        for number, d in enumerate(report.departments, start=1):
            lines.append(t("report.department_line", number=number, name=d.name, ideas=d.ideas, proposals=d.proposals, points=d.points))
    else:
        lines.append(t("report.quiet"))
    return "\n".join(lines)


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """A font family that renders Hangul: an installed one, else NanumGothic from koreanize-matplotlib."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in HANGUL_FONTS:
        if name in installed:
            return name
    # Only the font file is taken from the package: importing it would restyle matplotlib globally.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder) / "fonts" / "NanumGothic.ttf"
        if bundled.is_file():
            font_manager.fontManager.addfont(str(bundled))
            return "NanumGothic"
    log.warning("no Hangul font found (install fonts-nanum or fonts-noto-cjk): report charts number the departments")
    return None


def chart_figures(report: MonthReport, t: Translator) -> dict[str, Any]:
    """What the chart shows, labels in the reader's language, as JSON: drawn only when it is sent."""
    states = [str(s) for s in LISTING_ORDER if report.proposals_by_state.get(s)]
    return {
        "month": report.period.label,
        "ideas_by_department": [[d.name, d.ideas] for d in report.departments],
        "proposals_by_state": [[t(state_key(s)), report.proposals_by_state[s]] for s in states],  # type: ignore[index]
        "labels": {
            "title": t("report.chart.title", month=report.period.label),
            "ideas": t("report.chart.ideas"),
            "departments": t("report.chart.departments"),
            "departments_numbered": t("report.chart.departments_numbered"),
            "proposals": t("report.chart.proposals"),
            "count_ideas": t("report.chart.count_ideas"),
            "count_proposals": t("report.chart.count_proposals"),
        },
    }


def render_chart(figures: dict[str, Any], directory: str | Path) -> Path:
    """A PNG with ideas per department and proposals per state (from `chart_figures`); returns its path.

    Drawing takes a few hundred milliseconds: the sender calls it in a worker thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = hangul_font()
    style = {"fontfamily": font} if font else {}
    labels = figures["labels"]
    figure = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    departments = figures["ideas_by_department"]
    names = [name if font else str(n) for n, (name, _) in enumerate(departments, start=1)]
    left.bar(names, [ideas for _, ideas in departments], color="#4C72B0")
    left.set_title(labels["ideas"], **style)
    left.set_xlabel(labels["departments"] if font else labels["departments_numbered"], **style)
    left.set_ylabel(labels["count_ideas"], **style)
    by_state = figures["proposals_by_state"]
    right.bar([name for name, _ in by_state], [count for _, count in by_state], color="#55A868")
    right.set_title(labels["proposals"], **style)
    right.set_ylabel(labels["count_proposals"], **style)
    for axes in (left, right):
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.tick_params(axis="x", labelrotation=30)
        for label in axes.get_xticklabels():
            label.set_fontfamily(font or "sans-serif")
    figure.suptitle(labels["title"], **style)
    figure.tight_layout()
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"report-{figures['month']}-{uuid.uuid4().hex[:8]}.png"
    figure.savefig(path)
    return path.resolve()


def write_xlsx(report: MonthReport, path: str | Path, t: Translator) -> Path:
    """The same figures as a workbook: a summary sheet, departments, and proposals by state."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    summary.title = t("report.xlsx.summary")
    summary.append([t("report.xlsx.metric"), t("report.xlsx.value")])
    rate = round(report.adoption_rate, 4) if report.adoption_rate is not None else None
    for key, value in (
        ("report.xlsx.month", report.period.label),
        ("report.xlsx.ideas", report.ideas),
        ("report.xlsx.participants", report.participants),
        ("report.xlsx.proposals", report.proposals_created),
        ("report.xlsx.adopted", report.adopted),
        ("report.xlsx.rejected", report.rejected),
        ("report.xlsx.adoption_rate", rate),
        ("report.xlsx.points", report.points_given),
    ):
        summary.append([t(key), value])
    summary.cell(row=8, column=2).number_format = "0%"
    departments = workbook.create_sheet(t("report.xlsx.departments"))
    departments.append([t("report.xlsx.department"), t("report.xlsx.ideas"), t("report.xlsx.proposals"), t("report.xlsx.points")])
    for d in report.departments:
        departments.append([d.name, d.ideas, d.proposals, d.points])
    states = workbook.create_sheet(t("report.xlsx.states"))
    states.append([t("report.xlsx.state"), t("report.xlsx.proposals")])
    for state in LISTING_ORDER:
        states.append([t(state_key(state)), report.proposals_by_state.get(state, 0)])
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 24
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


async def export_month_file(settings: "Settings", month_text: str, output: str | None) -> Path:
    """Write the month's report workbook from the configured database; returns its path."""
    from bot.points.periods import parse_period
    from storage.db import Database

    period = parse_period(month_text, settings.tz)
    if "-" not in period.label or "Q" in period.label:
        raise ValueError(f"not a month: {month_text!r} (expected YYYY-MM, e.g. 2026-11)")
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            report = await month_report(session, period)
    finally:
        await db.dispose()
    return write_xlsx(report, output or f"report-{period.label}.xlsx", Translator(settings.locale))
