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
    WebLoginLink,
    WebSession,
    Topic,
)


async def erase(session: AsyncSession, person: Person, *, remove_ideas: bool, locale: str, now: datetime, actor_id: int | None) -> str:
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
        await session.exec(delete(OutboxMessage).where(OutboxMessage.platform == account.platform, OutboxMessage.dest_kind == "user", OutboxMessage.dest_id == account.external_id))  # type: ignore[call-overload, arg-type]
    for room in rooms:
        # Their direct chat's id (a Telegram user id, a Slack DM channel, a Matrix room) and what was said there.
        await session.exec(delete(OutboxMessage).where(OutboxMessage.platform == room.platform, OutboxMessage.dest_id == room.external_id))  # type: ignore[call-overload, arg-type]
        await session.exec(delete(MessageLink).where(MessageLink.platform == room.platform, MessageLink.chat_id == room.external_id))  # type: ignore[call-overload, arg-type]
        room.external_id, room.title = f"erased:{room.id}", ""
        session.add(room)
    # What the bot said in rooms stays as the record of the room, with the pseudonym for the name.
    # So do the ledger's reasons (an organizer's award "for 박민지's survey"): the points are unchanged.
    for old in {person.name, f"@{person.handle}" if person.handle else person.name}:
        await session.exec(update(OutboxMessage).where(OutboxMessage.text.contains(old)).values(text=sa.func.replace(OutboxMessage.text, old, pseudonym)))  # type: ignore[call-overload, attr-defined]
        await session.exec(update(PointEntry).where(PointEntry.reason.contains(old)).values(reason=sa.func.replace(PointEntry.reason, old, pseudonym)))  # type: ignore[call-overload, attr-defined]
    # Signed in on the web no more: their dashboard sessions and log-in links end with the accounts.
    await session.exec(delete(WebSession).where(WebSession.person_id == person.id))  # type: ignore[call-overload, arg-type]
    await session.exec(delete(WebLoginLink).where(WebLoginLink.person_id == person.id))  # type: ignore[call-overload, arg-type]
    await session.exec(delete(Identity).where(Identity.person_id == person.id))  # type: ignore[call-overload, arg-type]
    await session.exec(delete(LinkCode).where(LinkCode.person_id == person.id))  # type: ignore[call-overload, arg-type]
    await session.exec(delete(PendingInput).where(PendingInput.person_id == person.id))  # type: ignore[call-overload, arg-type]
    await session.exec(update(CommitteeMember).where(CommitteeMember.person_id == person.id).values(active=False, is_chair=False))  # type: ignore[call-overload, arg-type]
    removed = t("erasure.removed_text")
    if remove_ideas:
        await session.exec(update(Idea).where(Idea.author_id == person.id).values(text=removed))  # type: ignore[call-overload, arg-type]
        await session.exec(update(IdeaComment).where(IdeaComment.person_id == person.id).values(text=removed))  # type: ignore[call-overload, arg-type]
        await session.exec(update(Topic).where(Topic.suggested_by == person.id, Topic.state == "candidate").values(title=removed, description=""))  # type: ignore[call-overload, arg-type]
    # Texts only they wrote that are not ideas: reasons, notes, reminders' texts.
    await session.exec(update(ProposalTransition).where(ProposalTransition.actor_id == person.id, ProposalTransition.reason != "").values(reason=removed))  # type: ignore[call-overload, arg-type]
    await session.exec(update(Invitation).where(Invitation.head_person_id == person.id, Invitation.note != "").values(note=removed))  # type: ignore[call-overload, arg-type]
    head_of = select(Invitation.id).where(Invitation.head_person_id == person.id)
    await session.exec(update(FieldVisit).where(FieldVisit.invitation_id.in_(head_of), FieldVisit.note != "").values(note=removed))  # type: ignore[call-overload, attr-defined]
    await session.exec(update(RecurringReminder).where(RecurringReminder.created_by == person.id).values(active=False))  # type: ignore[call-overload, arg-type]
    # Audit entries keep who did what, not the details they held (texts, names, account ids).
    about = sa.or_(AuditEntry.actor_id == person.id, sa.and_(AuditEntry.subject_kind == "person", AuditEntry.subject_id == person.id))
    await session.exec(update(AuditEntry).where(about).values(detail={}))  # type: ignore[call-overload]
    # The records of accounts linked into them (their Telegram or Matrix name until the link) go too.
    for merged in (await session.exec(select(Person).where(Person.merged_into_id == person.id))).all():
        merged.name, merged.handle, merged.rank, merged.locale = t("erasure.pseudonym", number=merged.id), None, None, None
        session.add(merged)
    person.name = pseudonym
    person.handle = None
    person.rank = None
    person.locale = None
    person.is_organizer = False
    session.add(person)
    session.add(AuditEntry(at=now, actor_id=actor_id, action="person.erased", subject_kind="person", subject_id=person.id, detail={"ideas": "removed" if remove_ideas else "kept"}))
    await session.flush()
    return pseudonym


async def _direct_rooms(session: AsyncSession, person_id: int, accounts: list[Identity]) -> list[Room]:
    """Their direct chats: known by their owner, or (kept before owners were) named after one of their accounts."""
    named = [
        sa.and_(Room.platform == a.platform, Room.external_id.in_([a.external_id, f"dm:{a.external_id}"]))  # type: ignore[attr-defined]
        for a in accounts
    ]
    theirs = sa.or_(Room.person_id == person_id, *named)
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
        await session.exec(delete(InboxEvent).where(col(InboxEvent.id).in_(theirs)))  # type: ignore[call-overload]
