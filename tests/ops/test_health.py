"""Operators' endpoints: /healthz says what the worker does, /metrics counts what it did."""

from __future__ import annotations

import httpx

from idearoom.observability import Observability
from tests.harness import Story, test_settings


async def test_healthz_and_metrics(sqlite_url: str) -> None:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_HTTP_HOST="127.0.0.1", IDEAROOM_HTTP_PORT="0"))
    app = story.app
    app.adapter_states["test"] = "connected"
    app.scheduler_state = "leader"
    Observability(app).install()
    await app.http.start()
    try:
        await story.say("minji", "/idea 지표 시험", event_id="e1")
        await story.say("minji", "/idea 지표 시험", event_id="e1")  # a duplicate delivery
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.http.port}") as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
        assert health.status_code == 200
        assert health.json() == {
            "role": "all",
            "adapters": {"test": "connected"},
            "scheduler": "leader",
            "database": "ok",
        }
        text = metrics.text
        assert 'idearoom_events_total{outcome="handled"} 1.0' in text
        assert 'idearoom_events_total{outcome="duplicate"} 1.0' in text
        assert 'idearoom_sends_total{outcome="sent"} 1.0' in text
        assert 'idearoom_outbox_queue_depth{state="pending"} 0.0' in text
        assert "idearoom_scheduler_leader 1.0" in text
    finally:
        await story.close()


async def test_healthz_reports_an_unreachable_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    story = await Story.start(
        test_settings(
            f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", IDEAROOM_HTTP_HOST="127.0.0.1", IDEAROOM_HTTP_PORT="0"
        )
    )
    app = story.app
    Observability(app).install()
    await app.http.start()
    try:
        (tmp_path / "h.db").chmod(0o000)
        await app.db.engine.dispose()
        from storage.db import Database

        app.db = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'h.db'}")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.http.port}") as client:
            health = await client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"].startswith("error")
    finally:
        (tmp_path / "h.db").chmod(0o644)
        await story.close()


async def test_metrics_need_the_token_when_one_is_set(sqlite_url: str) -> None:
    settings = test_settings(
        sqlite_url, IDEAROOM_HTTP_HOST="127.0.0.1", IDEAROOM_HTTP_PORT="0", IDEAROOM_METRICS_TOKEN="s3cret"
    )
    story = await Story.start(settings)
    app = story.app
    Observability(app).install()
    await app.http.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.http.port}") as client:
            assert (await client.get("/metrics")).status_code == 401
            assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
            # Bytes that are not UTF-8 (they reach the server as surrogates): refused like any wrong token, not a 500.
            assert (await client.get("/metrics", headers={"Authorization": b"Bearer \xff\xfe"})).status_code == 401
            allowed = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
            assert allowed.status_code == 200 and "idearoom_events_total" in allowed.text
            assert (await client.get("/healthz")).status_code == 200  # a load balancer's check needs no token
    finally:
        await story.close()


async def test_health_and_metrics_on_their_own_port_and_not_on_the_webhooks_port(sqlite_url: str) -> None:
    settings = test_settings(
        sqlite_url,
        IDEAROOM_HTTP_HOST="127.0.0.1",
        IDEAROOM_HTTP_PORT="0",
        IDEAROOM_OPS_HOST="127.0.0.1",
        IDEAROOM_OPS_PORT="0",
    )
    story = await Story.start(settings)
    app = story.app
    observability = Observability(app)
    observability.install()

    async def webhook(request):  # type: ignore[no-untyped-def]  # an adapter's route
        return httpx.Response  # never called here

    app.http.add_route("POST", "/telegram/webhook", webhook)
    await app.http.start()
    await observability.start()
    try:
        assert app.ops_http is not None and app.ops_http.host == "127.0.0.1" and app.ops_http.port != app.http.port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.ops_http.port}") as ops:
            assert (await ops.get("/healthz")).json()["database"] == "ok"
            assert (await ops.get("/metrics")).status_code == 200
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.http.port}") as public:
            assert (await public.get("/healthz")).status_code == 404
            assert (await public.get("/metrics")).status_code == 404
    finally:
        await story.close()
