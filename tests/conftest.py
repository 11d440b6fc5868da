"""Shared fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema) and a story."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests import templates
from tests.commands import write_bytecode
from tests.harness import Story, test_settings
from tests.ops import forked_workers

POSTGRES_URL = os.environ.get("IDEAROOM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The project's bytecode, once, for the `idearoom run` processes the tests start."""
    write_bytecode()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker under `--dist loadgroup`, give each grouped test the `@group` suffix the scheduler reads.

    pytest-xdist 3.8 writes it to `item._nodeid`, which pytest 9.2's structured node ids no longer read
    (pytest-xdist issue 1386): the groups were silently ignored, so the Matrix tests started a Synapse on
    every worker, again after each worker ran dry, and the advisory-lock tests ran side by side."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(groups))
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]
            if not item.nodeid.endswith(suffix):
                raise pytest.UsageError(f"cannot put {item.nodeid} in its xdist group {suffix}: see tests/conftest.py")


def _postgres_reachable() -> bool:
    import asyncpg

    async def probe() -> None:
        dsn = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(dsn, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    reachable = _postgres_reachable()
    if not reachable and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; CI must run the PostgreSQL tests")
    return reachable


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite+aiosqlite:///{tmp_path / 'idearoom.db'}"


@pytest.fixture
def postgres_url(postgres_available: bool) -> Iterator[str]:
    """A PostgreSQL URL whose connections use a schema of their own, dropped afterwards (the first Story on
    it swaps in a prepared one, recycled afterwards: tests/templates.py)."""
    if not postgres_available:
        pytest.skip("PostgreSQL not reachable (it is required, and never skipped, in CI)")
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}search_path={schema}"
    templates.fresh_schemas.add(url)
    yield url
    templates.fresh_schemas.discard(url)
    if not asyncio.run(templates.recycle_postgres(url, schema)):
        asyncio.run(run(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_templates() -> Iterator[None]:
    yield
    asyncio.run(templates.drop_postgres_templates(POSTGRES_URL))


@pytest.fixture(scope="session", autouse=True)
def _stop_forkserver() -> Iterator[None]:
    yield
    forked_workers.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:  # type: ignore[no-untyped-def]
    """Runs a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
async def story(sqlite_url: str) -> AsyncIterator[Story]:
    """The bot with the demo organisation on SQLite, driven through a recording platform."""
    s = await Story.start(test_settings(sqlite_url))
    yield s
    await s.close()
