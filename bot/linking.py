"""Linking accounts: one-time codes, and merging two people into one exactly once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import SQLModel, col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserError
from bot.points.ledger import award
from storage.tables import (
    AuditEntry,
    Department,
    Idea,
    Identity,
    LinkCode,
    Person,
    PointEntry,
    PointTotal,
    Reminder,
    Room,
    Support,
    Topic,
    TopicSupport,
)

# No 0/O or 1/I/L: the code is read on one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
REFUSED = "link.refused"
MERGE_KEY = "merge:"


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def issue_code(session: AsyncSession, person: Person, platform: str, *, now: datetime, minutes: int) -> str:
    """A new one-time code for `person`; their earlier unused codes stop working."""
    await session.exec(delete(LinkCode).where(col(LinkCode.person_id) == person.id, col(LinkCode.used_at).is_(None)))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    assert person.id is not None
    session.add(
        LinkCode(
            person_id=person.id,
            platform=platform,
            code_hash=_hash(code),
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
    )
    return code


async def failed_attempts(session: AsyncSession, person_id: int, since: datetime) -> int:
    """Refused codes this person sent since `since` (guesses, replays, expired codes)."""
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.actor_id == person_id, AuditEntry.action == REFUSED, AuditEntry.at >= since)
    )
    return int((await session.exec(query)).one())


async def find_code(session: AsyncSession, code: str, now: datetime) -> tuple[LinkCode | None, str]:
    """The code's row and why it cannot be used ("" when it can)."""
    row = (await session.exec(select(LinkCode).where(LinkCode.code_hash == _hash(code)))).first()
    if row is None:
        return None, "unknown"
    if row.used_at is not None:
        return row, "used"
    if row.expires_at <= now:
        return row, "expired"
    return row, ""


def _platforms(identities: list[Identity]) -> set[str]:
    return {i.platform for i in identities}


async def _accounts(session: AsyncSession, person_id: int) -> list[Identity]:
    return list((await session.exec(select(Identity).where(Identity.person_id == person_id))).all())


async def check_linkable(session: AsyncSession, first: Person, second: Person) -> None:
    """Refuse a link that would give one person two accounts on a platform or join two directory people."""
    if first.id == second.id:
        raise UserError("link.already")
    if first.handle and second.handle:
        raise UserError("link.two_directory_people")
    assert first.id is not None and second.id is not None
    if _platforms(await _accounts(session, first.id)) & _platforms(await _accounts(session, second.id)):
        raise UserError("link.same_platform")


def survivor_of(issuer: Person, redeemer: Person) -> tuple[Person, Person]:
    """Who stays and who is merged: the directory person stays, else the one who asked for the code."""
    if redeemer.handle and not issuer.handle:
        return redeemer, issuer
    return issuer, redeemer


def _person_columns() -> list[sa.Column]:
    """Every column of every table that points at a person (tables of later features included)."""
    columns = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in (Person.__tablename__, PointEntry.__tablename__, PointTotal.__tablename__):
            continue  # the person itself; the ledger is append-only and merged by entries below
        for column in table.columns:
            if any(fk.column.table.name == Person.__tablename__ for fk in column.foreign_keys):
                columns.append(column)
    return columns


async def _drop_duplicates(session: AsyncSession, keep: int, gone: int) -> None:
    """Rows of `gone` that `keep` already has once (a support given from both accounts counts once)."""
    for model, column, key in (
        (Support, col(Support.person_id), col(Support.idea_id)),
        (TopicSupport, col(TopicSupport.person_id), col(TopicSupport.topic_id)),
    ):
        kept = select(key).where(column == keep)
        await session.exec(delete(model).where(column == gone, key.in_(kept)))
    # Tables where a person has at most one row (a committee seat, a waiting question, a vote per item).
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if not isinstance(constraint, (sa.UniqueConstraint,)) or table.name in (
                "support",
                "topicsupport",
                "person",
            ):
                continue
            person_cols = [
                c for c in constraint.columns if any(fk.column.table.name == "person" for fk in c.foreign_keys)
            ]
            if len(person_cols) != 1:
                continue
            pcol = person_cols[0]
            others = [c for c in constraint.columns if c is not pcol]
            kept_rows = sa.select(*others).where(pcol == keep) if others else None
            if kept_rows is None:
                exists = sa.select(sa.literal(1)).select_from(table).where(pcol == keep).exists()
                await session.exec(sa.delete(table).where(pcol == gone, exists))
            else:
                match = sa.tuple_(*others).in_(kept_rows) if len(others) > 1 else others[0].in_(kept_rows)
                await session.exec(sa.delete(table).where(pcol == gone, match))


async def _recount_supports(session: AsyncSession, person_id: int) -> None:
    """Keep ideas' and topics' support counts equal to their supports after duplicates went."""
    idea_count = select(func.count()).select_from(Support).where(Support.idea_id == Idea.id).scalar_subquery()
    await session.exec(
        update(Idea)
        .values(support_count=idea_count)
        .where(col(Idea.id).in_(select(col(Support.idea_id)).where(col(Support.person_id) == person_id)))
    )
    topic_count = (
        select(func.count()).select_from(TopicSupport).where(TopicSupport.topic_id == Topic.id).scalar_subquery()
    )
    await session.exec(
        update(Topic)
        .values(support_count=topic_count)
        .where(col(Topic.id).in_(select(col(TopicSupport.topic_id)).where(col(TopicSupport.person_id) == person_id)))
    )


async def _move_points(session: AsyncSession, keep: int, gone: int, now: datetime) -> int:
    """Move the ledger by appending entries: each of `gone`'s entries out at its own time, and in to `keep`.

    Dated like the entries they move, so every period's totals stay right for both people.
    """
    entries = (
        await session.exec(select(PointEntry).where(col(PointEntry.person_id) == gone).order_by(col(PointEntry.id)))
    ).all()
    moved = 0
    for entry in entries:
        if entry.award_key.startswith(MERGE_KEY):
            continue  # already a transfer out of this person
        key = f"{MERGE_KEY}{entry.id}:{entry.award_key}"
        if await award(
            session,
            keep,
            entry.points,
            entry.stage,
            entry.ref_kind,
            entry.ref_id,
            key,
            entry.reason,
            entry.awarded_by,
            entry.created_at,
        ):
            await award(
                session,
                gone,
                -entry.points,
                entry.stage,
                entry.ref_kind,
                entry.ref_id,
                f"{MERGE_KEY}out:{entry.id}",
                "merge",
                entry.awarded_by,
                entry.created_at,
            )
            moved += 1
    return moved


async def merge(session: AsyncSession, keep: Person, gone: Person, *, now: datetime, actor_id: int | None) -> None:
    """Make `gone`'s accounts, ideas, supports, votes and points `keep`'s, once; `gone` stays as the record."""
    assert keep.id is not None and gone.id is not None
    if gone.merged_into_id is not None:
        return
    await _drop_duplicates(session, keep.id, gone.id)
    for column in _person_columns():
        await session.exec(sa.update(column.table).where(column == gone.id).values({column.name: keep.id}))
    await session.exec(
        update(Department).where(col(Department.head_person_id) == gone.id).values(head_person_id=keep.id)
    )
    await session.exec(
        update(Reminder).where(col(Reminder.audience) == f"person:{gone.id}").values(audience=f"person:{keep.id}")
    )
    await session.exec(update(Person).where(col(Person.merged_into_id) == gone.id).values(merged_into_id=keep.id))
    await _recount_supports(session, keep.id)
    moved = await _move_points(session, keep.id, gone.id, now)
    keep.is_organizer = keep.is_organizer or gone.is_organizer
    keep.rank = keep.rank or gone.rank
    keep.department_id = keep.department_id or gone.department_id
    keep.locale = keep.locale or gone.locale
    gone.merged_into_id = keep.id
    session.add_all([keep, gone])
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor_id,
            action="person.merged",
            subject_kind="person",
            subject_id=keep.id,
            detail={"merged": gone.id, "point_entries": moved},
        )
    )
    await session.flush()


async def link_by_code(
    session: AsyncSession, redeemer: Person, identity: Identity, code: str, *, now: datetime, max_attempts: int
) -> Person | str:
    """Link the account the code was sent from to the code's person, or the catalog key of why not.

    A wrong, used or expired code is returned (not raised) so that the refused attempt is kept.
    """
    assert redeemer.id is not None
    if await failed_attempts(session, redeemer.id, now - timedelta(hours=1)) >= max_attempts:
        raise UserError("link.too_many_attempts")
    row, problem = await find_code(session, code, now)
    if problem or row is None:
        session.add(
            AuditEntry(
                at=now,
                actor_id=redeemer.id,
                action=REFUSED,
                subject_kind="account",
                subject_id=identity.id,
                detail={"why": problem},
            )
        )
        return {"unknown": "link.unknown_code", "used": "link.used_code", "expired": "link.expired_code"}[problem]
    if row.platform == identity.platform:
        raise UserError("link.other_platform")
    issuer = await session.get(Person, row.person_id)
    assert issuer is not None
    if issuer.merged_into_id is not None:
        issuer = await session.get(Person, issuer.merged_into_id)
        assert issuer is not None
    await check_linkable(session, issuer, redeemer)
    # One UPDATE, not a read then a write: two accounts sending the code at once cannot both use it.
    claimed = await session.exec(
        update(LinkCode).where(col(LinkCode.id) == row.id, col(LinkCode.used_at).is_(None)).values(used_at=now)
    )
    if claimed.rowcount != 1:
        return "link.used_code"
    keep, gone = survivor_of(issuer, redeemer)
    await merge(session, keep, gone, now=now, actor_id=redeemer.id)
    return keep


async def unlink(session: AsyncSession, identity: Identity, *, now: datetime, actor_id: int | None) -> Person:
    """Give `identity` a new person of its own; what was done so far stays with the person it leaves."""
    others = [i for i in await _accounts(session, identity.person_id) if i.id != identity.id and i.platform != "system"]
    if not others:
        raise UserError("link.only_account")
    old = identity.person_id
    person = Person(name=identity.username or identity.external_id, created_at=now)
    session.add(person)
    await session.flush()
    assert person.id is not None
    identity.person_id = person.id
    session.add(identity)
    # Its direct chat goes with it (a person has one account per platform), so erasing either finds only its own.
    await session.exec(
        update(Room)
        .where(col(Room.person_id) == old, col(Room.platform) == identity.platform, col(Room.is_direct).is_(True))
        .values(person_id=person.id)
    )
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor_id,
            action="person.unlinked",
            subject_kind="person",
            subject_id=old,
            detail={"account": f"{identity.platform}:{identity.external_id}", "new_person": person.id},
        )
    )
    await session.flush()
    return person
