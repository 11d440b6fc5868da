"""Prepared databases: the schema and the demo organisation built once per test process, then reused."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.config import Settings
from bot.ports import Clock
from idearoom.wiring import App, build_app, load_demo_data

# PostgreSQL: the fixtures hand each test an empty schema of its own. The first Story on one that is still empty
# swaps in a prepared schema instead (the state App.prepare(migrate=False) leaves); after the test that schema
# gets the template's rows and sequences back and waits for the next test. Building the schema costs a second
# of DDL; putting the rows back costs one round trip.
fresh_schemas: set[str] = set()  # schemas handed out and not used by a Story yet
swapped_schemas: set[str] = set()  # schemas a prepared one was renamed to, to be recycled after the test
_pool: list[str] = []
_template: str | None = None  # the schema whose rows and sequences every prepared one gets back
_sqlite_templates: dict[bool, Path] = {}  # by whether Alembic built the schema (migrate=True) or create_all


def asyncpg_dsn(url: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql")
        .difference_update_query(["search_path"])
        .render_as_string(hide_password=False)
    )


def _schema_url(url: str, schema: str) -> str:
    return make_url(url).update_query_dict({"search_path": schema}).render_as_string(hide_password=False)


async def _prepare(settings: Settings, migrate: bool = False) -> None:
    app = build_app(settings)
    await app.prepare(migrate=migrate)
    await app.close()


async def _copy_sqlite(settings: Settings, path: Path, migrate: bool) -> None:
    if migrate not in _sqlite_templates:
        template = Path(tempfile.mkdtemp(prefix="idearoom-template-")) / "idearoom.db"
        await _prepare(settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{template}"}), migrate)
        _sqlite_templates[migrate] = template
    shutil.copyfile(_sqlite_templates[migrate], path)


async def _relations(connection: asyncpg.Connection, schema: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace ORDER BY relname", schema
    )
    return [row["relname"] for row in rows]


async def _new_prepared(connection: asyncpg.Connection, settings: Settings) -> str:
    global _template
    if _template is None:
        template = f"tmpl_{uuid.uuid4().hex[:12]}"
        await connection.execute(f"CREATE SCHEMA {template}")
        await _prepare(settings.model_copy(update={"database_url": _schema_url(settings.database_url, template)}))
        _template = template
    schema = f"pool_{uuid.uuid4().hex[:12]}"
    await connection.execute(f"CREATE SCHEMA {schema}")
    await _prepare(settings.model_copy(update={"database_url": _schema_url(settings.database_url, schema)}))
    return schema


async def _swap_postgres(settings: Settings, schema: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        if await _relations(connection, schema):
            return  # the test built something there itself: prepare works on it as before
        prepared = _pool.pop() if _pool else await _new_prepared(connection, settings)
        async with connection.transaction():
            await connection.execute(f"DROP SCHEMA {schema}")
            await connection.execute(f"ALTER SCHEMA {prepared} RENAME TO {schema}")
        swapped_schemas.add(schema)
    finally:
        await connection.close()


async def recycle_postgres(url: str, schema: str) -> bool:
    """Give a swapped-in schema the template's rows and sequences back and keep it for the next test; False
    when it is not one, or holds other tables than the template (then the caller drops it)."""
    if schema not in swapped_schemas or _template is None:
        return False
    swapped_schemas.discard(schema)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await _relations(connection, schema) != await _relations(connection, _template):
            return False
        tables = [table.name for table in SQLModel.metadata.sorted_tables]
        sequences = await connection.fetch(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = $1", _template
        )
        # Triggers (the summaries, the foreign keys) stay off while the rows are put back as they were.
        script = ["SET LOCAL session_replication_role = replica", "SET LOCAL lock_timeout = '5s'"]
        script += [f'DELETE FROM {schema}."{name}"' for name in tables]
        script += [f'INSERT INTO {schema}."{name}" SELECT * FROM {_template}."{name}"' for name in tables]
        script += [
            f"SELECT setval('{schema}.\"{row['sequencename']}\"', {row['last_value'] or 1}, {row['last_value'] is not None})"
            for row in sequences
        ]
        new_name = f"pool_{uuid.uuid4().hex[:12]}"
        script.append(f"ALTER SCHEMA {schema} RENAME TO {new_name}")
        async with connection.transaction():
            await connection.execute(";\n".join(script))
        _pool.append(new_name)
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await connection.close()


async def drop_postgres_templates(url: str) -> None:
    global _template
    schemas = _pool + ([_template] if _template else [])
    if not schemas:
        return
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for schema in schemas:
            await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await connection.close()
    _pool.clear()
    _template = None


async def copy_prepared(settings: Settings, migrate: bool = False) -> None:
    """Give a new database the state `App.prepare(migrate=...)` would build in it, from a prepared one.

    Only a database nobody has used yet qualifies (a SQLite file not there, a PostgreSQL schema the fixtures
    made that is still empty); any other is left for `prepare` to bring up to date as before. On PostgreSQL
    only create_all's schema is pooled: a migrated one is built by Alembic as before."""
    if not load_demo_data(settings):
        return
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not Path(url.database).exists():
            await _copy_sqlite(settings, Path(url.database), migrate)
    elif not migrate and settings.database_url in fresh_schemas:
        fresh_schemas.discard(settings.database_url)
        await _swap_postgres(settings, str(url.query["search_path"]))


async def prepared_app(settings: Settings, clock: Clock | None = None, *, migrate: bool = False) -> App:
    """`build_app` and `App.prepare(migrate=...)`, on a copy of a prepared database when it is new."""
    await copy_prepared(settings, migrate)
    app = build_app(settings, clock)
    await app.prepare(migrate=migrate)
    return app
