"""The SQLModel tables of the whole domain: people, rooms, topics, ideas, proposals, points, reminders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from storage import summaries
from storage.types import UTCDateTime, utcnow


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class _Stored(Protocol):
    id: int | None


def id_of(row: _Stored) -> int:
    """The id of a row read from the database (SQLModel types it `int | None`, for rows not stored yet)."""
    assert row.id is not None
    return row.id


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table class's Table: SQLModel sets `__table__` on each but declares it to no type checker."""
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table)
    return table


# --- People and the organisation -------------------------------------------------------


class Department(SQLModel, table=True):
    """A department of the city government and the duties it is in charge of."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    duties: str = Field(default="", sa_type=sa.Text)
    # No foreign key: person.department_id already points here, and a cycle would make
    # table creation order depend on ALTER TABLE, which SQLite cannot do.
    head_person_id: int | None = Field(default=None, index=True)
    created_at: datetime = _created()


class Person(SQLModel, table=True):
    """A member of staff, whatever platforms they use."""

    # Reports and the departments' leaderboard map people to departments from this index alone.
    __table_args__ = (sa.Index("ix_person_id_department", "id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    handle: str | None = Field(default=None, max_length=100, unique=True)
    # 직급 from the directory (주무관, 팀장, 과장, ...); None for people outside it.
    rank: str | None = Field(default=None, max_length=50)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    is_organizer: bool = False
    locale: str | None = Field(default=None, max_length=8)
    # Set when this person's accounts were linked into another person: the merge's record.
    # No foreign key: adding one would make SQLite rebuild the table every other table points at.
    merged_into_id: int | None = Field(default=None)
    created_at: datetime = _created()


class Identity(SQLModel, table=True):
    """A person's account on one platform (console name, Telegram user id, Slack user id)."""

    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=100)
    username: str | None = Field(default=None, max_length=100, index=True)
    # False until the platform lets the bot message this person directly (Telegram: /start).
    can_message: bool = True
    created_at: datetime = _created()


class LinkCode(SQLModel, table=True):
    """A one-time code that links the account it is sent from to the person who asked for it."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=20)  # where it was asked for
    code_hash: str = Field(max_length=64, unique=True)  # sha256 hex: the code itself is never stored
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _time()
    created_at: datetime = _created()


class Room(SQLModel, table=True):
    """A group chat or channel where the bot is used, or a direct chat with one person."""

    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=100)
    title: str = Field(default="", max_length=300)
    is_direct: bool = False
    # Whose direct chat this is: a Slack DM channel or a Matrix room id tells no one's name, but is theirs.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = _created()


# --- Topics and invitations ---------------------------------------------------------------


class TopicState(StrEnum):
    candidate = "candidate"
    active = "active"
    closed = "closed"


class Topic(SQLModel, table=True):
    """A monthly discussion topic: suggested as a candidate, picked (active), then closed."""

    # One active topic per room, even when two organizers pick at the same instant.
    __table_args__ = (
        sa.Index(
            "uq_topic_one_active_per_room",
            "room_id",
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    state: str = Field(default=TopicState.candidate, max_length=20, index=True)
    suggested_by: int | None = Field(default=None, foreign_key="person.id")
    support_count: int = 0
    picked_by: int | None = Field(default=None, foreign_key="person.id")
    picked_at: datetime | None = _time()
    closes_at: datetime | None = _time()
    closed_at: datetime | None = _time()
    created_at: datetime = _created()


class TopicSupport(SQLModel, table=True):
    """One person's support for a topic candidate."""

    __table_args__ = (sa.UniqueConstraint("topic_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = _created()


class InvitationState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"


class Invitation(SQLModel, table=True):
    """The invitation of a department head into a room for a topic."""

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int | None = Field(default=None, foreign_key="topic.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    head_person_id: int = Field(foreign_key="person.id", index=True)
    invited_by: int = Field(foreign_key="person.id")
    state: str = Field(default=InvitationState.pending, max_length=20, index=True)
    invite_link: str | None = Field(default=None, max_length=500)
    note: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _created()
    answered_at: datetime | None = _time()
    expires_at: datetime | None = _time()
    followed_up_at: datetime | None = _time()


class FieldVisit(SQLModel, table=True):
    """A field visit (현장 방문) proposed by a head with their answer to an invitation."""

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    topic_id: int | None = Field(default=None, foreign_key="topic.id", index=True)
    room_id: int = Field(foreign_key="room.id")
    visit_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(default="", max_length=300)
    note: str = Field(default="", sa_type=sa.Text)
    state: str = Field(default="planned", max_length=20)  # planned, held, cancelled
    # Held only once the head or an organizer says it took place; that is what pays its points.
    confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    confirmed_at: datetime | None = _time()
    created_at: datetime = _created()


# --- Ideas and supports ---------------------------------------------------------------------


class Idea(SQLModel, table=True):
    """An idea posted in a room, under the room's current topic or none."""

    # The month report counts a month's ideas and their authors from the second index alone.
    __table_args__ = (
        sa.Index("ix_idea_topic_support", "topic_id", "support_count"),
        sa.Index("ix_idea_created_author", "created_at", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    author_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(sa_type=sa.Text)
    # Kept in step with the supports table in the same transaction, so ranking needs no join.
    support_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # Withdrawn by its author: the number keeps answering, the listings leave it out.
    withdrawn_at: datetime | None = _time()
    # Merged by an organizer into another idea: its number answers with that one.
    merged_into_id: int | None = Field(default=None, foreign_key="idea.id")


class IdeaCoauthor(SQLModel, table=True):
    """An author of an idea merged into this one: a co-author, and a proposer of its proposals."""

    __table_args__ = (sa.UniqueConstraint("idea_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = _created()


class IdeaComment(SQLModel, table=True):
    """A reply to the bot's message of an idea (a Telegram reply, a Slack thread): part of its record."""

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = _created()


class IdeaTerm(SQLModel, table=True):
    """A term of an idea's text, so similar ideas are found without reading every idea."""

    term: str = Field(primary_key=True, max_length=16)
    idea_id: int = Field(primary_key=True, foreign_key="idea.id")


class TermCount(SQLModel, table=True):
    """How many ideas hold a term; rare terms weigh more and common ones are not looked up."""

    term: str = Field(primary_key=True, max_length=16)
    ideas: int = 0


class Support(SQLModel, table=True):
    """One person's support for an idea; the unique pair makes a second support impossible."""

    # The month report finds a month's supporters from the index alone (support had no time index).
    __table_args__ = (
        sa.UniqueConstraint("idea_id", "person_id"),
        sa.Index("ix_support_created_person", "created_at", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _created()
    # The reaction that gave it ("platform:chat:message or reaction id"), so that taking the
    # reaction back withdraws this support and no support given by a command or a button.
    reaction: str | None = Field(default=None, max_length=250, index=True)


class MessageLink(SQLModel, table=True):
    """Which idea (or other thing) a platform message stands for, so reactions can find it."""

    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    ref_kind: str = Field(max_length=20)
    ref_id: int
    # When the platform says the latest edit applied from this message was made (latest wins).
    edited_at: datetime | None = _time()


# --- Proposals ---------------------------------------------------------------------------


class ProposalState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    adopted = "adopted"
    rejected = "rejected"
    supplement = "supplement"
    maturing = "maturing"
    implementing = "implementing"
    implemented = "implemented"
    withdrawn = "withdrawn"


class Proposal(SQLModel, table=True):
    """A formal proposal bundled from ideas and reviewed by a department."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    state: str = Field(default=ProposalState.draft, max_length=20, index=True)
    created_by: int = Field(foreign_key="person.id")
    implementer_id: int | None = Field(default=None, foreign_key="person.id")
    # When a supplement (보완) was requested: the review clock stands still until the proposers answer.
    review_paused_at: datetime | None = _time()
    rejection_reason: str = Field(default="", sa_type=sa.Text)
    revived_count: int = 0
    submitted_at: datetime | None = _time()
    review_due_at: datetime | None = _time(index=True)
    decided_at: datetime | None = _time()
    implemented_at: datetime | None = _time()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ProposalIdea(SQLModel, table=True):
    """An idea bundled into a proposal (its author becomes a proposer)."""

    __table_args__ = (sa.UniqueConstraint("proposal_id", "idea_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    added_at: datetime = _created()


class ProposalTransition(SQLModel, table=True):
    """One change of a proposal's state, kept so the last one can be undone."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    from_state: str = Field(max_length=20)
    to_state: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    reason: str = Field(default="", sa_type=sa.Text)
    undone: bool = False
    at: datetime = _created()


# --- Smile points ------------------------------------------------------------------------


class PointEntry(SQLModel, table=True):
    """One line of the append-only smile points (미소포인트) ledger."""

    # Leaderboards and reports sum a period's points per person from this index alone.
    __table_args__ = (sa.Index("ix_pointentry_period_person", "created_at", "person_id", "points"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    points: int
    stage: str = Field(max_length=40, index=True)
    ref_kind: str = Field(default="", max_length=20)
    ref_id: int | None = None
    # The same award can never be written twice: replays and concurrent workers hit this.
    award_key: str = Field(max_length=200, unique=True)
    reason: str = Field(default="", sa_type=sa.Text)
    awarded_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)


class PointTotal(SQLModel, table=True):
    """A person's running sum of ledger entries per Asia/Seoul period, written with each entry.

    `period` is "all", a year ("2026"), a quarter ("2026-Q4") or a month ("2026-11"): a
    leaderboard or balance reads one row per person, however long the ledger grows.
    """

    # Ranking within a period (top, own rank, how many) from this index alone.
    __table_args__ = (sa.Index("ix_pointtotal_period_points", "period", "points", "person_id"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    points: int = 0


class MonthActivity(SQLModel, table=True):
    """A person's ideas and supports in an Asia/Seoul month: the report's participants (storage/summaries.py)."""

    month: str = Field(max_length=7, primary_key=True)
    person_id: int = Field(primary_key=True)
    ideas: int = 0
    supports: int = 0


class DepartmentMonth(SQLModel, table=True):
    """The ideas of a department's current staff in an Asia/Seoul month (0: people without one)."""

    month: str = Field(max_length=7, primary_key=True)
    department_key: int = Field(primary_key=True)
    ideas: int = 0


class DepartmentPoints(SQLModel, table=True):
    """The sum of a department's current staff's running totals per period, and how many totals it adds."""

    period: str = Field(max_length=7, primary_key=True)
    department_key: int = Field(primary_key=True)
    points: int = 0
    people: int = 0


sa.event.listen(SQLModel.metadata, "after_create", lambda _target, connection, **_: summaries.install(connection))


# --- Advisory committee -----------------------------------------------------------------


class CommitteeMember(SQLModel, table=True):
    """A member of the citizen-happiness proposal design advisory committee (자문단)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    added_by: int | None = Field(default=None, foreign_key="person.id")
    active: bool = True
    # The chair (위원장) closes the vote; at most one active member is chair.
    is_chair: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    added_at: datetime = _created()


class CommitteeMeeting(SQLModel, table=True):
    """One quarterly meeting of the committee and the agenda it votes on."""

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=10, unique=True)  # e.g. 2026-Q1
    meets_at: datetime = Field(sa_type=UTCDateTime)
    agenda_sent_at: datetime | None = _time()
    tallied_at: datetime | None = _time()
    # The chair who closed the vote; None when it closed by itself at the end of meeting day.
    closed_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _created()


class CommitteeVote(SQLModel, table=True):
    """A member's vote to revive or keep one maturing proposal at one meeting."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "proposal_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="committeemeeting.id", index=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    person_id: int = Field(foreign_key="person.id")
    choice: str = Field(max_length=10)  # revive, keep
    voted_at: datetime = _created()


class CommitteeOutcome(SQLModel, table=True):
    """The minutes (회의록) of one proposal at one meeting: the count, the quorum and the outcome."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "proposal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="committeemeeting.id", index=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    revive: int = 0
    keep: int = 0
    eligible: int = 0  # members who could vote on it (the recused excluded)
    quorum: int = 0
    quorum_met: bool = False
    outcome: str = Field(max_length=20)  # revived, kept, no_quorum
    recused: list[Any] = Field(default_factory=list, sa_type=JSON)  # person ids
    decided_at: datetime = _created()


# --- Reminders -----------------------------------------------------------------------------


class ReminderState(StrEnum):
    pending = "pending"
    claimed = "claimed"
    sent = "sent"
    missed = "missed"
    cancelled = "cancelled"


class Reminder(SQLModel, table=True):
    """Something due at a time for an audience; claimed in the database before it is sent."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    audience: str = Field(max_length=100)  # room:<id>, person:<id>, organizers, committee
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default=ReminderState.pending, max_length=20, index=True)
    # Makes scheduling the same reminder twice (two workers, a restart) a no-op.
    dedupe_key: str = Field(max_length=200, unique=True)
    recurring_id: int | None = Field(default=None, foreign_key="recurringreminder.id")
    claimed_at: datetime | None = _time()
    sent_at: datetime | None = _time()
    created_at: datetime = _created()


class RecurringReminder(SQLModel, table=True):
    """A custom recurring reminder set by an organizer (cron expression or weekday HH:MM)."""

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=100)
    audience: str = Field(max_length=100)
    text: str = Field(sa_type=sa.Text)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    created_by: int = Field(foreign_key="person.id")
    active: bool = True
    # True when the organizer asked for it at any hour; otherwise it waits for office hours.
    anytime: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = _created()


# --- Delivery, de-duplication and audit -------------------------------------------------


class OutboxState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """Something the core decided to send, written in the same transaction as its cause."""

    __table_args__ = (sa.Index("ix_outbox_pending", "state", "platform", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    dest_kind: str = Field(max_length=10)  # room, user
    dest_id: str = Field(max_length=100)
    kind: str = Field(default="message", max_length=20)  # message, invite, reaction, photo
    text: str = Field(default="", sa_type=sa.Text)
    buttons: list[Any] = Field(default_factory=list, sa_type=JSON)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # 0: an answer to someone's command, 5: a notice, 9: a bulk announcement.
    priority: int = 5
    coalesce_key: str | None = Field(default=None, max_length=40)
    ref_kind: str | None = Field(default=None, max_length=20)
    ref_id: int | None = None
    state: str = Field(default=OutboxState.pending, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = _created()
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = _time()
    sent_at: datetime | None = _time()
    platform_message_id: str | None = Field(default=None, max_length=100)
    error: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _created()


class ProcessedEvent(SQLModel, table=True):
    """A platform event already handled; claimed in the same transaction as its effects."""

    platform: str = Field(primary_key=True, max_length=20)
    event_id: str = Field(primary_key=True, max_length=200)
    processed_at: datetime = _created()


class PlatformCursor(SQLModel, table=True):
    """Where a platform's event stream was read up to (Matrix's sync token), stored after the events it covers."""

    platform: str = Field(primary_key=True, max_length=20)
    account: str = Field(primary_key=True, max_length=200)
    position: str = Field(sa_type=sa.Text)
    updated_at: datetime = _created()


class InboxState(StrEnum):
    pending = "pending"
    failed = "failed"


class InboxEvent(SQLModel, table=True):
    """A platform request as received, committed before the platform is answered; deleted once handled."""

    __table_args__ = (
        sa.UniqueConstraint("platform", "delivery_id"),
        sa.Index("ix_inbox_due", "state", "platform", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    # The platform's own id of the request (a retry of it carries the same one).
    delivery_id: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default=InboxState.pending, max_length=10)
    attempts: int = 0
    # Until then the worker that took the row is handling it; afterwards any worker may.
    lease_until: datetime = _created()
    error: str = Field(default="", sa_type=sa.Text)
    received_at: datetime = _created()


class PendingInput(SQLModel, table=True):
    """A question the bot asked a person and whose answer it waits for (e.g. a visit date)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    kind: str = Field(max_length=40)
    ref_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created()


class AuditEntry(SQLModel, table=True):
    """A state change or a refused attempt: who did what to which thing, and why."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=60, index=True)
    subject_kind: str = Field(default="", max_length=20)
    subject_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


# --- Web dashboard --------------------------------------------------------------------------


class WebLoginLink(SQLModel, table=True):
    """A one-time log-in link to the web dashboard (`/web`, `idearoom web link`), stored hashed."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    # The account that asked for it: the dashboard acts as that account does in chat.
    identity_id: int | None = Field(default=None, foreign_key="identity.id")
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex: the token itself is never stored
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _time()
    created_at: datetime = _created()


class WebSession(SQLModel, table=True):
    """A signed-in browser: the hash of its cookie, its CSRF token and when it ends."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    identity_id: int | None = Field(default=None, foreign_key="identity.id")
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = _created()
