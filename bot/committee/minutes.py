"""The committee's minutes (회의록): who voted, the count, the quorum and the outcome per proposal."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates import official_datetime, official_period
from bot.i18n import Translator
from storage.tables import CommitteeMeeting, CommitteeOutcome, CommitteeVote, Person, Proposal

if TYPE_CHECKING:
    from bot.config import Settings

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class MinutesRow:
    """One proposal of one meeting, as the minutes record it."""

    number: int
    title: str
    outcome: str
    revive: int
    keep: int
    eligible: int
    quorum: int
    quorum_met: bool
    voters: list[str]
    recused: list[tuple[str, str]]  # (name, proposer|decider)


async def minutes_rows(session: AsyncSession, meeting: CommitteeMeeting) -> list[MinutesRow]:
    outcomes = (
        await session.exec(
            select(CommitteeOutcome)
            .where(CommitteeOutcome.meeting_id == meeting.id)
            .order_by(col(CommitteeOutcome.proposal_id))
        )
    ).all()
    rows = []
    for outcome in outcomes:
        proposal = await session.get(Proposal, outcome.proposal_id)
        away = {int(person_id): str(why) for person_id, why in outcome.recused or []}
        voters = (
            await session.exec(
                select(Person.name)
                .join(CommitteeVote, col(CommitteeVote.person_id) == Person.id)
                .where(
                    CommitteeVote.meeting_id == meeting.id,
                    CommitteeVote.proposal_id == outcome.proposal_id,
                    col(CommitteeVote.person_id).not_in(list(away) or [-1]),
                )
                .order_by(col(CommitteeVote.voted_at), col(CommitteeVote.id))
            )
        ).all()
        recused = []
        for person_id, why in away.items():
            person = await session.get(Person, person_id)
            if person is not None:
                recused.append((person.name, why))
        rows.append(
            MinutesRow(
                number=outcome.proposal_id,
                title=proposal.title if proposal else "",
                outcome=outcome.outcome,
                revive=outcome.revive,
                keep=outcome.keep,
                eligible=outcome.eligible,
                quorum=outcome.quorum,
                quorum_met=outcome.quorum_met,
                voters=list(voters),
                recused=recused,
            )
        )
    return rows


async def minutes_text(session: AsyncSession, t: Translator, meeting: CommitteeMeeting, tz: ZoneInfo) -> str:
    """The minutes as the room, the organizers and the members read them."""
    closer = await session.get(Person, meeting.closed_by) if meeting.closed_by else None
    when = official_datetime(meeting.tallied_at.astimezone(tz), t.locale) if meeting.tallied_at else "-"
    rows = await minutes_rows(session, meeting)
    lines = [t("committee.minutes_header", quarter=official_period(meeting.quarter, t.locale), count=len(rows))]
    lines.append(
        t("committee.minutes_closed_by", name=closer.name, time=when)
        if closer
        else t("committee.minutes_closed_auto", time=when)
    )
    for row in rows:
        lines.append(t(f"committee.minutes_{row.outcome}", number=row.number, title=row.title))
        lines.append(
            t(
                "committee.minutes_count_met" if row.quorum_met else "committee.minutes_count_not_met",
                revive=row.revive,
                keep=row.keep,
                cast=row.revive + row.keep,
                eligible=row.eligible,
                quorum=row.quorum,
            )
        )
        lines.append(t("committee.minutes_voters", names=", ".join(row.voters) or t("committee.minutes_nobody")))
        if row.recused:
            names = ", ".join(t(f"committee.recused_{why}", name=name) for name, why in row.recused)
            lines.append(t("committee.minutes_recused", people=names))
    if not rows:
        lines.append(t("committee.result_none"))
    return "\n".join(lines)


def headers(t: Translator) -> list[str]:
    keys = (
        "quarter",
        "number",
        "title",
        "outcome",
        "revive",
        "keep",
        "eligible",
        "quorum",
        "quorum_met",
        "voters",
        "recused",
    )
    return [t(f"committee.export.{key}") for key in keys]


def write_minutes(rows: list[MinutesRow], meeting: CommitteeMeeting, path: str | Path, fmt: str, t: Translator) -> Path:
    """CSV (UTF-8 with a BOM, so Excel shows Korean) or xlsx, one row per proposal."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    values = [
        [
            meeting.quarter,
            r.number,
            r.title,
            t(f"committee.export.outcome_{r.outcome}"),
            r.revive,
            r.keep,
            r.eligible,
            r.quorum,
            t("committee.export.yes") if r.quorum_met else t("committee.export.no"),
            ", ".join(r.voters),
            ", ".join(t(f"committee.recused_{why}", name=name) for name, why in r.recused),
        ]
        for r in rows
    ]
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
    sheet.title = meeting.quarter
    sheet.append(headers(t))
    for row in values:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    workbook.save(target)
    return target


async def export_minutes_file(settings: Settings, quarter: str, fmt: str, output: str | None) -> tuple[Path, int]:
    """The minutes of a tallied meeting to a file; ValueError when there are none."""
    from storage.db import Database

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use csv or xlsx")
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            meeting = (
                await session.exec(select(CommitteeMeeting).where(CommitteeMeeting.quarter == quarter.strip().upper()))
            ).first()
            if meeting is None or meeting.tallied_at is None:
                raise ValueError(f"no minutes for {quarter}: the committee has not closed that meeting's vote")
            rows = await minutes_rows(session, meeting)
    finally:
        await db.dispose()
    path = write_minutes(
        rows, meeting, output or f"committee-{meeting.quarter}.{fmt}", fmt, Translator(settings.locale)
    )
    return path, len(rows)
