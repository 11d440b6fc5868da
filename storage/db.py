"""The async engine and sessions, for SQLite (WAL) by default or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_loop import loop_connector

SQLITE_BUSY_SECONDS = 30
# Every primary key is a 32-bit INTEGER: a larger id names no row (PostgreSQL would refuse it).
_ID_RANGE = range(-(2**31), 2**31)


class Session(AsyncSession):
    """The sessions handlers use: `get` of an id no INTEGER column can hold finds nothing."""

    async def get(self, entity: Any, ident: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(ident, int) and ident not in _ID_RANGE:
            return None
        return await super().get(entity, ident, *args, **kwargs)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Make an engine; SQLite gets WAL, foreign keys and a generous busy timeout."""
    if url.startswith("sqlite"):
        # Statements of a transaction run on the loop, BEGIN IMMEDIATE and COMMIT in the connection's thread.
        engine = create_async_engine(url, async_creator=loop_connector(url, SQLITE_BUSY_SECONDS), **kwargs)

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            dbapi_conn.isolation_level = None  # transactions are begun by the listener below

        # aiosqlite opens transactions lazily; BEGIN IMMEDIATE takes the write lock up
        # front so two writers wait for each other instead of failing on upgrade.
        @sa.event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    if search_path:
        # asyncpg has no URL option for it; a deployment (or a test) may keep its tables in a schema.
        parsed = parsed.difference_update_query(["search_path"])
        kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})["search_path"] = str(search_path)
    if kwargs.get("poolclass") is None:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_async_engine(parsed, pool_pre_ping=True, **kwargs)


class Database:
    """Owns one engine and hands out sessions; created once by the bootstrap, never at import."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        # SQLite has one writer and every session begins with BEGIN IMMEDIATE: this process's
        # sessions take turns here, each woken the moment the last one ends, rather than in
        # SQLite's busy handler, which sleeps and polls (milliseconds per turn under load).
        self._turns = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        if self._turns is None:
            async with self._sessions() as session:
                async with session.begin():
                    yield session
            return
        # As long as SQLite's own busy timeout would have waited (see create_engine).
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can drop a cancellation (gh-86296).
        async with asyncio.timeout(SQLITE_BUSY_SECONDS):
            await self._turns.acquire()
        try:
            async with self._sessions() as session:
                async with session.begin():
                    yield session
        finally:
            self._turns.release()

    async def dispose(self) -> None:
        await self.engine.dispose()


_IGNORING_INSERTS: dict[tuple[str, Any], Any] = {}


async def insert_ignoring_conflict(session: AsyncSession, table: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless a unique constraint already holds it; True when it was inserted."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    # One statement per table, values as parameters: compiled once and cached (building it for
    # every event cost more CPU than SQLite takes to run it).
    statement = _IGNORING_INSERTS.get((dialect, table))
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = _IGNORING_INSERTS.setdefault((dialect, table), insert(table.__table__).on_conflict_do_nothing())
    result = await session.exec(statement, params=values)
    return bool(result.rowcount)
