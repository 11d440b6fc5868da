"""An invitation's rules: how long a head has to answer, when they are reminded, what its states are called."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.tables import InvitationState

ANSWER_DAYS = 7
FOLLOW_UP_DAYS = 3
ANSWERS = ("accept", "decline", "visit")
# What an invitation's reminders are called, after how many days, and the end of their dedupe key.
REMINDERS = (("invitation.follow_up", FOLLOW_UP_DAYS, "follow_up"), ("invitation.expire", ANSWER_DAYS, "expire"))
STATE_KEYS = {
    InvitationState.pending: "invitation.state_pending",
    InvitationState.accepted: "invitation.state_accepted",
    InvitationState.declined: "invitation.state_declined",
    InvitationState.expired: "invitation.state_expired",
}


def state_key(state: str) -> str:
    """The catalog key of a state's name (답변 대기, 수락 …)."""
    return STATE_KEYS[InvitationState(state)]


def expires_at(sent_at: datetime) -> datetime:
    return sent_at + timedelta(days=ANSWER_DAYS)
