"""/remind: custom recurring reminders (cron or `월 09:00`) and the list of missed reminders."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from bot.audience import deliver, describe_audience
from bot.context import Context
from bot.errors import UserError
from bot.features.common import parse_number
from bot.jobs import RECURRING, schedule_recurring
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.reminder_list import describe_reminders
from bot.reminders import cancel
from bot.schedules import ScheduleError, parse_schedule
from bot.subcommands import Subcommands
from bot.text import clean_text, clip
from storage.tables import RecurringReminder, Reminder, ReminderState

MAX_TEXT = 1000
MISSED_SHOWN = 20
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
AUDIENCE_WORDS = {
    "organizers": "organizers",
    "organizer": "organizers",
    "담당자": "organizers",
    "committee": "committee",
    "자문단": "committee",
}
HERE_WORDS = {"here", "여기", "이방"}
ANYTIME_WORDS = {"anytime", "언제든", "시간무관"}
_UTC = ZoneInfo("UTC")  # the zone does not matter when only checking that a schedule parses


def split_schedule(text: str) -> tuple[str, str]:
    """`"월 09:00" here 회의` → (`월 09:00`, `here 회의`); unquoted, the longest schedule that parses."""
    text = text.strip()
    if text[:1] in QUOTES:
        closing = text.find(QUOTES[text[0]], 1)
        if closing < 0:
            raise UserError("remind.bad_schedule", schedule=clip(text, 40))
        return text[1:closing].strip(), text[closing + 1 :].strip()
    words = text.split()
    for count in (5, 3, 2):
        candidate = " ".join(words[:count])
        try:
            parse_schedule(candidate, _UTC)
        except ScheduleError:
            continue
        return candidate, " ".join(words[count:])
    raise UserError("remind.bad_schedule", schedule=clip(" ".join(words[:2]), 40))


async def parse_audience(ctx: Context, word: str) -> str:
    """`here`, `organizers`, `committee` or `@person` as a stored audience."""
    lowered = word.lower()
    if lowered in HERE_WORDS:
        return f"room:{ctx.room.id}"
    if lowered in AUDIENCE_WORDS:
        return AUDIENCE_WORDS[lowered]
    if word.startswith("@") or word.startswith("<@"):
        person = await ctx.find_person(word)
        if person is None:
            raise UserError("error.person_not_found", name=word[:40])
        return f"person:{person.id}"
    raise UserError("remind.bad_audience", audience=word[:40])


async def add_reminder(ctx: Context, rest: str) -> None:
    await ctx.require_organizer("remind.add")
    if not rest:
        raise UserError("remind.usage")
    schedule_text, rest = split_schedule(rest)
    try:
        parse_schedule(schedule_text, ctx.settings.tz)
    except ScheduleError:
        raise UserError("remind.bad_schedule", schedule=clip(schedule_text, 40)) from None
    audience_word, _, text = rest.partition(" ")
    anytime = audience_word.lower() in ANYTIME_WORDS
    if anytime:
        audience_word, _, text = text.strip().partition(" ")
    if not audience_word:
        raise UserError("remind.usage")
    audience = await parse_audience(ctx, audience_word)
    text = clean_text(text, max_length=MAX_TEXT, empty_key="remind.empty_text", too_long_key="remind.too_long")
    assert ctx.person.id is not None
    recurring = RecurringReminder(
        schedule=schedule_text,
        audience=audience,
        text=text,
        room_id=ctx.room.id,
        anytime=anytime,
        created_by=ctx.person.id,
        created_at=ctx.now(),
    )
    ctx.session.add(recurring)
    await ctx.session.flush()
    due = await schedule_recurring(ctx.session, recurring, ctx.settings, ctx.now())
    ctx.audit("remind.added", "recurring", recurring.id, schedule=schedule_text, audience=audience, anytime=anytime)
    added = ctx.t(
        "remind.added",
        schedule=schedule_text,
        audience=await describe_audience(ctx, ctx.translator(ctx.person), audience),
        next=ctx.when(due) if due else ctx.t("value.no_next"),
    )
    note = (
        ctx.t("remind.anytime_note")
        if anytime
        else ctx.t("remind.office_hours_note", opens=ctx.settings.office_opens, closes=ctx.settings.office_closes)
    )
    ctx.reply(f"{added}\n{note}")


async def _active(ctx: Context) -> list[RecurringReminder]:
    rows = await ctx.session.exec(
        select(RecurringReminder).where(RecurringReminder.active == True).order_by(col(RecurringReminder.id))  # noqa: E712
    )
    return list(rows.all())


async def list_reminders(ctx: Context) -> None:
    t = ctx.translator(ctx.person)
    active = await _active(ctx)
    lines = [t("remind.list_header", count=len(active))]
    for number, recurring in enumerate(active, start=1):
        due = (
            await ctx.session.exec(
                select(func.min(Reminder.due_at)).where(
                    Reminder.recurring_id == recurring.id, Reminder.state == ReminderState.pending
                )
            )
        ).one()
        line = t(
            "remind.list_line",
            number=number,
            schedule=recurring.schedule,
            audience=await describe_audience(ctx, t, recurring.audience),
            text=clip(recurring.text, 60),
            next=ctx.when(due) if due else ctx.t("value.no_next"),
        )
        lines.append(f"{line} {t('remind.list_anytime')}" if recurring.anytime else line)
    if not active:
        lines.append(t("remind.list_empty"))
    if ctx.is_organizer():
        missed = (
            await ctx.session.exec(
                select(func.count()).select_from(Reminder).where(Reminder.state == ReminderState.missed)
            )
        ).one()
        if missed:
            lines.append(t("remind.list_missed", count=missed))
    ctx.reply("\n".join(lines))


async def remove_reminder(ctx: Context, word: str | None) -> None:
    await ctx.require_organizer("remind.remove")
    number = parse_number(word, "remind.remove_usage")
    active = await _active(ctx)
    if not 1 <= number <= len(active):
        raise UserError("remind.no_such_number", number=number, count=len(active))
    recurring = active[number - 1]
    recurring.active = False
    ctx.session.add(recurring)
    cancelled = await cancel(ctx.session, f"recurring:{recurring.id}:")
    ctx.audit("remind.removed", "recurring", recurring.id, cancelled=cancelled)
    ctx.reply(ctx.t("remind.removed", number=number, text=clip(recurring.text, 60)))


async def list_missed(ctx: Context) -> None:
    missed = (
        await ctx.session.exec(
            select(Reminder)
            .where(Reminder.state == ReminderState.missed)
            .order_by(col(Reminder.due_at).desc())
            .limit(MISSED_SHOWN)
        )
    ).all()
    t = ctx.translator(ctx.person)
    if not missed:
        ctx.reply(t("remind.missed_none"))
        return
    ctx.reply("\n".join([t("remind.missed_header", count=len(missed)), *describe_reminders(ctx, t, missed)]))


async def _missed(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("remind.missed")
    await list_missed(ctx)


REMIND = Subcommands(
    "remind",
    {
        "list": lambda ctx, command: list_reminders(ctx),
        "add": lambda ctx, command: add_reminder(ctx, command.rest_after(1)),
        "remove": lambda ctx, command: remove_reminder(ctx, command.word(1)),
        "missed": _missed,
    },
    bare=lambda ctx, command: list_reminders(ctx),
    unknown_key="remind.usage",
)
registry.command("remind", help=("help.remind",), organizer_help=("help.remind_manage",), order=70)(REMIND)


@registry.reminder(RECURRING)
async def recurring_due(ctx: Context, reminder: Reminder) -> None:
    """A custom reminder's occurrence: tell its audience, then store the next occurrence."""
    recurring = await ctx.session.get(RecurringReminder, int(reminder.payload.get("recurring_id") or 0))
    if recurring is None or not recurring.active:
        return
    await deliver(ctx, recurring.audience, lambda t: t("remind.message", text=recurring.text))
    await schedule_recurring(ctx.session, recurring, ctx.settings, max(reminder.due_at, ctx.now()))
