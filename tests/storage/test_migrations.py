"""The Alembic migrations build exactly the schema the tables describe, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from bot.ports import DeliveryError, ManualClock
from idearoom.wiring import build_app
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import OutboxMessage
from tests.harness import RecordingGateway, test_settings

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def test_migrations_match_the_models(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(upgrade, database_url)  # a second run is a no-op
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
    finally:
        await db.dispose()
    assert diff == []


async def test_follow_ups_queued_before_the_upgrade_still_reach_their_reader(database_url: str) -> None:
    """An invite and a head's letter written by the previous version, still waiting when it is upgraded."""
    await asyncio.to_thread(upgrade, database_url, "0006_perf")
    db = Database(database_url)
    try:
        async with db.session() as session:
            old = dict(platform="test", dest_kind="user", dest_id="dohyun", next_attempt_at=T0, created_at=T0)
            forward = {
                "platform": "test",
                "dest_kind": "room",
                "dest_id": "room",
                "text": "전달해 주세요: {start_link}",
            }
            session.add(
                OutboxMessage(
                    **old, kind="message", text="초대장", payload={"start_payload": "inv_3", "on_failed": forward}
                )
            )
            join = {"platform": "test", "dest_kind": "user", "dest_id": "dohyun", "text": "입장 링크: {link} (한 번만)"}
            session.add(OutboxMessage(**old, kind="invite", text="", payload={"room_id": "room", "on_sent": join}))
    finally:
        await db.dispose()
    await asyncio.to_thread(upgrade, database_url)

    app = build_app(test_settings(database_url), ManualClock(T0))
    gateway = RecordingGateway()
    gateway.invite_link = "https://t.me/+single-use"
    gateway.failures = [DeliveryError("Forbidden: bot can't initiate conversation", permanent=True)]
    app.add_gateway(gateway)
    try:
        await app.sender.drain()
        await app.sender.drain()
    finally:
        await app.close()
    assert sorted((sent.destination.id, sent.text) for sent in gateway.sent) == [
        ("dohyun", "입장 링크: https://t.me/+single-use (한 번만)"),
        ("room", "전달해 주세요: /start inv_3"),
    ]
