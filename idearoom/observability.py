"""Health and metrics for operators: `GET /healthz` and `GET /metrics` (Prometheus text format)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlmodel import col, func, select

from storage.tables import OutboxMessage, OutboxState

log = logging.getLogger(__name__)


class _AppCollector:
    """Reads the counters the core and the sender keep, at scrape time."""

    def __init__(self, app: Any, queue_depth: Callable[[], dict[str, int]]) -> None:
        self.app = app
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        core, sender = self.app.core, self.app.sender
        events = CounterMetricFamily("idearoom_events", "Platform events handled", labels=["outcome"])
        events.add_metric(["handled"], core.handled_count)
        events.add_metric(["duplicate"], core.duplicate_count)
        events.add_metric(["failed"], core.failed_count)
        yield events
        sends = CounterMetricFamily("idearoom_sends", "Outbox deliveries", labels=["outcome"])
        sends.add_metric(["sent"], getattr(sender, "sent_count", 0))
        sends.add_metric(["failed"], getattr(sender, "failed_count", 0))
        sends.add_metric(["retried"], getattr(sender, "retried_count", 0))
        yield sends
        depth = GaugeMetricFamily("idearoom_outbox_queue_depth", "Outbox entries by state", labels=["state"])
        for state, count in sorted(self.queue_depth().items()):
            depth.add_metric([state], count)
        yield depth
        leader = GaugeMetricFamily("idearoom_scheduler_leader", "1 when this worker runs the scheduler")
        leader.add_metric([], 1 if self.app.role_status().get("scheduler") == "leader" else 0)
        yield leader


class Observability:
    """Adds /healthz and /metrics to the worker's HTTP server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._queue: dict[str, int] = {}
        self._registry: Any = None

    @property
    def registry(self) -> Any:
        """Made on the first scrape: prometheus_client (12 MiB) is not loaded by a bot nobody scrapes."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry

            self._registry = CollectorRegistry()
            self._registry.register(_AppCollector(self.app, lambda: self._queue))
        return self._registry

    def install(self) -> None:
        """Add the routes to the operators' own listener when one is set, else to the webhooks' server."""
        settings = self.app.settings
        server = self.app.http
        if settings.ops_port is not None:
            from idearoom.http import HttpServer

            server = self.app.ops_http = HttpServer(settings.ops_host, settings.ops_port)
        server.add_route("GET", "/healthz", self.healthz)
        server.add_route("GET", "/metrics", self.metrics)

    async def start(self) -> None:
        """Start the operators' own listener, if there is one (the webhooks' server starts on its own)."""
        if self.app.ops_http is not None:
            await self.app.ops_http.start()

    def _authorized(self, request: web.Request) -> bool:
        token = self.app.settings.metrics_token
        if not token:
            return True
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        # "replace": a header of bytes that are not UTF-8 arrives with surrogates, which strict encoding refuses.
        return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())

    async def _refresh_queue(self) -> None:
        async with self.app.db.session() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage.state, func.count())
                    .where(col(OutboxMessage.state).in_([OutboxState.pending, OutboxState.sending, OutboxState.failed]))
                    .group_by(OutboxMessage.state)
                )
            ).all()
        self._queue = {state: 0 for state in ("pending", "sending", "failed")} | {s: n for s, n in rows}

    async def healthz(self, request: web.Request) -> web.Response:
        """200 when the database answers; the body says what this worker does."""
        status: dict[str, Any] = dict(self.app.role_status())
        healthy = True
        try:
            async with self.app.db.session() as session:
                await session.exec(sa.text("SELECT 1"))
            status["database"] = "ok"
        except Exception as error:  # the answer must say what is wrong, not crash
            log.warning("health check: database unreachable: %s", error)
            status["database"] = f"error: {type(error).__name__}"
            healthy = False
        return web.Response(
            status=200 if healthy else 503,
            text=json.dumps(status, ensure_ascii=False),
            content_type="application/json",
        )

    async def metrics(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="metrics need a token", headers={"WWW-Authenticate": "Bearer"})
        try:
            await self._refresh_queue()
        except Exception as error:
            log.warning("metrics: could not read the outbox depth: %s", error)
        from prometheus_client import generate_latest

        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": "text/plain; version=0.0.4"})
