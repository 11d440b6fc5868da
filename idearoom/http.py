"""The one HTTP server of a worker: platform webhooks, health and metrics share its port."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class HttpServer:
    """An aiohttp application that adapters add routes to before it starts."""

    def __init__(self, host: str, port: int, shutdown_timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self.app = web.Application(client_max_size=1024 * 1024)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def has_routes(self) -> bool:
        return bool(list(self.app.router.routes()))

    def add_route(self, method: str, path: str, handler: Callable[..., Awaitable[Any]]) -> None:
        self.app.router.add_route(method, path, handler)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=self.shutdown_timeout)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        addresses = self._runner.addresses  # the listening sockets' names: the port the OS chose for 0
        if addresses:
            self.port = addresses[0][1]
        log.info("HTTP server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def mount_dashboard(app: Any) -> bool:
    """Put the web dashboard (`web/`) on the worker's server, unless IDEAROOM_WEB is off; True when mounted."""
    if not app.settings.web_enabled:
        return False
    from web.app import Dashboard

    Dashboard(app.db, app.settings, app.clock, app.core.registry, on_outbox=app.sender.notify).mount(app.http)
    return True
