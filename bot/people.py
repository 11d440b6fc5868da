"""Who a person is: the one place that maps platform accounts to people and knows the organizers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.messages import Actor
from bot.text import clean_name
from storage.db import Database
from storage.tables import CommitteeMember, Identity, Person

# The bot's own account for what it does by itself (reminders, the scheduler); never a way to reach anyone.
SYSTEM_PLATFORM = "system"


_ACCOUNT_AND_PERSON = (
    select(Identity, Person)
    .join(Person, col(Person.id) == col(Identity.person_id))
    .where(Identity.platform == bindparam("platform"), Identity.external_id == bindparam("external_id"))
)


async def system_person(session: AsyncSession, now: datetime) -> tuple[Person, Identity]:
    """The bot's own person and account, made the first time: the actor of what no one person did."""
    identity = await account(session, SYSTEM_PLATFORM, SYSTEM_PLATFORM)
    if identity is None:
        person = Person(name="idearoom", created_at=now)
        session.add(person)
        await session.flush()
        assert person.id is not None
        identity = Identity(
            person_id=person.id, platform=SYSTEM_PLATFORM, external_id=SYSTEM_PLATFORM, can_message=False
        )
        session.add(identity)
        await session.flush()
    system = await session.get(Person, identity.person_id)
    assert system is not None
    return system, identity


async def account(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    """The stored account `platform:external_id`, if the bot has seen or been told about it."""
    query = select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    return (await session.exec(query)).first()


async def person_of_account(session: AsyncSession, platform: str, external_id: str) -> Person | None:
    """The person behind an account, or None: never guessed from a name the user chose."""
    identity = await account(session, platform, external_id)
    return await session.get(Person, identity.person_id) if identity else None


async def resolve_actor(
    session: AsyncSession, actor: Actor, *, now: datetime, handle_platforms: Collection[str] = ()
) -> tuple[Identity, Person]:
    """The account and person of whoever acts; a first-time account becomes a person of its own."""
    username = clean_name(actor.username) or None
    # The account and its person in one statement, built once: this runs for every event.
    known = (
        await session.exec(_ACCOUNT_AND_PERSON, params={"platform": actor.platform, "external_id": actor.user_id})
    ).first()
    if known is not None:
        found, owner = known
        if username and found.username != username:
            found.username = username
            session.add(found)
        return found, owner
    person: Person | None = None
    if actor.platform in handle_platforms:
        # Whoever types at the console plays the directory person of that handle. Nowhere
        # else: a username on a chat platform is chosen by its owner, so those accounts are
        # linked only by the ids in the directory (`idearoom directory import`).
        person = (await session.exec(select(Person).where(Person.handle == actor.user_id))).first()
    if person is None:
        person = Person(name=clean_name(actor.display_name) or username or actor.user_id, created_at=now)
        session.add(person)
        await session.flush()
    assert person.id is not None
    identity = Identity(
        person_id=person.id, platform=actor.platform, external_id=actor.user_id, username=username, created_at=now
    )
    session.add(identity)
    await session.flush()
    return identity, person


async def reachable_accounts(session: AsyncSession, person: Person, prefer: str | None = None) -> list[Identity]:
    """The accounts a message to `person` can go to: those on `prefer` first, then by age."""
    identities = (
        await session.exec(
            select(Identity).where(Identity.person_id == person.id, Identity.platform != SYSTEM_PLATFORM)
        )
    ).all()
    return sorted(identities, key=lambda i: (i.platform != prefer, i.id or 0))


async def reachable_account(session: AsyncSession, person: Person, prefer: str | None = None) -> Identity | None:
    """The account to reach `person` on, or None when the bot has no way to write to them."""
    accounts = await reachable_accounts(session, person, prefer)
    return accounts[0] if accounts else None


def is_organizer(person: Person, identity: Identity | None, settings: Settings) -> bool:
    """The organizer role: stored with the person, or given to the account by IDEAROOM_ORGANIZERS."""
    if person.is_organizer:
        return True
    return identity is not None and f"{identity.platform}:{identity.external_id}" in settings.organizers


async def organizers(session: AsyncSession, settings: Settings) -> list[Person]:
    """People with the organizer role, in the database or by IDEAROOM_ORGANIZERS."""
    people = list((await session.exec(select(Person).where(col(Person.is_organizer).is_(True)))).all())
    seen = {p.id for p in people}
    for entry in settings.organizers:
        platform, _, external_id = entry.partition(":")
        person = await person_of_account(session, platform, external_id)
        if person is not None and person.id not in seen:
            people.append(person)
            seen.add(person.id)
    return people


async def organizer_accounts(
    session: AsyncSession, settings: Settings, platform: str | None = None
) -> list[tuple[Person, Identity]]:
    """Each organizer with the account to reach them on (on `platform` only, when given)."""
    found = []
    for person in await organizers(session, settings):
        accounts = [i for i in await reachable_accounts(session, person) if platform in (None, i.platform)]
        if accounts:
            found.append((person, accounts[0]))
    return found


async def find_by_reference(session: AsyncSession, platform: str, reference: str) -> Person | None:
    """A person named by @mention, user id or username on `platform`, directory handle or full name."""
    ref = reference.strip()
    if ref.startswith("<@") and ref.endswith(">"):  # a mention in a platform's markup that slipped through
        ref = ref[2:-1].split("|", 1)[0]
    ref = ref.lstrip("@")
    if not ref:
        return None
    identity = (
        await session.exec(
            select(Identity).where(
                Identity.platform == platform, or_(col(Identity.external_id) == ref, col(Identity.username) == ref)
            )
        )
    ).first()
    if identity:
        return await session.get(Person, identity.person_id)
    query = select(Person).where(or_(col(Person.handle) == ref, col(Person.name) == ref)).order_by(col(Person.id))
    return (await session.exec(query)).first()


async def set_organizer(
    session: AsyncSession, platform: str, external_id: str, grant: bool, *, handle_platforms: Collection[str] = ()
) -> Person:
    """Give or take the organizer role of `platform:external_id`, creating the account if need be."""
    identity = await account(session, platform, external_id)
    person = await session.get(Person, identity.person_id) if identity else None
    if person is None and platform in handle_platforms:
        person = (await session.exec(select(Person).where(Person.handle == external_id))).first()
    if person is None:
        person = Person(name=external_id, handle=external_id if platform in handle_platforms else None)
        session.add(person)
        await session.flush()
    assert person.id is not None
    if identity is None:
        session.add(Identity(person_id=person.id, platform=platform, external_id=external_id))
    person.is_organizer = grant
    session.add(person)
    return person


async def seat_directory(db: Database, platform: str) -> None:
    """Give every directory person an account on `platform` named by their handle (the console's seats)."""
    async with db.session() as session:
        known = set((await session.exec(select(Identity.person_id).where(Identity.platform == platform))).all())
        for person in (await session.exec(select(Person).where(col(Person.handle).is_not(None)))).all():
            if person.id not in known and person.id is not None and person.handle:
                session.add(
                    Identity(person_id=person.id, platform=platform, external_id=person.handle, username=person.handle)
                )


async def organizer_chats(db: Database, settings: Settings, platform: str) -> list[tuple[str, str]]:
    """Each organizer's user id on `platform` with their language (e.g. for a fuller command menu)."""
    async with db.session() as session:
        return [
            (identity.external_id, person.locale or settings.locale)
            for person, identity in await organizer_accounts(session, settings, platform)
        ]


async def may_take_part(session: AsyncSession, person: Person, settings: Settings) -> bool:
    """Whether `person` may post, support and earn points under IDEAROOM_STRANGERS."""
    if settings.strangers == "allow" or person.handle is not None or is_organizer(person, None, settings):
        return True
    organizer_accounts_ = {entry for entry in settings.organizers}
    accounts = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    if any(f"{i.platform}:{i.external_id}" in organizer_accounts_ for i in accounts):
        return True
    # Citizen members of the advisory committee are outside the staff directory by nature.
    member = select(CommitteeMember.id).where(
        CommitteeMember.person_id == person.id, col(CommitteeMember.active).is_(True)
    )
    return (await session.exec(member)).first() is not None
