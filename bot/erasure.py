"""Erasure of a person (개인정보 삭제): a pseudonym instead of their name and accounts, the sums kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from storage.tables import (
    AuditEntry,
    CommitteeMember,
    FieldVisit,
    Idea,
    IdeaComment,
    Identity,
    InboxEvent,
    Invitation,
    LinkCode,
    MessageLink,
    OutboxMessage,
    PendingInput,
    Person,
    PointEntry,
    ProposalTransition,
    RecurringReminder,
    Room,
    Topic,
    WebLoginLink,
    WebSession,
)


async def erase(
    session: AsyncSession, person: Person, *, remove_ideas: bool, locale: str, now: datetime, actor_id: int | None
) -> str:
    """Replace `person` by a pseudonym, drop their accounts and the free texts they alone wrote; returns the pseudonym.

    The person row stays (as the pseudonym), so their points, supports, votes and the proposals'
    history keep pointing at it: every sum and count is what it was.
    """
    assert person.id is not None
    t = Translator(locale)
    pseudonym = t("erasure.pseudonym", number=person.id)
    accounts = list((await session.exec(select(Identity).where(Identity.person_id == person.id))).all())
    rooms = await _direct_rooms(session, person.id, accounts)
    await _forget_requests(session, {a.external_id for a in accounts} | {r.external_id for r in rooms})
    for account in accounts:
        # Messages to them hold their platform ids and what the bot told them, sent or still waiting.
        await session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.platform) == account.platform,
                col(OutboxMessage.dest_kind) == "user",
                col(OutboxMessage.dest_id) == account.external_id,
            )
        )
    for room in rooms:
        # Their direct chat's id (a Telegram user id, a Slack DM channel, a Matrix room) and what was said there.
        await session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.platform) == room.platform, col(OutboxMessage.dest_id) == room.external_id
            )
        )
        await session.exec(
            delete(MessageLink).where(
                col(MessageLink.platform) == room.platform, col(MessageLink.chat_id) == room.external_id
            )
        )
        room.external_id, room.title = f"erased:{room.id}", ""
        session.add(room)
    # What the bot said in rooms stays as the record of the room, with the pseudonym for the name.
    # So do the ledger's reasons (an organizer's award "for 박민지's survey"): the points are unchanged.
    for old in {person.name, f"@{person.handle}" if person.handle else person.name}:
        await session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.text).contains(old))
            .values(text=sa.func.replace(col(OutboxMessage.text), old, pseudonym))
        )
        await session.exec(
            update(PointEntry)
            .where(col(PointEntry.reason).contains(old))
            .values(reason=sa.func.replace(col(PointEntry.reason), old, pseudonym))
        )
    # Signed in on the web no more: their dashboard sessions and log-in links end with the accounts.
    await session.exec(delete(WebSession).where(col(WebSession.person_id) == person.id))
    await session.exec(delete(WebLoginLink).where(col(WebLoginLink.person_id) == person.id))
    await session.exec(delete(Identity).where(col(Identity.person_id) == person.id))
    await session.exec(delete(LinkCode).where(col(LinkCode.person_id) == person.id))
    await session.exec(delete(PendingInput).where(col(PendingInput.person_id) == person.id))
    await session.exec(
        update(CommitteeMember).where(col(CommitteeMember.person_id) == person.id).values(active=False, is_chair=False)
    )
    removed = t("erasure.removed_text")
    if remove_ideas:
        await session.exec(update(Idea).where(col(Idea.author_id) == person.id).values(text=removed))
        await session.exec(update(IdeaComment).where(col(IdeaComment.person_id) == person.id).values(text=removed))
        await session.exec(
            update(Topic)
            .where(col(Topic.suggested_by) == person.id, col(Topic.state) == "candidate")
            .values(title=removed, description="")
        )
    # Texts only they wrote that are not ideas: reasons, notes, reminders' texts.
    await session.exec(
        update(ProposalTransition)
        .where(col(ProposalTransition.actor_id) == person.id, col(ProposalTransition.reason) != "")
        .values(reason=removed)
    )
    await session.exec(
        update(Invitation)
        .where(col(Invitation.head_person_id) == person.id, col(Invitation.note) != "")
        .values(note=removed)
    )
    head_of = select(Invitation.id).where(Invitation.head_person_id == person.id)
    await session.exec(
        update(FieldVisit)
        .where(col(FieldVisit.invitation_id).in_(head_of), col(FieldVisit.note) != "")
        .values(note=removed)
    )
    await session.exec(
        update(RecurringReminder).where(col(RecurringReminder.created_by) == person.id).values(active=False)
    )
    # Audit entries keep who did what, not the details they held (texts, names, account ids).
    about = sa.or_(
        col(AuditEntry.actor_id) == person.id,
        sa.and_(col(AuditEntry.subject_kind) == "person", col(AuditEntry.subject_id) == person.id),
    )
    await session.exec(update(AuditEntry).where(about).values(detail={}))
    # The records of accounts linked into them (their Telegram or Matrix name until the link) go too.
    for merged in (await session.exec(select(Person).where(Person.merged_into_id == person.id))).all():
        merged.name, merged.handle, merged.rank, merged.locale = (
            t("erasure.pseudonym", number=merged.id),
            None,
            None,
            None,
        )
        session.add(merged)
    person.name = pseudonym
    person.handle = None
    person.rank = None
    person.locale = None
    person.is_organizer = False
    session.add(person)
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor_id,
            action="person.erased",
            subject_kind="person",
            subject_id=person.id,
            detail={"ideas": "removed" if remove_ideas else "kept"},
        )
    )
    await session.flush()
    return pseudonym


async def _direct_rooms(session: AsyncSession, person_id: int, accounts: list[Identity]) -> list[Room]:
    """Their direct chats: known by their owner, or (kept before owners were) named after one of their accounts."""
    named = [
        sa.and_(col(Room.platform) == a.platform, col(Room.external_id).in_([a.external_id, f"dm:{a.external_id}"]))
        for a in accounts
    ]
    theirs = sa.or_(col(Room.person_id) == person_id, *named)
    return list((await session.exec(select(Room).where(col(Room.is_direct).is_(True), theirs))).all())


def _values(payload: Any) -> Iterator[str]:
    if isinstance(payload, dict):
        for value in payload.values():
            yield from _values(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _values(value)
    elif payload is not None:
        yield str(payload)


async def _forget_requests(session: AsyncSession, ids: set[str]) -> None:
    """Inbox rows (raw requests, with names and texts) from or to their accounts: a value equal to one of their ids.

    The inbox holds only what is not handled yet (a few rows, or those given up), so reading it is cheap.
    """
    rows = (await session.exec(select(InboxEvent.id, InboxEvent.payload))).all()
    theirs = [row_id for row_id, payload in rows if ids.intersection(_values(payload))]
    if theirs:
        await session.exec(delete(InboxEvent).where(col(InboxEvent.id).in_(theirs)))
