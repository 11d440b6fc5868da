"""The monthly report's figures from the database, and the /report chat message."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates import official_period
from bot.i18n import Translator
from bot.points.periods import Period
from bot.proposals.states import LISTING_ORDER, state_key
from bot.report_details import DECISIONS
from storage.tables import (
    Department,
    DepartmentMonth,
    DepartmentPoints,
    MonthActivity,
    Proposal,
    ProposalState,
    ProposalTransition,
)


@dataclass
class DepartmentFigures:
    """One department's share of the month: its staff's ideas and points, and the proposals sent to it."""

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
    # The month's decisions by the state decided (adopted, rejected, implemented, withdrawn).
    decisions: dict[str, int] = field(default_factory=dict)

    @property
    def proposals_created(self) -> int:
        return sum(self.proposals_by_state.values())

    @property
    def adoption_rate(self) -> float | None:
        """Adopted among the month's decisions (adopted + rejected), or None without decisions."""
        decided = self.adopted + self.rejected
        return self.adopted / decided if decided else None

    @property
    def is_empty(self) -> bool:
        return not (self.ideas or self.participants or self.proposals_created or self.decisions or self.departments)


async def month_report(session: AsyncSession, period: Period) -> MonthReport:
    """Count the month: proposals by their current state among those created in it, decisions made in it,
    and per department the ideas of its staff and the proposals submitted to it."""

    def within(column: Mapped[datetime]) -> sa.ColumnElement[bool]:
        return sa.and_(column >= period.start, column < period.end)

    # Summary rows the database keeps with every idea, support and award (storage/summaries.py):
    # a month of a city's ideas is too many rows to count per report. Key 0 holds people without
    # a department, so the groups add up to the month's totals.
    ideas_by_department = dict(
        (
            await session.exec(
                select(DepartmentMonth.department_key, DepartmentMonth.ideas).where(
                    DepartmentMonth.month == period.label
                )
            )
        ).all()
    )
    participants = (
        await session.exec(
            select(sa.func.count()).select_from(MonthActivity).where(MonthActivity.month == period.label)
        )
    ).one()
    proposals = (await session.exec(select(Proposal).where(within(col(Proposal.created_at))))).all()
    decisions = Counter(
        (
            await session.exec(
                select(ProposalTransition.to_state).where(
                    within(col(ProposalTransition.at)),
                    ProposalTransition.undone == False,  # noqa: E712
                    col(ProposalTransition.to_state).in_(DECISIONS),
                )
            )
        ).all()
    )
    # A proposal sent to a department (first submission or a revival) counts once for it.
    submitted_to = (
        await session.exec(
            select(Proposal.department_id, sa.func.count(sa.distinct(col(Proposal.id))))
            .join(ProposalTransition, col(ProposalTransition.proposal_id) == col(Proposal.id))
            .where(
                within(col(ProposalTransition.at)),
                ProposalTransition.undone == False,  # noqa: E712
                ProposalTransition.to_state == ProposalState.submitted,
            )
            .group_by(col(Proposal.department_id))
        )
    ).all()
    points_by_department = dict(
        (
            await session.exec(
                select(DepartmentPoints.department_key, DepartmentPoints.points).where(
                    DepartmentPoints.period == period.label
                )
            )
        ).all()
    )
    departments = {
        d.id: DepartmentFigures(d.name)
        for d in (await session.exec(select(Department).order_by(Department.name))).all()
    }
    for key, ideas in ideas_by_department.items():
        if key in departments:
            departments[key].ideas += ideas
    for department_id, count in submitted_to:
        if department_id in departments:
            departments[department_id].proposals += count
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
        decisions={str(state): decisions[state] for state in DECISIONS if decisions.get(state)},
    )


def report_text(report: MonthReport, t: Translator) -> str:
    """The report as a chat message in the reader's language; departments are numbered as in the chart."""
    states = ", ".join(
        t("report.state_count", state=t(state_key(s)), count=report.proposals_by_state[s])
        for s in LISTING_ORDER
        if report.proposals_by_state.get(s)
    )
    rate = report.adoption_rate
    lines = [
        t("report.title", month=official_period(report.period.label, t.locale)),
        t("report.ideas", ideas=report.ideas, participants=report.participants),
        t("report.proposals", count=report.proposals_created, states=states) if states else t("report.no_proposals"),
        t("report.decisions", adopted=report.adopted, rejected=report.rejected, rate=f"{rate:.0%}")
        if rate is not None
        else t("report.no_decisions"),
        t("report.points", points=report.points_given),
    ]
    if report.departments:
        lines.append(t("report.by_department"))
        for number, d in enumerate(report.departments, start=1):
            lines.append(
                t(
                    "report.department_line",
                    number=number,
                    name=d.name,
                    ideas=d.ideas,
                    proposals=d.proposals,
                    points=d.points,
                )
            )
    else:
        lines.append(t("report.quiet"))
    return "\n".join(lines)
