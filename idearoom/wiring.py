"""Wires the bot together in one place: settings, database, core, outbox sender, HTTP server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import SQLModel

import bot.features  # noqa: F401  (registers every command)
from bot.charts import render_chart
from bot.config import Settings
from bot.core import Core
from bot.directory import load_demo_if_empty
from bot.i18n import use_catalogs
from bot.inbox import Inbox
from bot.outbox.sender import Sender
from bot.ports import ChatGateway, Clock, SystemClock
from bot.registry import registry
from idearoom.http import HttpServer
from idearoom.settings import configured_platforms, handle_platforms
from storage.db import Database
from storage.migrate import Upgrade, is_current, upgrade_in_child

log = logging.getLogger(__name__)
SQLITE_IDLE_POLL = 300.0  # seconds an idle sender waits between looks at the outbox on SQLite
# On PostgreSQL every worker runs a sender its own writes wake: the poll is for a process without one.
SHARED_IDLE_POLL = 5.0


@dataclass
class App:
    """The running bot: everything a platform adapter, the scheduler or a test needs."""

    settings: Settings
    db: Database
    clock: Clock
    core: Core
    sender: Sender
    http: HttpServer
    inbox: Inbox
    # The operators' own listener for /healthz and /metrics when IDEAROOM_OPS_PORT is set.
    ops_http: HttpServer | None = None
    gateways: dict[str, ChatGateway] = field(default_factory=dict)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    role: str = "all"  # web, scheduler or all (see `idearoom run --role`)
    scheduler_state: str = "off"  # off, follower or leader
    adapter_states: dict[str, str] = field(default_factory=dict)

    def role_status(self) -> dict[str, Any]:
        """What this worker does now, for /healthz and /metrics."""
        return {"role": self.role, "adapters": dict(self.adapter_states), "scheduler": self.scheduler_state}

    def add_gateway(self, gateway: ChatGateway) -> None:
        self.gateways[gateway.platform] = gateway
        self.sender.gateways[gateway.platform] = gateway

    async def prepare(
        self, *, migrate: bool = True, meanwhile: Callable[[], None] | None = None, upgrading: Upgrade | None = None
    ) -> None:
        """Bring the schema up to date and load the demo organisation into an empty database.

        `meanwhile` is called while the migrations run in their child process, if they run;
        `upgrading` is that child when it was started already (`storage.migrate.early_upgrade`).
        """
        if migrate:
            if upgrading is not None:
                await upgrading.finish(meanwhile)
            if not await is_current(self.db.engine):
                await upgrade_in_child(self.settings.database_url, meanwhile)
        else:
            async with self.db.engine.begin() as connection:
                await connection.run_sync(SQLModel.metadata.create_all)
        if load_demo_data(self.settings):
            async with self.db.session() as session:
                if await load_demo_if_empty(session):
                    log.info("loaded the demo organisation")

    def start_sender(self) -> None:
        # Every outbox write of this process wakes the sender (the core's on_outbox), and retries
        # wake it when due; on SQLite no other worker writes the outbox, so an idle bot need not
        # look every second (PostgreSQL's other workers do write it).
        idle = SQLITE_IDLE_POLL if self.db.dialect == "sqlite" else SHARED_IDLE_POLL
        self.tasks.append(asyncio.create_task(self.sender.run(idle_seconds=idle), name="outbox-sender"))

    async def close(self) -> None:
        # Let the sender finish the message in hand: cancelling it mid-transaction would leave
        # that message claimed until its lease runs out.
        self.sender.stop()
        sender_tasks = [t for t in self.tasks if t.get_name() == "outbox-sender"]
        if sender_tasks:
            await asyncio.wait(sender_tasks, timeout=5)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.inbox.close()
        await self.http.stop()
        if self.ops_http is not None:
            await self.ops_http.stop()
        await self.db.dispose()


def load_demo_data(settings: Settings) -> bool:
    """Demo people (an organizer among them) never appear by default where real people chat."""
    if settings.demo_data is not None:
        return settings.demo_data
    return not configured_platforms(settings)


def build_app(settings: Settings, clock: Clock | None = None, **engine_kwargs: Any) -> App:
    """Make the app for `settings`; nothing connects until `prepare()`."""
    clock = clock or SystemClock()
    use_catalogs(settings.catalogs)
    db = Database(settings.database_url, **engine_kwargs)
    # Photos queued as figures (the /report chart) are drawn by the reports' own code when they go out.
    sender = Sender(db, {}, clock, settings=settings, draw=render_chart)
    core = Core(db, settings, clock, registry, on_outbox=sender.notify)
    core.handle_platforms = handle_platforms()
    http = HttpServer(settings.http_host, settings.http_port, shutdown_timeout=settings.drain_seconds)
    inbox = Inbox(db, settings.inbox_lease_seconds)
    return App(settings=settings, db=db, clock=clock, core=core, sender=sender, http=http, inbox=inbox)
