"""Confirmations that would fall behind a room's pace: merged into one message, each person's own marked with a reaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.outbox.entries import add_raw, destination_of, entry_id, key_of
from bot.outbox.pacing import Budget
from bot.outbox.payloads import encode, message_payload
from bot.outbox.worker import Worker
from storage.tables import OutboxMessage, OutboxState

# Confirmations that may be merged into one message.
MERGEABLE = frozenset({"idea-ack"})
MERGE_AT_MOST = 100


def merged_acks_text(entries: list[OutboxMessage], locale: str) -> str:
    """One confirmation for several recorded ideas: '💡 아이디어 #12, #13번을 등록했습니다.'"""
    numbers = sorted(e.ref_id for e in entries if e.ref_id is not None)
    return Translator(locale)("outbox.ideas_recorded", numbers=", ".join(f"#{n}" for n in numbers), count=len(numbers))


def react_to(worker: Worker, session: AsyncSession, acks: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
    """Put a reaction on each person's own message, so they see at once that it was recorded."""
    gateway = worker.gateways.get(acks[0].platform)
    if gateway is None:
        return []
    made = []
    for ack in acks:
        payload = message_payload(ack.kind, ack.payload)
        reply_to = payload.get("reply_to")
        if payload.get("reacted") or not reply_to:
            continue
        payload["reacted"] = True
        ack.payload = encode(ack.kind, payload)
        made.append(
            add_raw(
                session,
                destination_of(ack),
                kind="reaction",
                text="",
                payload={"message_id": reply_to, "emoji": gateway.ack_reaction},
                priority=ack.priority,
                ref=("ack", entry_id(ack)),
                now=now,
            )
        )
    return made


def merge_if_due(
    worker: Worker,
    session: AsyncSession,
    group: list[OutboxMessage],
    budget: Budget,
    now: datetime,
    note_wait: Callable[[float], None],
) -> OutboxMessage | None:
    """One confirmation for the whole group, when the room can take a message now.

    Under a short budget merged confirmations go out at the pace the room can keep up
    (e.g. one every 3 s in a Telegram group), so the budget never runs dry for a minute
    and later ideas wait at most that long.
    """
    key = key_of(group[0])
    wait = max(
        budget.wait(*key, "message", now),
        budget.steady_interval(*key, "message") - budget.since_last(*key, "message", now),
    )
    if wait > 0:
        note_wait(wait)
        return None
    carrier = add_raw(
        session,
        destination_of(group[0]),
        text=merged_acks_text(group, worker.settings.locale),
        payload={"covers": [entry_id(e) for e in group]},
        priority=min(e.priority for e in group),
        now=now,
    )
    worker.lease(carrier, now)
    for entry in group:
        # Claimed by the carrier: no lease of their own, the carrier's lease covers them.
        entry.state = OutboxState.sending
        entry.claimed_by = worker.worker_id
        entry.claimed_at = None
    budget.record(*key, "message", now)
    worker.counts.merged += len(group)
    return carrier


async def settle_covered(
    session: AsyncSession, ids: list[int], state: str, now: datetime, *, message_id: str | None = None, error: str = ""
) -> None:
    """The confirmations a merged message stood for share its fate."""
    values: dict[str, Any] = {"state": state, "error": error}
    if state == OutboxState.sent:
        values.update(sent_at=now, platform_message_id=message_id)
        # A reaction not yet made is pointless once the confirmation is in the room.
        await session.exec(
            sa.delete(OutboxMessage).where(
                col(OutboxMessage.kind) == "reaction",
                col(OutboxMessage.state) == OutboxState.pending,
                col(OutboxMessage.ref_kind) == "ack",
                col(OutboxMessage.ref_id).in_(ids),
            )
        )
    await session.exec(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.state) != OutboxState.sent)
        .values(**values)
    )
