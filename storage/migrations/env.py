"""Alembic environment: runs migrations through the same async engine the bot uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from storage.db import create_engine


def _models() -> MetaData | None:
    """The tables as the models declare them, for `alembic revision --autogenerate`; an upgrade does not
    compare, so the bot's start skips building the 45 model classes in its migrations' child (0.4 s)."""
    if context.config.attributes.get("upgrade_only"):
        return None
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers the tables on the metadata)

    return SQLModel.metadata


target_metadata = _models()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:  # the alembic command line: same database (and .env) as the bot
        from pydantic import Field
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class DatabaseSetting(BaseSettings):
            model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
            database_url: str = Field("sqlite+aiosqlite:///./idearoom.db", alias="IDEAROOM_DATABASE_URL")

        url = DatabaseSetting().database_url
    return url


async def _run_online() -> None:
    url = _url()
    engine = create_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
