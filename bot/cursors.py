"""Where an adapter has read a platform's event stream up to, kept in the database across restarts."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import Database
from storage.tables import PlatformCursor


async def load(db: Database, platform: str, account: str) -> str | None:
    """The stored position of `account`'s stream on `platform`, or None before the first save."""
    async with db.session() as session:
        row = await session.get(PlatformCursor, (platform, account))
        return row.position if row is not None else None


async def save(db: Database, platform: str, account: str, position: str, *, now: datetime | None = None) -> None:
    """Store the position; call it only once every event before it is committed."""
    async with db.session() as session:
        row = await session.get(PlatformCursor, (platform, account))
        if row is None:
            row = PlatformCursor(platform=platform, account=account, position=position)
        row.position = position
        row.updated_at = now or datetime.now(UTC)
        session.add(row)
