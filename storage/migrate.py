"""Applies the Alembic migrations; used on start and by `idearoom db upgrade`."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b")
_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=(.*)$", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`; blocking, so call it off the event loop."""
    from alembic import command

    config = alembic_config(url)
    config.attributes["upgrade_only"] = True  # see migrations/env.py
    command.upgrade(config, revision)


class Upgrade:
    """`upgrade(url)` running in a short child process (`python -m storage.migrate`), so Alembic, Mako
    and the migration scripts never take up the bot's resident memory; the URL goes through a pipe,
    where no process listing shows its password."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child

    @classmethod
    async def start(cls, url: str) -> Upgrade:
        env = dict(os.environ)
        # The child finds these packages where this process found them, whatever its working folder.
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (root, env.get("PYTHONPATH"))))
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "storage.migrate",
            stdin=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        assert child.stdin is not None
        # One line, read by the child at once: the pipe's end is closed only when this process's
        # event loop runs next, which may be after a second of imports.
        child.stdin.write(url.encode() + b"\n")
        child.stdin.close()
        return cls(child)

    async def finish(self, meanwhile: Callable[[], None] | None = None) -> None:
        """Wait for the child, calling `meanwhile` first (this process's own CPU-bound work, done on the
        other core); the child is waited for even when `meanwhile` raises."""
        child = self.child
        assert child.stderr is not None
        try:
            if meanwhile is not None:
                meanwhile()
        finally:
            errors = await child.stderr.read()
            await child.wait()
        if child.returncode != 0:
            lines = errors.decode(errors="replace").strip().splitlines()
            # The traceback's last exception line (SQLAlchemy adds the statement and a link after it).
            reason = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), lines[-1] if lines else "")
            raise RuntimeError(f"the migrations failed: {reason or f'exit status {child.returncode}'}")


async def upgrade_in_child(url: str, meanwhile: Callable[[], None] | None = None) -> None:
    """`upgrade(url)` in a child process (see `Upgrade`), with `meanwhile` called while it works."""
    await (await Upgrade.start(url)).finish(meanwhile)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or one in memory."""
    scheme, sep, rest = url.partition(":///")
    path = rest.split("?", 1)[0]
    if not sep or not scheme.startswith("sqlite") or not path or path == ":memory:":
        return None
    return Path(path)


def sqlite_is_current(path: Path) -> bool:
    """`is_current` for a SQLite file, read with the standard library (no SQLAlchemy imported yet)."""
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            versions = {row[0] for row in db.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:  # no schema yet
        return False
    return bool(versions) and versions == head_revisions()


async def early_upgrade(url: str) -> Upgrade | None:
    """For a SQLite file behind the migrations: their child process, started before the bot imports the
    rest of itself, so the two run side by side. PostgreSQL's workers migrate in turn, under a lock, later."""
    path = sqlite_file(url)
    if path is None or sqlite_is_current(path):
        return None
    return await Upgrade.start(url)


def head_revisions() -> set[str]:
    """The newest revisions of the migrations, read from their files (Alembic itself is big to import)."""
    revisions: set[str] = set()
    below: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            found = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else below).update(found)
    return revisions - below


async def is_current(engine: AsyncEngine) -> bool:
    """The database is at the newest revisions already: nothing to migrate."""
    import sqlalchemy as sa

    try:
        async with engine.connect() as connection:
            versions = set((await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
    except sa.exc.DBAPIError:  # no schema yet
        return False
    return bool(versions) and versions == head_revisions()


if __name__ == "__main__":
    upgrade(sys.stdin.readline().strip())
