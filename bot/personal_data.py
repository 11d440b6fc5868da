"""What the bot keeps about one person, gathered from every table that points at them (for /mydata)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import files
from storage.tables import (
    AuditEntry,
    Department,
    Idea,
    Identity,
    LinkCode,
    OutboxMessage,
    Person,
    Proposal,
    ProposalIdea,
    Room,
    WebLoginLink,
    WebSession,
    table_of,
)

# Secrets and the person row itself are not "about" them in this sense (the row is shown as identity).
_SKIPPED = {Person.__tablename__, LinkCode.__tablename__, WebLoginLink.__tablename__, WebSession.__tablename__}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _rows(result: Any) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


async def collect(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Every stored row about `person`, by table: found through the foreign keys, so new tables are included."""
    assert person.id is not None
    data: dict[str, Any] = {"person": {k: _plain(v) for k, v in person.model_dump().items()}}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _SKIPPED:
            continue
        columns = [
            c for c in table.columns if any(fk.column.table.name == Person.__tablename__ for fk in c.foreign_keys)
        ]
        if table.name == Department.__tablename__:
            columns = [table.c.head_person_id]  # no foreign key there (see storage.tables)
        if not columns:
            continue
        query = select(*table.columns).where(sa.or_(*(column == person.id for column in columns)))
        if table.name == AuditEntry.__tablename__:
            about = sa.and_(table.c.subject_kind == "person", table.c.subject_id == person.id)
            query = select(*table.columns).where(sa.or_(table.c.actor_id == person.id, about))
        rows = _rows((await session.exec(query.order_by(*table.primary_key.columns))).all())
        if rows:
            data[table.name] = rows
    # The proposals their ideas went into: they are its proposers without a column saying so.
    theirs = (
        select(ProposalIdea.proposal_id)
        .join(Idea, col(Idea.id) == col(ProposalIdea.idea_id))
        .where(Idea.author_id == person.id)
    )
    proposals = (
        await session.exec(select(Proposal).where(col(Proposal.id).in_(theirs)).order_by(col(Proposal.id)))
    ).all()
    if proposals:
        data["proposals_as_proposer"] = [{k: _plain(v) for k, v in p.model_dump().items()} for p in proposals]
    accounts = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    rooms = (await session.exec(select(Room).where(Room.person_id == person.id, col(Room.is_direct).is_(True)))).all()
    to_them = sa.or_(
        sa.false(),
        *(
            sa.and_(
                col(OutboxMessage.dest_kind) == "user",
                col(OutboxMessage.platform) == a.platform,
                col(OutboxMessage.dest_id) == a.external_id,
            )
            for a in accounts
        ),
        # What the bot answered in their direct chats (a Slack DM channel is not their user id).
        *(
            sa.and_(
                col(OutboxMessage.dest_kind) == "room",
                col(OutboxMessage.platform) == r.platform,
                col(OutboxMessage.dest_id) == r.external_id,
            )
            for r in rooms
        ),
    )
    sent = select(*table_of(OutboxMessage).columns).where(to_them).order_by(col(OutboxMessage.id))
    messages = _rows((await session.exec(sent)).all())
    if messages:
        data["messages_to_them"] = messages
    return data


def write_export(data: dict[str, Any], directory: str, person_id: int, now: datetime) -> Path:
    """The export as a JSON file only its owner's process may read."""
    folder = Path(directory) / files.MYDATA
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mydata-{person_id}-{now.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    path.chmod(0o600)
    return path
