"""Smile points for people: /points (balance, recent entries, manual awards) and /leaderboard."""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.points.listeners  # noqa: F401  (registers the awarding listeners)
from bot.context import Context
from bot.errors import UserError
from bot.parsing import ParsedCommand
from bot.points import ledger
from bot.points.listeners import ideas_posted_today, rules
from bot.points.periods import Period, current
from bot.registry import registry
from bot.subcommands import Subcommands
from bot.text import clean_text, is_number
from storage.tables import Department, DepartmentPoints, Person, PointEntry, PointTotal, id_of

RECENT_ENTRIES = 10
TOP = 10
MAX_MANUAL = 1000
PERIODS = {
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "월": "month",
    "이번달": "month",
    "분기": "quarter",
    "연간": "year",
    "올해": "year",
}
DEPARTMENT_WORDS = {"departments", "department", "dept", "부서", "부서별"}


def _entry_line(ctx: Context, entry: PointEntry) -> str:
    stage = ctx.t(f"points.stage.{entry.stage}")
    if entry.award_key.startswith(ledger.REVERSAL_PREFIX):
        stage = ctx.t("points.reversed", stage=stage)
    ref = f" #{entry.ref_id}" if entry.ref_kind in ("idea", "proposal") and entry.ref_id else ""
    reason = f" — {entry.reason}" if entry.stage == "manual" and entry.reason else ""
    return ctx.t(
        "points.entry", date=ctx.day(entry.created_at), points=f"{entry.points:+d}", stage=stage, ref=ref, reason=reason
    )


async def show_points(ctx: Context) -> None:
    person_id = ctx.person.id
    assert person_id is not None
    total = await ledger.total(ctx.session, person_id)
    this_month = await ledger.total(ctx.session, person_id, ledger.period_keys(ctx.now())[-1])
    lines = [ctx.t("points.header", name=ctx.called(ctx.person), total=total, month=this_month)]
    entries = (
        await ctx.session.exec(
            select(PointEntry)
            .where(PointEntry.person_id == person_id)
            .order_by(col(PointEntry.created_at).desc(), col(PointEntry.id).desc())
            .limit(RECENT_ENTRIES)
        )
    ).all()
    if entries:
        lines.append(ctx.t("points.recent"))
        lines += [_entry_line(ctx, e) for e in entries]
    else:
        lines.append(ctx.t("points.none_yet"))
    cap = rules(ctx).idea_posted_daily_cap
    if await ideas_posted_today(ctx, person_id) >= cap:
        lines.append(ctx.t("points.daily_cap_reached", cap=cap))
    ctx.reply("\n".join(lines))


async def manual_entry(ctx: Context, command: ParsedCommand, *, deduct: bool) -> None:
    """An organizer's award or deduction, with a reason, written like any other entry."""
    await ctx.require_organizer("points.deduct" if deduct else "points.award")
    usage = "points.deduct_usage" if deduct else "points.award_usage"
    if len(command.argv) < 3:
        raise UserError(usage)
    person = await ctx.find_person(command.argv[1])
    if person is None:
        raise UserError("error.person_not_found", name=command.argv[1][:50])
    amount_word = command.argv[2].lstrip("+")
    if not is_number(amount_word) or not 1 <= int(amount_word) <= MAX_MANUAL:
        raise UserError("points.amount_invalid", value=command.argv[2][:20], limit=MAX_MANUAL)
    reason = clean_text(
        command.rest_after(3), max_length=500, empty_key="points.reason_required", too_long_key="points.reason_too_long"
    )
    points = -int(amount_word) if deduct else int(amount_word)
    assert person.id is not None
    # Two organizers deducting at once would each see the balance before the other's entry.
    await ctx.session.exec(select(Person.id).where(Person.id == person.id).with_for_update(key_share=True))
    if deduct and not ctx.settings.points_allow_negative:
        before = await ledger.total(ctx.session, person.id)
        if before + points < 0:
            # Refused rather than capped: the organizer decides what a smaller deduction should be.
            raise UserError("points.deduct_below_zero", name=ctx.called(person), balance=before, points=-points)
    # A manual entry rewards nothing an event could repeat, so it is numbered per person.
    sequence = (
        await ctx.session.exec(
            select(func.count())
            .select_from(PointEntry)
            .where(PointEntry.person_id == person.id, PointEntry.stage == "manual")
        )
    ).one()
    key = f"manual:person:{person.id}:{sequence + 1}"
    if not await ledger.award(
        ctx.session, person.id, points, "manual", "person", person.id, key, reason, ctx.person.id, ctx.now()
    ):
        raise UserError("points.busy")
    ctx.audit("points.deducted" if deduct else "points.awarded", "person", person.id, points=points, reason=reason)
    balance = await ledger.total(ctx.session, person.id)
    ctx.reply(
        ctx.t(
            "points.manual_deducted" if deduct else "points.manual_done",
            name=ctx.called(person),
            points=abs(points),
            balance=balance,
        )
    )
    notice = "points.told_deducted" if deduct else "points.told_awarded"
    await ctx.tell(person, ctx.translator(person)(notice, points=abs(points), reason=reason, balance=balance))


def _period_name(ctx: Context, kind: str, period: Period) -> str:
    return ctx.t(f"points.period.{kind}", label=ctx.period(period.label))


def _ranks(rows: list[tuple[int, str, int]]) -> list[tuple[int, int, str, int]]:
    """(rank, id, name, points) with equal points sharing a rank (1, 2, 2, 4)."""
    ranked: list[tuple[int, int, str, int]] = []
    for index, (key, name, points) in enumerate(rows):
        rank = ranked[-1][0] if ranked and ranked[-1][3] == points else index + 1
        ranked.append((rank, key, name, points))
    return ranked


async def _people_leaderboard(
    session: AsyncSession, period: str, person_id: int
) -> tuple[list[tuple[int, int, str, int]], tuple[int, int] | None, int]:
    """The TOP people (rank, id, name, points; equal points by name), the person's own (rank, points)
    and how many people have entries in the period, all from the totals' ranking index."""
    in_period = PointTotal.period == period
    count = (await session.exec(select(func.count()).select_from(PointTotal).where(in_period))).one()
    cutoff = (
        await session.exec(
            select(col(PointTotal.points))
            .where(in_period)
            .order_by(col(PointTotal.points).desc())
            .offset(TOP - 1)
            .limit(1)
        )
    ).first()
    query = (
        select(PointTotal.person_id, Person.name, PointTotal.points)
        .join(Person, col(Person.id) == col(PointTotal.person_id))
        .where(in_period)
        .order_by(col(PointTotal.points).desc(), col(Person.name))
        .limit(TOP)
    )
    if cutoff is not None:  # only those with at least the TOPth score need naming
        query = query.where(PointTotal.points >= cutoff)
    # Ordered by points, every row with more points than a row is above it: its rank is exact.
    top = _ranks([(int(k), str(n), int(p)) for k, n, p in (await session.exec(query)).all()])
    own_points = (
        await session.exec(select(PointTotal.points).where(in_period, PointTotal.person_id == person_id))
    ).first()
    own = None
    if own_points is not None:
        above = (
            await session.exec(
                select(func.count()).select_from(PointTotal).where(in_period, PointTotal.points > own_points)
            )
        ).one()
        own = (above + 1, int(own_points))
    return top, own, count


POINTS = Subcommands(
    "points",
    {
        "award": lambda ctx, command: manual_entry(ctx, command, deduct=False),
        "deduct": lambda ctx, command: manual_entry(ctx, command, deduct=True),
    },
    bare=lambda ctx, command: show_points(ctx),
)
registry.command("points", help=("help.points",), organizer_help=("help.points_organizer",), order=40)(POINTS)


@registry.command("leaderboard", help=("help.leaderboard",), order=41)
async def leaderboard(ctx: Context, command: ParsedCommand) -> None:
    """Top people (or departments) by points in this month, quarter or year (Asia/Seoul)."""
    words = [w.lower() for w in command.argv]
    by_department = any(w in DEPARTMENT_WORDS for w in words)
    kinds = [PERIODS[w] for w in words if w in PERIODS]
    unknown = [w for w in words if w not in PERIODS and w not in DEPARTMENT_WORDS]
    if unknown or len(kinds) > 1:
        # Answered in the words it was asked in: /순위 주간 is shown the Korean period words.
        typed_in_korean = not command.shown.isascii()
        raise UserError(
            "points.leaderboard_usage_korean" if typed_in_korean else "points.leaderboard_usage", command=command.shown
        )
    kind = kinds[0] if kinds else "month"
    # The running totals are kept by the office's (Asia/Seoul) calendar.
    period = current(kind, ctx.now(), ledger.TOTALS_TIME_ZONE)
    if by_department:
        # The departments' sums, kept by the database with every award (storage/summaries.py).
        query = (
            select(DepartmentPoints.department_key, Department.name, DepartmentPoints.points)
            .join(DepartmentPoints, col(DepartmentPoints.department_key) == col(Department.id))
            .where(DepartmentPoints.period == period.label)
            .order_by(col(DepartmentPoints.points).desc(), col(Department.name))
        )
        ranked = _ranks([(int(k), str(n), int(p)) for k, n, p in (await ctx.session.exec(query)).all()])
        top = ranked[:TOP]
        mine = next(((r[0], r[3]) for r in ranked if r[1] == ctx.person.department_id), None)
        count = len(ranked)
    else:
        top, mine, count = await _people_leaderboard(ctx.session, period.label, id_of(ctx.person))
    header = "points.leaderboard_departments" if by_department else "points.leaderboard_people"
    lines = [ctx.t(header, period=_period_name(ctx, kind, period))]
    if not count:
        lines.append(ctx.t("points.leaderboard_empty"))
    for rank, _, name, points in top:
        lines.append(ctx.t("points.leaderboard_line", rank=rank, name=name, points=points))
    if mine is not None:
        own_key = "points.leaderboard_own_department" if by_department else "points.leaderboard_own"
        lines.append(ctx.t(own_key, rank=mine[0], points=mine[1], count=count))
    elif not by_department:
        lines.append(ctx.t("points.leaderboard_own_none"))
    ctx.reply("\n".join(lines))
