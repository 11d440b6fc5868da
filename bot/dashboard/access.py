"""Log-in without passwords: one-time links (single use, short-lived, stored hashed) and browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import people
from bot.config import Settings
from bot.dashboard.viewer import Viewer, viewer_of
from storage.db import Database
from storage.tables import AuditEntry, Identity, Person, WebLoginLink, WebSession

LOGIN_PATH = "/web/login/"


def _hash(token: str) -> str:
    # "replace": a cookie of bytes that are not UTF-8 arrives with surrogates, which strict encoding refuses.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}{token}"


async def issue_link(
    session: AsyncSession, person: Person, identity: Identity | None, *, now: datetime, minutes: int
) -> str:
    """A new one-time log-in token for `person`; their earlier unused links stop working."""
    assert person.id is not None
    await session.exec(
        delete(WebLoginLink).where(col(WebLoginLink.person_id) == person.id, col(WebLoginLink.used_at).is_(None))
    )
    token = secrets.token_urlsafe(32)
    session.add(
        WebLoginLink(
            person_id=person.id,
            identity_id=identity.id if identity else None,
            token_hash=_hash(token),
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
    )
    return token


async def check_link(session: AsyncSession, token: str, now: datetime) -> str:
    """Why the link cannot be used ("unknown", "used", "expired"), or "" when it can."""
    link = (await session.exec(select(WebLoginLink).where(WebLoginLink.token_hash == _hash(token)))).first()
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.expires_at <= now:
        return "expired"
    return ""


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie's value; only its hash is stored
    csrf: str
    person_id: int
    expires_at: datetime


async def redeem_link(session: AsyncSession, token: str, *, now: datetime, hours: int) -> NewSession | str:
    """Use the link once and open a session; the reason it cannot be used otherwise."""
    reason = await check_link(session, token, now)
    if reason:
        return reason
    # Used only if nobody used it meanwhile: two tabs opening one link get one session.
    result = await session.exec(
        update(WebLoginLink)
        .where(col(WebLoginLink.token_hash) == _hash(token), col(WebLoginLink.used_at).is_(None))
        .values(used_at=now)
    )
    if not result.rowcount:
        return "used"
    link = (await session.exec(select(WebLoginLink).where(WebLoginLink.token_hash == _hash(token)))).one()
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    session.add(
        WebSession(
            person_id=link.person_id,
            identity_id=link.identity_id,
            token_hash=_hash(cookie),
            csrf_token=csrf,
            expires_at=expires,
            created_at=now,
        )
    )
    return NewSession(cookie, csrf, link.person_id, expires)


async def open_session(session: AsyncSession, cookie: str, now: datetime) -> WebSession | None:
    """The live session of a cookie, or None (unknown, expired, or its person merged away)."""
    row = (await session.exec(select(WebSession).where(WebSession.token_hash == _hash(cookie)))).first()
    if row is None or row.expires_at <= now:
        return None
    return row


async def end_session(session: AsyncSession, cookie: str) -> None:
    await session.exec(delete(WebSession).where(col(WebSession.token_hash) == _hash(cookie)))


def same_token(given: str, expected: str) -> bool:
    """A CSRF token compared in constant time."""
    return bool(given) and secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


# --- the same, each in a transaction of its own, for the web layer -------------------------------


async def link_for_handle(db: Database, settings: Settings, reference: str, now: datetime) -> str | None:
    """An operator's log-in link for a directory handle or `platform:user-id` (`idearoom web link`), or None."""
    async with db.session() as session:
        platform, sep, external_id = reference.partition(":")
        identity = await people.account(session, platform, external_id) if sep else None
        person = await session.get(Person, identity.person_id) if identity else None
        if person is None:
            person = (await session.exec(select(Person).where(Person.handle == reference))).first()
        if person is None:
            return None
        identity = identity or await people.reachable_account(session, person)
        token = await issue_link(session, person, identity, now=now, minutes=settings.web_link_minutes)
        session.add(
            AuditEntry(
                at=now, action="web.link_issued", subject_kind="person", subject_id=person.id, detail={"via": "cli"}
            )
        )
    return login_url(settings.web_url, token)


async def link_state(db: Database, token: str, now: datetime) -> str:
    async with db.session() as session:
        return await check_link(session, token, now)


async def sign_in(db: Database, settings: Settings, token: str, now: datetime) -> NewSession | str:
    async with db.session() as session:
        opened = await redeem_link(session, token, now=now, hours=settings.web_session_hours)
        if isinstance(opened, NewSession):
            session.add(
                AuditEntry(
                    at=now,
                    actor_id=opened.person_id,
                    action="web.signed_in",
                    subject_kind="person",
                    subject_id=opened.person_id,
                )
            )
    return opened


async def viewer_for(db: Database, settings: Settings, cookie: str, now: datetime) -> Viewer | None:
    """Who holds this session cookie now, or None."""
    if not cookie:
        return None
    async with db.session() as session:
        row = await open_session(session, cookie, now)
        return await viewer_of(session, row, settings) if row else None


async def sign_out(db: Database, cookie: str) -> None:
    async with db.session() as session:
        await end_session(session, cookie)
