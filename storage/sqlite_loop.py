"""SQLite connections whose statements run on the event loop once a transaction holds the write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url


def _never_waits(fn: Callable[..., Any]) -> bool:
    """A call that waits for no lock and no disk, in a transaction or not: making or closing a cursor, a rollback."""
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if isinstance(owner, sqlite3.Cursor):
        return name == "close"
    return isinstance(owner, sqlite3.Connection) and name in ("cursor", "rollback")


def _may_wait(fn: Callable[..., Any]) -> bool:
    """COMMIT may checkpoint the WAL into the database file, and closing the last connection does."""
    owner = getattr(fn, "__self__", None)
    return isinstance(owner, sqlite3.Connection) and getattr(fn, "__name__", "") in ("commit", "close")


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection that hands work to its thread only when it may wait.

    aiosqlite sends every call (each execute, fetch and cursor close) through its thread: a
    round trip through the GIL per call, most of a statement's cost under load. Once BEGIN
    IMMEDIATE has taken the write lock (in the thread: it may wait for another process), the
    statements of the transaction cannot wait for anything, with WAL and synchronous=NORMAL they
    take microseconds, so they run inline; COMMIT goes back to the thread. Only one coroutine
    uses a connection at a time (the pool hands it to one session), so the connection is never
    used from both threads at once.
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if (
            self._running
            and connection is not None
            and not _may_wait(fn)
            and (connection.in_transaction or _never_waits(fn))
        ):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)


def loop_connector(url: str, timeout: float) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """An `async_creator` for SQLAlchemy: the URL's file and options, connections of `LoopConnection`."""
    parsed = make_url(url)
    args, options = parsed.get_dialect()().create_connect_args(parsed)
    # Used from the loop's thread as well as the connection's own (never at once, see above).
    options.update(timeout=timeout, check_same_thread=False)

    async def connect() -> aiosqlite.Connection:
        connection = LoopConnection(partial(sqlite3.connect, *args, **options), iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does for its own: an open connection never blocks exit
        return await connection

    return connect
