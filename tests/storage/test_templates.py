"""The prepared databases the tests start from hold what App.prepare builds, and a recycled one is as good as new."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from idearoom.wiring import App
from tests import templates
from tests.conftest import POSTGRES_URL
from tests.harness import Story, test_settings
from tests.templates import prepared_app


async def _contents(app: App) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows but the times they were written (a template was written earlier)."""
    contents = {}
    async with app.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if not c.name.endswith("_at")]
            rows = (await connection.execute(sa.select(*columns).order_by(*table.primary_key.columns))).all()
            contents[table.name] = [tuple(row) for row in rows]
    return contents


async def _first_idea_reply(story: Story) -> list[str]:
    return await story.say("minji", "/idea 민원실 대기표를 문자로 알려 주세요")


@pytest.mark.parametrize("migrate", [False, True], ids=["create_all", "alembic"])
async def test_a_sqlite_copy_holds_what_prepare_builds(tmp_path: Path, migrate: bool) -> None:
    copied = await prepared_app(test_settings(f"sqlite+aiosqlite:///{tmp_path / 'copied.db'}"), migrate=migrate)
    (tmp_path / "built.db").touch()  # a file there already: prepare builds the schema and the demo data in it
    built = await prepared_app(test_settings(f"sqlite+aiosqlite:///{tmp_path / 'built.db'}"), migrate=migrate)
    try:
        contents = await _contents(copied)
        assert contents["person"] and contents["department"]
        assert contents == await _contents(built)
        tables = [sorted(await asyncio.to_thread(_tables, tmp_path / name)) for name in ("copied.db", "built.db")]
        assert tables[0] == tables[1]
        assert ("alembic_version" in tables[0]) is migrate
    finally:
        await copied.close()
        await built.close()


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger')")
        ]


@pytest.fixture
async def schemas(postgres_available: bool) -> AsyncIterator[list[str]]:
    """Names for schemas a test makes itself; dropped afterwards whatever became of them."""
    if not postgres_available:
        pytest.skip("PostgreSQL not reachable (it is required, and never skipped, in CI)")
    names: list[str] = []
    yield names
    connection = await asyncpg.connect(templates.asyncpg_dsn(POSTGRES_URL))
    try:
        for name in names:
            await connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    finally:
        await connection.close()


async def _new_schema(schemas: list[str], *, fresh: bool) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(templates.asyncpg_dsn(POSTGRES_URL))
    try:
        await connection.execute(f"CREATE SCHEMA {name}")
    finally:
        await connection.close()
    schemas.append(name)
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}search_path={name}"
    if fresh:
        templates.fresh_schemas.add(url)
    return name, url


async def test_a_recycled_postgres_schema_is_as_good_as_one_built_by_prepare(schemas: list[str]) -> None:
    # Built the ordinary way, in place: what every other schema must look like at the start of a test.
    _, built_url = await _new_schema(schemas, fresh=False)
    built = await Story.start(test_settings(built_url))
    expected = await _contents(built.app)
    expected_reply = await _first_idea_reply(built)
    await built.close()

    # A prepared one swapped in, used (an idea, supports, a topic), then recycled: twice, so the second
    # test sees a schema a test before it changed.
    for _ in range(2):
        name, url = await _new_schema(schemas, fresh=True)
        story = await Story.start(test_settings(url))
        assert name in templates.swapped_schemas
        assert await _contents(story.app) == expected
        assert await _first_idea_reply(story) == expected_reply  # the sequences start where they did: idea #1
        assert await story.say("junho", "/support 1")
        await story.close()
        assert await templates.recycle_postgres(url, name)
        assert templates._pool  # kept for the next test, under another name


async def test_a_schema_the_test_built_something_in_is_left_to_prepare(schemas: list[str]) -> None:
    name, url = await _new_schema(schemas, fresh=True)
    connection = await asyncpg.connect(templates.asyncpg_dsn(POSTGRES_URL))
    try:
        await connection.execute(f"CREATE TABLE {name}.mine (id integer)")
        story = await Story.start(test_settings(url))
        await story.close()
        assert name not in templates.swapped_schemas
        assert await connection.fetchval(f"SELECT count(*) FROM {name}.mine") == 0  # still theirs
        assert await connection.fetchval(f"SELECT count(*) FROM {name}.person") > 0  # built in place
    finally:
        await connection.close()
    assert not await templates.recycle_postgres(url, name)
