"""Retention: old event ids, delivered messages, audit entries and spent codes are purged in batches while events flow."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from storage.tables import (
    AuditEntry,
    Idea,
    OutboxMessage,
    OutboxState,
    ProcessedEvent,
    Reminder,
)
from tests.scheduler.clocked import ClockedStory, seoul


async def test_old_rows_are_purged_in_batches_while_ideas_keep_coming(database_url: str) -> None:
    clocked = await ClockedStory.start(
        database_url,
        at="2026-01-05T10:00",
        IDEAROOM_RETAIN_EVENTS_DAYS="30",
        IDEAROOM_RETAIN_OUTBOX_DAYS="30",
        IDEAROOM_RETAIN_AUDIT_DAYS="30",
        IDEAROOM_RETENTION_BATCH="3",
    )
    story = clocked.story
    try:
        for number in range(5):  # January: five ideas, each an event id, a delivered answer and an audit entry
            await story.say("minji", f"/idea 1월의 아이디어 {number}")
        old_events = await story.count(ProcessedEvent)
        old_sent = await story.count(OutboxMessage, OutboxMessage.state == OutboxState.sent)
        old_audit = await story.count(AuditEntry)
        assert old_events >= 5 and old_sent >= 5 and old_audit >= 5

        await clocked.move_to("2026-02-10T02:59")  # more than 30 days later, just before the night's purge
        clocked.clock.advance(minutes=1)
        # The purge runs (03:00, then a batch a minute for the rest) while people keep posting.
        async def post_ideas() -> None:
            for number in range(4):
                await story.say("junho", f"/idea 2월의 아이디어 {number}")

        await asyncio.gather(clocked.runner.advance_to(seoul("2026-02-10T03:10")), post_ideas())
        await story.app.sender.drain()

        async with story.app.db.session() as session:
            events = (await session.exec(select(ProcessedEvent))).all()
            sent = (await session.exec(select(OutboxMessage).where(OutboxMessage.state == OutboxState.sent))).all()
            audit = (await session.exec(select(AuditEntry).where(AuditEntry.action != "retention.purged"))).all()
            batches = (await session.exec(select(Reminder).where(Reminder.kind == "retention.purge", Reminder.state == "sent"))).all()
        cutoff = seoul("2026-01-11T03:00")
        assert all(e.processed_at > cutoff for e in events) and len(events) >= 4
        assert all(m.created_at > cutoff for m in sent) and len(sent) >= 4
        assert all(a.at > cutoff for a in audit) and len(audit) >= 4
        assert len(batches) >= 2  # more old rows than one batch of 3: several short transactions
        # What is no personal log stays: every idea, January's too.
        assert await story.count(Idea) == 9
        purged = await story.rows(AuditEntry, AuditEntry.action == "retention.purged")
        assert sum(entry.detail.get("processedevent", 0) for entry in purged) == old_events
        assert sum(entry.detail.get("auditentry", 0) for entry in purged) == old_audit
        assert sum(entry.detail.get("outboxmessage", 0) for entry in purged) == old_sent
    finally:
        await clocked.close()
