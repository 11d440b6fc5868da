"""Who is looking at the dashboard: the person of a session and their roles, decided as in chat (bot.people)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import people
from bot.config import Settings
from bot.honorifics import called
from storage.tables import CommitteeMember, Department, Identity, Person, WebSession

ORGANIZER, HEAD, STAFF = "organizer", "head", "staff"


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, read afresh on every request: a role taken away in chat is gone here too."""

    person_id: int
    identity_id: int | None
    name: str
    called: str
    locale: str
    organizer: bool
    head_of: tuple[int, ...]  # the departments this person heads
    committee: bool
    csrf: str

    @property
    def role(self) -> str:
        return ORGANIZER if self.organizer else HEAD if self.head_of else STAFF


async def acting_identity(
    session: AsyncSession, person: Person, preferred_id: int | None, settings: Settings
) -> Identity | None:
    """The account the person acts as: one that makes them an organizer, else the one they logged in from."""
    accounts = await people.reachable_accounts(session, person)
    for identity in accounts:
        if people.is_organizer(person, identity, settings):
            return identity
    return next((i for i in accounts if i.id == preferred_id), accounts[0] if accounts else None)


async def viewer_of(session: AsyncSession, web_session: WebSession, settings: Settings) -> Viewer | None:
    person = await session.get(Person, web_session.person_id)
    # Accounts linked since the log-in: the person merged away lives on in the one who stayed.
    while person is not None and person.merged_into_id is not None:
        person = await session.get(Person, person.merged_into_id)
    if person is None or person.id is None:
        return None
    identity = await acting_identity(session, person, web_session.identity_id, settings)
    headed = (await session.exec(select(Department.id).where(Department.head_person_id == person.id))).all()
    member = (
        await session.exec(
            select(CommitteeMember.id).where(
                CommitteeMember.person_id == person.id, col(CommitteeMember.active).is_(True)
            )
        )
    ).first()
    locale = person.locale or settings.locale
    return Viewer(
        person_id=person.id,
        identity_id=identity.id if identity else None,
        name=person.name,
        called=called(person, locale),
        locale=locale,
        organizer=people.is_organizer(person, identity, settings),
        head_of=tuple(d for d in headed if d is not None),
        committee=member is not None,
        csrf=web_session.csrf_token,
    )
