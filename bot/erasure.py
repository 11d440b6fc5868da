"""Erasure of a person (개인정보 삭제): a pseudonym instead of their name and accounts, the sums kept."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from storage.tables import (
    AuditEntry,
    CommitteeMember,
    FieldVisit,
    Idea,
    Identity,
    Invitation,
    LinkCode,
    OutboxMessage,
    PendingInput,
    Person,
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
    accounts = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    for account in accounts:
        # Their direct chat: Telegram's has their user id, the console's (and tests') "dm:<id>".
        direct = [account.external_id, f"dm:{account.external_id}"]
        # Messages to them hold their platform ids and what the bot told them.
        await session.exec(delete(OutboxMessage).where(OutboxMessage.platform == account.platform, OutboxMessage.dest_id.in_(direct)))  # type: ignore[call-overload, arg-type, attr-defined]
        rooms = (await session.exec(select(Room).where(Room.platform == account.platform, col(Room.is_direct).is_(True), Room.external_id.in_(direct)))).all()  # type: ignore[attr-defined]
        for room in rooms:
            room.external_id = f"erased:{room.id}"
            session.add(room)
    # What the bot said in rooms stays as the record of the room, with the pseudonym for the name.
    for old in {person.name, f"@{person.handle}" if person.handle else person.name}:
        await session.exec(update(OutboxMessage).where(OutboxMessage.text.contains(old)).values(text=sa.func.replace(OutboxMessage.text, old, pseudonym)))  # type: ignore[call-overload, attr-defined]
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
    person.name = pseudonym
    person.handle = None
    person.rank = None
    person.locale = None
    person.is_organizer = False
    session.add(person)
    session.add(AuditEntry(at=now, actor_id=actor_id, action="person.erased", subject_kind="person", subject_id=person.id, detail={"ideas": "removed" if remove_ideas else "kept"}))
    await session.flush()
    return pseudonym
