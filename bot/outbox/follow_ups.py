"""Follow-ups: the messages an entry asks for once it is delivered (an invite link passed on) or has failed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.messages import FollowUp, Wording
from bot.outbox.entries import add_raw


def word(wording: Wording, **late: str) -> str:
    """The text of `wording` in its locale, the late values given to it and to every wording inside."""
    params = {
        name: word(value, **late) if isinstance(value, Wording) else value for name, value in wording.params.items()
    }
    return Translator(wording.locale)(wording.key, **{**late, **params})


def send_follow_up(session: AsyncSession, follow_up: FollowUp, now: datetime, **late: str) -> None:
    """Queue the follow-up, worded with what only the delivery (or its failure) told."""
    add_raw(session, follow_up.to, text=word(follow_up.wording, **late), priority=follow_up.priority, now=now)
