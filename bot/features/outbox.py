"""/outbox for organizers: what waits, what failed and why, and sending a failed message again."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from bot.context import Context
from bot.errors import UserError
from bot.features.common import parse_number
from bot.outbox import describe_destination
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.subcommands import Subcommands
from bot.text import clip
from storage.tables import OutboxMessage, OutboxState

FAILURES_SHOWN = 5


@registry.command("outbox", organizer_help=("help.outbox",), order=90)
async def outbox(ctx: Context, command: ParsedCommand) -> None:
    """An overview of the outbox, or `retry <id>` of a failed entry."""
    await ctx.require_organizer("outbox")
    await OUTBOX(ctx, command)


async def show_overview(ctx: Context) -> None:
    counts = dict(
        (
            await ctx.session.exec(select(col(OutboxMessage.state), func.count()).group_by(col(OutboxMessage.state)))
        ).all()
    )
    since = ctx.now() - timedelta(hours=24)
    sent = (
        await ctx.session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.state) == OutboxState.sent, col(OutboxMessage.sent_at) >= since)
        )
    ).one()
    lines = [
        ctx.t(
            "outbox.summary",
            pending=counts.get(OutboxState.pending, 0),
            sending=counts.get(OutboxState.sending, 0),
            failed=counts.get(OutboxState.failed, 0),
            sent=sent,
        )
    ]
    failures = (
        await ctx.session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.state) == OutboxState.failed)
            .order_by(col(OutboxMessage.id).desc())
            .limit(FAILURES_SHOWN)
        )
    ).all()
    if not failures:
        lines.append(ctx.t("outbox.no_failures"))
    else:
        lines.append(ctx.t("outbox.failures_header"))
        for entry in failures:
            lines.append(
                ctx.t(
                    "outbox.failure_line",
                    id=entry.id,
                    when=f"{ctx.day(entry.created_at)} {ctx.local(entry.created_at, '%H:%M')}",
                    destination=await describe_destination(ctx.session, entry),
                    reason=clip(entry.error or "?", 120),
                )
            )
        lines.append(ctx.t("outbox.retry_hint"))
    ctx.reply("\n".join(lines))


async def retry(ctx: Context, entry_id: int) -> None:
    """Put a failed entry back in line, as if it had just been written."""
    entry = await ctx.session.get(OutboxMessage, entry_id)
    if entry is None:
        raise UserError("outbox.not_found", id=entry_id)
    if entry.state != OutboxState.failed:
        raise UserError("outbox.not_failed", id=entry_id, state=ctx.t(f"outbox.state.{entry.state}"))
    previous_error = entry.error
    entry.state = OutboxState.pending
    entry.attempts = 0
    entry.next_attempt_at = ctx.now()
    entry.claimed_at = None
    entry.claimed_by = None
    entry.error = ""
    ctx.session.add(entry)
    ctx.audit("outbox.retried", "outbox", entry_id, error=previous_error)
    ctx.reply(ctx.t("outbox.requeued", id=entry_id, destination=await describe_destination(ctx.session, entry)))


OUTBOX = Subcommands(
    "outbox",
    {"retry": lambda ctx, command: retry(ctx, parse_number(command.word(1), "outbox.retry_usage"))},
    bare=lambda ctx, command: show_overview(ctx),
    unknown_key="outbox.usage",
)
