"""An invitation's rules: how long a head has to answer, when they are reminded, what its states are called."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.office_hours import due_day, end_of_day
from storage.tables import InvitationState

ANSWER_DAYS = 7
FOLLOW_UP_DAYS = 3
ANSWERS = ("accept", "decline", "visit")
STATE_KEYS = {
    InvitationState.pending: "invitation.state_pending",
    InvitationState.accepted: "invitation.state_accepted",
    InvitationState.declined: "invitation.state_declined",
    InvitationState.expired: "invitation.state_expired",
}


def state_key(state: str) -> str:
    """The catalog key of a state's name (답변 대기, 수락 …)."""
    return STATE_KEYS[InvitationState(state)]


def expires_at(sent_at: datetime, tz: ZoneInfo, topic_closes: datetime | None = None) -> datetime:
    """The end of the answer's last day: seven days on, moved to a business day, as the letter says;
    sooner when the topic closes first (its invitations expire with it)."""
    due = end_of_day(due_day(sent_at, ANSWER_DAYS, tz), tz)
    return min(due, topic_closes) if topic_closes is not None else due


def reminders_of(sent_at: datetime, expires: datetime) -> tuple[tuple[str, datetime, str], ...]:
    """An invitation's reminders: kind, when due, the end of their dedupe key. It expires once its last day has ended."""
    return (
        ("invitation.follow_up", sent_at + timedelta(days=FOLLOW_UP_DAYS), "follow_up"),
        ("invitation.expire", expires + timedelta(minutes=1), "expire"),
    )
