"""One `idearoom run` worker: its adapters, HTTP server, outbox sender and (when it leads) the scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from bot.business_days import look_up_in_background
from bot.config import Settings
from bot.i18n import Translator
from bot.ports import Adapter, AdapterPlugin, Clock
from bot.ranker import ranker
from idearoom.http import mount_dashboard
from idearoom.observability import Observability
from idearoom.settings import configured_platforms, fallback_platform
from idearoom.wiring import App, build_app
from scheduler.leader import Leadership, asyncpg_dsn
from storage.migrate import Upgrade

log = logging.getLogger(__name__)

ROLES = ("all", "web", "scheduler")
# Workers starting together take turns to migrate and load the demo organisation: unguarded,
# two both find the database empty and the second dies on a duplicate department.
PREPARE_LOCK_KEY = 0x1DEA_9E9A


class SetupError(Exception):
    """A configuration the bot cannot start with; the message says what to change."""


def platform_adapters(app: App, plugins: list[AdapterPlugin] | None = None) -> list[Adapter]:
    """The adapters of the platforms the settings ask for (see `idearoom.adapters` in pyproject.toml)."""
    return [plugin.create(app) for plugin in configured_platforms(app.settings, plugins)]


async def prepare_in_turn(
    app: App, meanwhile: Callable[[], None] | None = None, upgrading: Upgrade | None = None
) -> None:
    """`app.prepare()` under a PostgreSQL advisory lock, so workers started at once do it one by one."""
    if app.settings.is_sqlite:
        await app.prepare(meanwhile=meanwhile, upgrading=upgrading)
        return
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(app.settings.database_url), timeout=10)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", PREPARE_LOCK_KEY)
        await app.prepare(meanwhile=meanwhile, upgrading=upgrading)
    finally:
        await connection.close()  # the lock goes with the connection


class Worker:
    """Starts everything in order and stops it in reverse, whatever went wrong in between."""

    def __init__(self, settings: Settings, clock: Clock, *, role: str = "all", with_console: bool = False) -> None:
        if role not in ROLES:
            raise SetupError(f"--role must be one of {', '.join(ROLES)}")
        self.app = build_app(settings, clock)
        self.app.role = role
        self.with_console = with_console
        self.adapters: list[Adapter] = []
        self.console: Any = None
        self.scheduler: Any = None
        self.leadership: Leadership | None = None

    async def run(self, upgrading: Upgrade | None = None) -> int:
        """Run until stopped; `upgrading` is a migration already under way (`storage.migrate.early_upgrade`)."""
        app = self.app
        # The scheduler's first business-day sum needs them; the child that works them out runs meanwhile.
        look_up_in_background(app.clock.now().astimezone(app.settings.tz).year)
        built: list[Exception | None] = []

        def build() -> None:
            if built:
                return
            try:
                self._build_adapters()
            except Exception as error:  # raised once the migrations are done, not in their midst
                built.append(error)
            else:
                built.append(None)

        # The platforms' SDKs are imported (building the adapters) while migrations run in their
        # own process, if any do: the two take the two cores instead of one after the other.
        await prepare_in_turn(app, meanwhile=build, upgrading=upgrading)
        if not built:
            build()
        if built[0] is not None:
            await app.close()
            raise SetupError(str(built[0])) from built[0]
        stop = asyncio.Event()
        try:
            await self._start()
            # The Korean analyser takes seconds to build: it starts in its own process once the bot
            # is ready (not before: its imports would slow the start on a busy machine), so the
            # first /topic pick finds it built and nothing waits for it.
            ranker.start()
            if self.console is not None:
                await self.console.run()
            else:
                self._stop_on_signals(stop)
                log.info("idearoom is running: role=%s platforms=%s", app.role, ",".join(app.gateways))
                await stop.wait()
        finally:
            await self._stop()
        return 0

    def _build_adapters(self) -> None:
        from scheduler.runner import SchedulerRunner

        self.adapters = platform_adapters(self.app)
        fallback = fallback_platform()
        if fallback is not None and (not self.adapters or self.with_console):
            self.console = fallback.create(self.app)
        for adapter in [*self.adapters, *([self.console] if self.console else [])]:
            self.app.add_gateway(adapter.gateway)
        if self.app.role in ("all", "scheduler"):
            self.scheduler = SchedulerRunner(self.app.core)
            if self.console is not None:
                from scheduler.clock import attach_console_clock

                attach_console_clock(self.console, self.scheduler)

    async def _start(self) -> None:
        app = self.app
        for adapter in self.adapters:
            try:
                await adapter.start()
            except Exception as error:
                raise SetupError(f"{type(adapter).__name__}: {error}") from error
            app.adapter_states[adapter.gateway.platform] = "connected"
        web_on = mount_dashboard(app)
        if self.adapters:
            observability = Observability(app)
            observability.install()
            await app.http.start()
            await observability.start()
        elif web_on:
            # The console alone serves only the dashboard; a port already taken (a second
            # `make run`) costs the dashboard, not the console session.
            try:
                await app.http.start()
            except OSError as error:
                web_on = False
                print(f"web dashboard not started: {error}", file=sys.stderr)
        if web_on and self.console is not None:
            print(Translator(app.settings.locale)("console.web_banner", url=f"{app.settings.web_url}/web"), flush=True)
        app.start_sender()
        if self.scheduler is None:
            return
        if self.console is not None:
            # A console is one process on its own: no one to share the scheduler with.
            await self.scheduler.start()
            app.scheduler_state = "leader"
            return
        self.leadership = Leadership(
            app.settings.database_url, self.scheduler.start, self.scheduler.stop, on_state=self._scheduler_state
        )
        app.tasks.append(asyncio.create_task(self.leadership.run(), name="scheduler-leadership"))

    def _scheduler_state(self, state: str) -> None:
        self.app.scheduler_state = state

    def _stop_on_signals(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # not the main thread, or not Unix
                pass

    async def _drain(self) -> None:
        """Stop taking requests, then finish those in hand within IDEAROOM_DRAIN_SECONDS; the rest stay in the inbox."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.app.settings.drain_seconds
        for adapter in self.adapters:
            stop_receiving = getattr(adapter, "stop_receiving", None)
            if stop_receiving is not None:
                try:
                    await stop_receiving()
                except Exception:
                    log.exception("%s did not stop receiving cleanly", type(adapter).__name__)
        # Closes the listening socket at once; requests already being read are answered.
        await self.app.http.stop()
        left = await self.app.inbox.drain(max(0.0, deadline - loop.time()))
        log.info("drained: %d request(s) left in the inbox for the next start", left)

    async def _stop(self) -> None:
        # Intake first, where an adapter can stop it on its own: no new events are taken, the
        # ones in hand are finished (and confirmed to the platform) while the sender can still
        # use the adapter's client.
        intake_first = [a for a in self.adapters if hasattr(a, "stop_intake")]
        for adapter in intake_first:
            await _quietly(adapter.stop_intake(), adapter)
        try:
            await self._drain()
        except Exception:
            log.exception("draining failed; unhandled requests stay in the inbox")
        if self.scheduler is not None:
            await self.scheduler.stop()
        for adapter in self.adapters:
            if adapter not in intake_first:
                await _quietly(adapter.stop(), adapter)
        await self.app.close()
        for adapter in intake_first:
            await _quietly(adapter.stop(), adapter)
        ranker.stop()


async def _quietly(step: Any, adapter: Any) -> None:
    try:
        await step
    except Exception:
        log.exception("stopping %s failed", type(adapter).__name__)
