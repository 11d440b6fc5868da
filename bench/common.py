"""Helpers the benchmarks share: waiting until the outbox has delivered everything, counting transactions."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import event
from sqlmodel import func, select

from idearoom.wiring import App
from storage.tables import OutboxMessage, OutboxState


async def unsent(app: App) -> int:
    """Outbox entries not delivered yet (pending, in flight or failed)."""
    async with app.db.session() as session:
        return (
            await session.exec(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != OutboxState.sent)
            )
        ).one()


async def wait_until_sent(app: App, seconds: float, poll: float = 0.5) -> int:
    """Wait until everything is delivered or `seconds` pass; returns what is left."""
    started = time.monotonic()
    left = await unsent(app)
    while left and time.monotonic() - started < seconds:
        await asyncio.sleep(poll)
        left = await unsent(app)
    return left


class Transactions:
    """Counts the transactions begun on an app's database (load-independent, unlike timings)."""

    def __init__(self, app: App) -> None:
        self.count = 0
        event.listen(app.db.engine.sync_engine, "begin", self._begun)

    def _begun(self, connection: object) -> None:
        self.count += 1
