"""Counters of what the database is asked per event: statements, transactions and SQLite thread hand-offs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiosqlite
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Counts:
    statements: int = 0
    transactions: int = 0
    hand_offs: int = 0  # calls run in aiosqlite's connection thread (each a round trip from the loop)

    def per(self, events: int) -> str:
        return (
            f"{self.statements / events:.1f} statements, {self.transactions / events:.2f} transactions, "
            f"{self.hand_offs / events:.1f} thread round trips per idea"
        )


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Counts]:
    """Count on `engine` (and every aiosqlite connection of the process) while the block runs."""
    counts = Counts()
    sync = engine.sync_engine

    def on_statement(*_: Any) -> None:
        counts.statements += 1

    def on_commit(*_: Any) -> None:
        counts.transactions += 1

    original = aiosqlite.Connection._execute

    async def handed_off(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts.hand_offs += 1
        return await original(self, fn, *args, **kwargs)

    sa.event.listen(sync, "before_cursor_execute", on_statement)
    sa.event.listen(sync, "commit", on_commit)
    aiosqlite.Connection._execute = handed_off  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]
        sa.event.remove(sync, "before_cursor_execute", on_statement)
        sa.event.remove(sync, "commit", on_commit)
