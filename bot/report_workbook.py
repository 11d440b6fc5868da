"""The monthly report as a workbook a team leader can attach to a 결재: one sheet per subject, in the office's look."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.dates import official_period
from bot.i18n import Translator
from bot.points.periods import Period
from bot.proposals.states import state_key
from bot.report_details import DECISIONS, MonthDetails, month_details
from bot.reports import MonthReport, month_report
from bot.sheets import Column, Table, Value, gongmun_date, letterhead, write_workbook
from storage.tables import ProposalState

if TYPE_CHECKING:
    from bot.config import Settings


def month_title(period: Period, t: Translator) -> str:
    return t("report.xlsx.title", period=official_period(period.label, t.locale))


class _Local:
    """Times as the office's wall clock, which is what a spreadsheet cell shows (it has no time zone)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def day(self, moment: datetime | None) -> Any:
        return moment.astimezone(self.tz).date() if moment else None

    def time(self, moment: datetime | None) -> Any:
        return moment.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0) if moment else None


def _tally(t: Translator, counts: Counter[str], key_of: Any, unit: str = "items") -> str:
    """'채택 1건 · 불채택 2건': each count with its unit (건, or 명 for people), as in the header row."""
    return " · ".join(t(f"report.xlsx.tally_{unit}", label=t(key_of(state)), count=n) for state, n in counts.items())


def summary_table(report: MonthReport, details: MonthDetails, t: Translator, title: str, empty: bool) -> Table:
    rate = report.adoption_rate
    rows: list[list[Any]] = [
        [t("report.xlsx.ideas"), report.ideas, t("unit.count")],
        [t("report.xlsx.participants"), report.participants, t("unit.people")],
        [t("report.xlsx.proposals"), report.proposals_created, t("unit.count")],
        [t("report.xlsx.submitted"), sum(d.proposals for d in report.departments), t("unit.count")],
        [t("report.xlsx.adopted"), report.adopted, t("unit.count")],
        [t("report.xlsx.rejected"), report.rejected, t("unit.count")],
        [t("report.xlsx.adoption_rate"), Value(round(rate * 100, 1), "decimal"), t("unit.percent")]
        if rate is not None
        else [t("report.xlsx.adoption_rate"), t("report.xlsx.no_decisions"), None],
        [t("report.xlsx.implemented"), report.decisions.get(ProposalState.implemented, 0), t("unit.count")],
        [t("report.xlsx.points"), report.points_given, t("unit.points")],
        [t("report.xlsx.heads_invited"), len(details.invitations), t("unit.people")],
        [t("report.xlsx.visits"), len(details.visits), t("unit.count")],
    ]
    columns = [
        Column(t("report.xlsx.metric")),
        Column(t("report.xlsx.value"), "number"),
        Column(t("report.xlsx.unit"), centered=True),
    ]
    return Table(t("report.xlsx.summary"), title, columns, [] if empty else rows, t("report.xlsx.empty"))


def department_table(report: MonthReport, t: Translator, title: str) -> Table:
    rows: list[list[Any]] = [[d.name, d.ideas, d.proposals, d.points] for d in report.departments]
    totals = [t("report.xlsx.total"), sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows)]
    return Table(
        t("report.xlsx.departments"),
        title,
        [
            Column(t("report.xlsx.department")),
            Column(t("report.xlsx.department_ideas"), "number"),
            Column(t("report.xlsx.department_proposals"), "number"),
            Column(t("report.xlsx.department_points"), "signed"),
        ],
        rows,
        t("report.xlsx.empty"),
        totals,
        [t("report.xlsx.department_note")],
    )


def proposal_table(details: MonthDetails, t: Translator, title: str, local: _Local) -> Table:
    rows = []
    for p in details.proposals:
        outcome = t(state_key(p.outcome)) if p.outcome else t("report.xlsx.undecided")
        if p.outcome == ProposalState.rejected and p.reason:
            outcome = t("report.xlsx.rejected_because", reason=p.reason)
        rows.append(
            [
                p.number,
                p.title,
                t(state_key(p.state)),
                p.department or t("report.xlsx.no_department"),
                local.day(p.submitted_at) or t("report.xlsx.not_submitted"),
                local.day(p.review_due_at) or t("report.xlsx.no_due_date"),
                outcome,
                local.day(p.decided_at) or t("report.xlsx.undecided"),
            ]
        )
    outcomes = Counter(p.outcome for p in details.proposals if p.outcome)
    decided = _tally(t, Counter({s: outcomes[s] for s in DECISIONS if outcomes[s]}), state_key)
    totals = [
        t("report.xlsx.total"),
        t("report.xlsx.count_of", count=len(rows)),
        None,
        None,
        None,
        None,
        decided or t("report.xlsx.undecided"),
        None,
    ]
    return Table(
        t("report.xlsx.proposal_sheet"),
        title,
        [
            Column(t("report.xlsx.number"), "number"),
            Column(t("report.xlsx.title_column")),
            Column(t("report.xlsx.current_state"), centered=True),
            Column(t("report.xlsx.department")),
            Column(t("report.xlsx.submitted_on"), "date"),
            Column(t("report.xlsx.due_on"), "date"),
            Column(t("report.xlsx.outcome")),
            Column(t("report.xlsx.decided_on"), "date"),
        ],
        rows,
        t("report.xlsx.empty"),
        totals,
        [t("report.xlsx.proposal_note")],
    )


def topic_table(details: MonthDetails, t: Translator, title: str, local: _Local) -> Table:
    notes = [
        t(
            "report.xlsx.topic_line",
            title=topic.title,
            start=_date_text(local.day(topic.picked_at), t),
            end=_date_text(local.day(topic.closes_at), t),
        )
        for topic in details.topics
    ]
    rows = [
        [
            i.topic,
            i.department,
            i.head,
            local.day(i.invited_at),
            t(f"invitation.state_{i.state}"),
            local.day(i.answered_at) or t("report.xlsx.no_answer"),
        ]
        for i in details.invitations
    ]
    answers = _tally(t, Counter(i.state for i in details.invitations), lambda s: f"invitation.state_{s}", "people")
    totals = [t("report.xlsx.total"), t("report.xlsx.heads_of", count=len(rows)), None, None, answers, None]
    empty = t("report.xlsx.no_invitations") if details.topics else t("report.xlsx.empty")
    return Table(
        t("report.xlsx.topic_sheet"),
        title,
        [
            Column(t("report.xlsx.topic")),
            Column(t("report.xlsx.department")),
            Column(t("report.xlsx.head")),
            Column(t("report.xlsx.invited_on"), "date"),
            Column(t("report.xlsx.answer")),
            Column(t("report.xlsx.answered_on"), "date"),
        ],
        rows,
        empty,
        totals,
        context=notes,
    )


def _date_text(day: Any, t: Translator) -> str:
    return gongmun_date(day) if day else t("report.xlsx.open_ended")


def visit_table(details: MonthDetails, t: Translator, title: str, local: _Local) -> Table:
    rows = [
        [
            local.time(v.visit_at),
            v.place,
            v.department,
            v.head,
            v.topic or t("report.xlsx.no_topic"),
            t(f"report.xlsx.visit_{v.state}"),
        ]
        for v in details.visits
    ]
    states = _tally(t, Counter(v.state for v in details.visits), lambda s: f"report.xlsx.visit_{s}")
    totals = [t("report.xlsx.total"), t("report.xlsx.count_of", count=len(rows)), None, None, None, states]
    return Table(
        t("report.xlsx.visit_sheet"),
        title,
        [
            Column(t("report.xlsx.visit_at"), "datetime"),
            Column(t("report.xlsx.place")),
            Column(t("report.xlsx.department")),
            Column(t("report.xlsx.head")),
            Column(t("report.xlsx.topic")),
            Column(t("report.xlsx.state")),
        ],
        rows,
        t("report.xlsx.empty"),
        totals,
    )


def committee_table(details: MonthDetails, t: Translator, title: str) -> Table:
    rows: list[list[Any]] = [
        [
            official_period(c.quarter, t.locale),
            c.number,
            c.title,
            c.revive,
            c.keep,
            t(f"report.xlsx.committee_{c.outcome}"),
        ]
        for c in details.committee
    ]
    outcomes = _tally(t, Counter(c.outcome for c in details.committee), lambda o: f"report.xlsx.committee_{o}")
    totals = [
        t("report.xlsx.total"),
        t("report.xlsx.count_of", count=len(rows)),
        None,
        sum(r[3] for r in rows),
        sum(r[4] for r in rows),
        outcomes,
    ]
    without_agenda = sorted(set(details.meetings) - {c.quarter for c in details.committee})
    notes = [t("report.xlsx.meeting_without_agenda", quarter=official_period(q, t.locale)) for q in without_agenda]
    return Table(
        t("report.xlsx.committee_sheet"),
        title,
        [
            Column(t("report.xlsx.quarter")),
            Column(t("report.xlsx.number"), "number"),
            Column(t("report.xlsx.title_column")),
            Column(t("report.xlsx.votes_revive"), "number"),
            Column(t("report.xlsx.votes_keep"), "number"),
            Column(t("report.xlsx.outcome"), centered=True),
        ],
        rows,
        t("report.xlsx.empty"),
        totals,
        context=notes,
    )


def report_tables(report: MonthReport, details: MonthDetails, t: Translator, tz: ZoneInfo) -> list[Table]:
    """Summary, departments, proposals, the topic and its heads, field visits, committee results."""
    title = month_title(report.period, t)
    local = _Local(tz)
    empty = report.is_empty and not (details.proposals or details.topics or details.visits or details.committee)

    def subject(key: str) -> str:
        return t("report.xlsx.subject_title", title=title, subject=t(key))

    return [
        summary_table(report, details, t, title, empty),
        department_table(report, t, subject("report.xlsx.departments")),
        proposal_table(details, t, subject("report.xlsx.proposal_sheet"), local),
        topic_table(details, t, subject("report.xlsx.topic_sheet"), local),
        visit_table(details, t, subject("report.xlsx.visit_sheet"), local),
        committee_table(details, t, subject("report.xlsx.committee_sheet")),
    ]


async def export_month_file(
    settings: Settings, month_text: str, output: str | None, now: datetime | None = None
) -> Path:
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
            details = await month_details(session, period)
    finally:
        await db.dispose()
    t = Translator(settings.locale)
    head = letterhead(settings, now or datetime.now(UTC), t)
    return write_workbook(report_tables(report, details, t, settings.tz), head, output or f"report-{period.label}.xlsx")
