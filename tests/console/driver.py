"""Runs a scripted session through the real console adapter, as `idearoom run` wires it."""

from __future__ import annotations

import io

from adapters.console import ConsoleAdapter
from bot.ports import Clock
from tests.harness import test_settings
from tests.templates import prepared_app


async def run_console(
    database_url: str,
    script: str,
    *,
    clock: Clock | None = None,
    with_scheduler: bool = False,
    migrate: bool = False,
    **settings: str,
) -> str:
    """Feed `script` to the console on a fresh app; returns everything it printed."""
    app = await prepared_app(test_settings(database_url, **settings), clock, migrate=migrate)
    out = io.StringIO()
    console = ConsoleAdapter(app, stdin=io.StringIO(script), out=out)
    app.add_gateway(console.gateway)
    runner = None
    if with_scheduler:
        from scheduler.clock import attach_console_clock
        from scheduler.runner import SchedulerRunner

        runner = SchedulerRunner(app.core)
        attach_console_clock(console, runner)
    try:
        if runner is not None:
            await runner.recover()
        await console.run()
    finally:
        if runner is not None:
            await runner.stop()
        await app.close()
    return out.getvalue()
