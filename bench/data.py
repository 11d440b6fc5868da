"""A deterministic (seeded) data set of the size of a whole city's staff, for the growth benchmark."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.points.ledger import period_keys
from storage.db import Database
from storage.tables import Department, Idea, Identity, Person, PointEntry, PointTotal, Room, Topic, TopicState

CHUNK = 5_000
STAGES = ("idea_posted", "idea_supported_threshold", "proposal_created", "proposal_adopted", "invitation_accepted")


@dataclass(frozen=True)
class Size:
    people: int
    ideas: int
    ledger: int
    rooms: int = 20

    def scaled(self, factor: float) -> Size:
        return Size(
            max(10, int(self.people * factor)),
            max(10, int(self.ideas * factor)),
            max(10, int(self.ledger * factor)),
            self.rooms,
        )


FULL = Size(people=10_000, ideas=200_000, ledger=1_000_000)


async def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.engine.begin() as connection:
            await connection.execute(sa.insert(table.__table__), rows[start : start + CHUNK])


async def generate(db: Database, size: Size, *, now: datetime, seed: int = 20261126) -> dict[str, int]:
    """Create the schema and fill it; the same seed always gives the same data."""
    rng = random.Random(seed)
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    year_ago = now - timedelta(days=365)

    def moment() -> datetime:
        return year_ago + timedelta(seconds=rng.randrange(365 * 86400))

    departments = [{"id": i + 1, "name": f"부서{i + 1:02d}", "duties": "업무"} for i in range(60)]
    await _insert(db, Department, departments)
    people = [
        {
            "id": i + 1,
            "name": f"직원{i + 1:05d}",
            "handle": f"p{i + 1}",
            "department_id": rng.randrange(60) + 1,
            "is_organizer": i == 0,
            "created_at": year_ago,
        }
        for i in range(size.people)
    ]
    await _insert(db, Person, people)
    identities = [
        {
            "person_id": i + 1,
            "platform": "bench",
            "external_id": f"p{i + 1}",
            "username": f"p{i + 1}",
            "can_message": True,
            "created_at": year_ago,
        }
        for i in range(size.people)
    ]
    await _insert(db, Identity, identities)
    rooms = [
        {
            "id": r + 1,
            "platform": "bench",
            "external_id": f"room{r + 1}",
            "title": f"방{r + 1}",
            "is_direct": False,
            "created_at": year_ago,
        }
        for r in range(size.rooms)
    ]
    await _insert(db, Room, rooms)
    topics = []
    for r in range(size.rooms):
        for month in range(12):
            topics.append(
                {
                    "id": len(topics) + 1,
                    "room_id": r + 1,
                    "title": f"주제 {month + 1}",
                    "state": TopicState.active if month == 11 else TopicState.closed,
                    "support_count": 0,
                    "created_at": year_ago + timedelta(days=30 * month),
                }
            )
    await _insert(db, Topic, topics)
    ideas = []
    for i in range(size.ideas):
        room = rng.randrange(size.rooms)
        topic = room * 12 + rng.randrange(12) + 1
        ideas.append(
            {
                "id": i + 1,
                "room_id": room + 1,
                "topic_id": topic,
                "author_id": rng.randrange(size.people) + 1,
                "text": f"아이디어 {i + 1}: 시민 편의를 위한 제안",
                "support_count": rng.randrange(30),
                "created_at": moment(),
            }
        )
    await _insert(db, Idea, ideas)
    ledger = [
        {
            "person_id": rng.randrange(size.people) + 1,
            "points": rng.choice((1, 3, 5, 10, 20)),
            "stage": rng.choice(STAGES),
            "ref_kind": "idea",
            "ref_id": rng.randrange(size.ideas) + 1,
            "award_key": f"bench:{n}",
            "reason": "",
            "created_at": moment(),
        }
        for n in range(size.ledger)
    ]
    await _insert(db, PointEntry, ledger)
    totals: Counter[tuple[int, str]] = Counter()  # as the ledger keeps them with each entry
    for entry in ledger:
        for period in period_keys(entry["created_at"]):
            totals[(entry["person_id"], period)] += entry["points"]
    await _insert(db, PointTotal, [{"person_id": p, "period": k, "points": v} for (p, k), v in totals.items()])
    if db.dialect == "postgresql":
        async with db.engine.begin() as connection:
            for table in ("department", "person", "room", "topic", "idea"):
                await connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        # As autovacuum soon would after a bulk load: statistics, and a visibility map so that
        # covering indexes are read without visiting the table.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE"))
    else:
        async with db.engine.begin() as connection:
            await connection.execute(sa.text("ANALYZE"))
    return {"people": size.people, "ideas": size.ideas, "ledger": size.ledger, "totals": len(totals)}


def default_now() -> datetime:
    return datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
