"""The console's `/clock`: show the time, or move a manual clock and fire what falls due."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dates import official_datetime
from bot.i18n import Translator
from bot.ports import ManualClock
from scheduler.firing import FireReport
from scheduler.runner import SchedulerRunner

_STEP = re.compile(r"^\+(\d{1,4})([wdhm])$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_target(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """`+3d`, `+2h`, `+30m`, `+1w` from now, or a local `2026-04-01T09:00`; ValueError otherwise."""
    match = _STEP.match(text.strip().lower())
    if match:
        return now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo else when.replace(tzinfo=tz)


def clock_command(
    runner: SchedulerRunner, say: Callable[[str], None], drain: Callable[[], Awaitable[object]], t: Translator
) -> Callable[[str], Awaitable[None]]:
    """The handler of `/clock [target]` for the console's local commands."""
    core = runner.core
    tz = core.settings.tz

    def shown(when: datetime) -> str:
        return official_datetime(when.astimezone(tz), t.locale)

    async def on_step(when: datetime, report: FireReport) -> None:
        if report.sent:
            say(t("clock.step", time=shown(when)))
            await drain()

    async def handle(args: str) -> None:
        now = core.clock.now()
        if not args:
            say(t("clock.now", time=shown(now)))
            return
        if not isinstance(core.clock, ManualClock):
            say(t("clock.not_manual"))
            return
        try:
            target = parse_target(args, now, tz)
        except ValueError:
            say(t("clock.usage"))
            return
        if target < now:
            say(t("clock.backwards", time=shown(target)))
            return
        reports = await runner.advance_to(target, on_step=on_step)
        await drain()
        say(t("clock.moved", time=shown(target), count=sum(len(r.sent) for r in reports)))

    return handle


def attach_console_clock(console, runner: SchedulerRunner) -> None:
    """Register `/clock` among the console's local commands."""
    console.local_commands["/clock"] = clock_command(runner, console.say, console.app.sender.drain, console.t)
