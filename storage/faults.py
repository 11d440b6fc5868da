"""Which database errors are worth running the same transaction again for."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError

# PostgreSQL: serialization failure, deadlock detected, lock not available.
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}
# PostgreSQL: the server ended the session (pg_terminate_backend, a restart, a failover).
SHUTDOWN_SQLSTATES = {"57P01", "57P02", "57P03"}
CLOSED_HINTS = (
    "connection is closed",
    "connection was closed",
    "closed the connection",
    "underlying connection is closed",
)


def _sqlstate(error: BaseException | None) -> str | None:
    value = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return value if isinstance(value, str) else None


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what SQLAlchemy wrapped in it, and what that was raised from."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen) or len(seen) > 10:
            continue
        seen.append(current)
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def is_transient(error: DBAPIError) -> bool:
    """A failure that the same transaction, run again at once, would likely not meet."""
    state = _sqlstate(error.orig)
    if state is not None and state in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)  # SQLite, after its busy timeout


def is_connection_fault(error: BaseException) -> bool:
    """The connection to the database broke (or could not be made): a fresh one may work."""
    if isinstance(error, DBAPIError) and (error.connection_invalidated or isinstance(error, InterfaceError)):
        return True
    for cause in _chain(error):
        if isinstance(cause, ConnectionError):  # refused, reset, broken pipe
            return True
        state = _sqlstate(cause)
        if state is not None and (state.startswith("08") or state in SHUTDOWN_SQLSTATES):
            return True
        # asyncpg's own: the connection is gone, or left mid-operation by the one that broke it.
        asyncpg_broken = ("ConnectionDoesNotExistError", "InterfaceError", "InternalClientError")
        if type(cause).__name__ in asyncpg_broken and type(cause).__module__.startswith("asyncpg"):
            return True
        if any(hint in str(cause).lower() for hint in CLOSED_HINTS):
            return True
    return False
