"""SQLite's statements on the event loop: rolled back whole on an error, BEGIN waiting off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from storage.db import Database
from storage.tables import Person, ProcessedEvent


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield database
    await database.dispose()


async def test_a_transactions_statements_run_on_the_loops_thread(db: Database) -> None:
    async with db.session() as session:
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.create_function("thread_id", 0, threading.get_ident)
        thread = (await session.exec(sa.select(sa.func.thread_id()))).scalar_one()  # type: ignore[call-overload]
    assert thread == threading.get_ident()


async def test_an_error_rolls_back_the_whole_transaction_and_the_next_one_works(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Person(name="kept only if committed"))
            await session.flush()
            session.add(ProcessedEvent(platform="test", event_id="e1"))
            session.add(ProcessedEvent(platform="test", event_id="e1"))
            await session.flush()
    async with db.session() as session:
        assert (await session.exec(select(Person))).all() == []
        session.add(ProcessedEvent(platform="test", event_id="e1"))
    async with db.session() as session:
        assert [e.event_id for e in (await session.exec(select(ProcessedEvent))).all()] == ["e1"]


async def test_an_exception_in_the_handler_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            session.add(Person(name="minji"))
            await session.flush()
            raise RuntimeError("the handler failed")
    async with db.session() as session:
        assert (await session.exec(select(Person))).all() == []


async def test_waiting_for_another_processs_write_lock_does_not_stop_the_loop(db: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "loop.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the one write lock
    ticks = 0

    async def write() -> None:
        async with db.session() as session:
            session.add(Person(name="minji"))

    writing = asyncio.create_task(write())
    for _ in range(20):
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writing.done()  # it waits for the lock ...
    assert ticks == 20  # ... and the loop kept running meanwhile
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 10)
    async with db.session() as session:
        assert [p.name for p in (await session.exec(select(Person))).all()] == ["minji"]
