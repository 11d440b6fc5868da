"""Read-only lookups about invitations: who and what one names, which departments a topic suggests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import routing
from bot.context import Context
from storage.tables import Department, Identity, Invitation, InvitationState, Person, Reminder, Room, Topic

SUGGESTIONS = 3


@dataclass
class Parties:
    """Everything an invitation's messages name: who, which department, which topic and room."""

    invitation: Invitation
    head: Person
    inviter: Person
    department: Department
    topic: Topic | None
    room: Room

    @property
    def room_title(self) -> str:
        return self.room.title or self.room.external_id

    @property
    def topic_title(self) -> str:
        return self.topic.title if self.topic else ""

    def names(self) -> dict[str, object]:
        """What the room's and the organizer's messages about an answer name."""
        return dict(head=self.head.name, department=self.department.name, topic=self.topic_title)


async def parties_of(session: AsyncSession, invitation: Invitation) -> Parties:
    get = session.get
    head, inviter = await get(Person, invitation.head_person_id), await get(Person, invitation.invited_by)
    department, room = await get(Department, invitation.department_id), await get(Room, invitation.room_id)
    topic = await get(Topic, invitation.topic_id) if invitation.topic_id else None
    assert head and inviter and department and room
    return Parties(invitation, head, inviter, department, topic, room)


async def ranked_departments(ctx: Context, topic: Topic) -> list[Department]:
    """The departments in charge of the topic, best first, raised by organizers' earlier choices."""
    past = await routing.past_choices(ctx, except_topic=topic.id)
    return await routing.rank(ctx, f"{topic.title} {topic.description}", SUGGESTIONS, past)


async def open_invitation(session: AsyncSession, topic_id: int, head_id: int) -> Invitation | None:
    """The head's invitation to the topic that still counts (waiting or accepted)."""
    return (
        await session.exec(
            select(Invitation).where(
                Invitation.topic_id == topic_id,
                Invitation.head_person_id == head_id,
                col(Invitation.state).in_([InvitationState.pending, InvitationState.accepted]),
            )
        )
    ).first()


async def pending_of_topic(session: AsyncSession, topic_id: int) -> list[Invitation]:
    rows = await session.exec(
        select(Invitation).where(Invitation.topic_id == topic_id, Invitation.state == InvitationState.pending)
    )
    return list(rows.all())


async def account_on(session: AsyncSession, person_id: int, platform: str) -> Identity | None:
    """The person's account on a platform, to bring them into a room there."""
    return (
        await session.exec(select(Identity).where(Identity.person_id == person_id, Identity.platform == platform))
    ).first()


async def reminded_invitation(session: AsyncSession, reminder: Reminder) -> Invitation | None:
    """The invitation a stored reminder is about, while it still waits for an answer."""
    invitation_id = (reminder.payload or {}).get("invitation_id")
    invitation = await session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    return invitation if invitation is not None and invitation.state == InvitationState.pending else None
