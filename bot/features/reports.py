"""/report [YYYY-MM]: the month's figures posted where asked, with a chart image; anyone may view them."""

from __future__ import annotations

from bot.charts import chart_figures
from bot.context import REPLY, Context
from bot.errors import UserError
from bot.messages import Destination, Outgoing
from bot.outbox import enqueue
from bot.parsing import ParsedCommand
from bot.points.periods import Period, current, parse_period
from bot.registry import registry
from bot.reports import month_report, report_text


def requested_month(ctx: Context, word: str | None) -> Period:
    """This month (Asia/Seoul), or the `YYYY-MM` typed."""
    if word is None:
        return current("month", ctx.now(), ctx.settings.tz)
    try:
        period = parse_period(word, ctx.settings.tz)
    except ValueError:
        raise UserError("report.usage", value=word[:20]) from None
    if "-" not in period.label or "Q" in period.label:
        raise UserError("report.usage", value=word[:20])
    return period


@registry.command("report", help=("help.report",), order=60)
async def report_command(ctx: Context, command: ParsedCommand) -> None:
    """The figures are public within the office, so anyone in the room may ask for them."""
    period = requested_month(ctx, command.word(0))
    if period.start > ctx.now():
        raise UserError("report.future", month=ctx.period(period.label))
    report = await month_report(ctx.session, period)
    ctx.reply(report_text(report, ctx.translator(ctx.person)))
    if report.is_empty:
        return  # an empty chart says nothing the text does not
    # Drawn (bot.charts.render_chart) only when the outbox sends it: the figures answer at once.
    enqueue(
        ctx.session,
        Destination(ctx.place.platform, "room", ctx.place.chat_id),
        Outgoing(
            ctx.t("report.chart_caption", month=ctx.period(period.label)),
            kind="photo",
            payload={"render": chart_figures(report, ctx.translator(ctx.person))},
        ),
        priority=REPLY,
        now=ctx.now(),
    )
