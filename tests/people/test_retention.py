"""Retention: old event ids, delivered messages, inbox rows, audit entries, spent codes and files are purged in batches while events flow."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlmodel import select

from storage.tables import (
    AuditEntry,
    Idea,
    InboxEvent,
    InboxState,
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
            batches = (
                await session.exec(select(Reminder).where(Reminder.kind == "retention.purge", Reminder.state == "sent"))
            ).all()
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


async def test_inbox_rows_left_behind_and_leftover_files_are_purged_but_recent_ones_and_others_files_stay(
    database_url: str, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    clocked = await ClockedStory.start(
        database_url,
        at="2026-01-05T10:00",
        IDEAROOM_RETAIN_INBOX_DAYS="7",
        IDEAROOM_RETAIN_FILES_DAYS="1",
        IDEAROOM_REPORT_DIR=str(reports),
    )
    story = clocked.story
    try:
        await story.dm("minji", "/mydata")  # sent, so its file is gone at once
        assert not list(reports.rglob("mydata-*"))

        # What a crash or a platform outage leaves: requests given up (raw payloads: names, texts) and files.
        payload = {
            "event": {"user": "U-MINJI", "text": "민원실 대기표를 문자로", "user_profile": {"real_name": "박민지"}}
        }
        async with story.app.db.session() as session:
            for number, (received, state) in enumerate(
                [
                    ("2026-01-20T10:00", InboxState.failed),
                    ("2026-01-21T10:00", InboxState.pending),
                    ("2026-02-09T20:00", InboxState.failed),
                ]
            ):
                session.add(
                    InboxEvent(
                        platform="slack",
                        delivery_id=f"Ev{number}",
                        kind="event",
                        payload=payload,
                        state=state,
                        attempts=5,
                        lease_until=seoul(received),
                        received_at=seoul(received),
                    )
                )
        (reports / "mydata").mkdir(parents=True, exist_ok=True)
        left = [reports / "mydata" / "mydata-7-20260201T100000.json", reports / "report-2026-01-1a2b3c4d.png"]
        recent = reports / "mydata" / "mydata-7-20260209T230000.json"
        organizers_own = reports / "report-2026-01.xlsx"  # put there by an organizer (idearoom report --output)
        for path, written in [
            (left[0], "2026-02-01T10:00"),
            (left[1], "2026-02-01T11:00"),
            (recent, "2026-02-09T23:00"),
            (organizers_own, "2026-01-10T10:00"),
        ]:
            path.write_text("{}")
            os.utime(path, (seoul(written).timestamp(), seoul(written).timestamp()))

        await clocked.move_to("2026-02-10T02:59")
        await clocked.move_to("2026-02-10T03:05")  # the night's purge

        kept = await story.rows(InboxEvent)
        assert [row.delivery_id for row in kept] == ["Ev2"]  # received less than 7 days ago
        assert not any(path.exists() for path in left)
        assert recent.exists() and organizers_own.exists()
        purged = await story.rows(AuditEntry, AuditEntry.action == "retention.purged")
        assert sum(entry.detail.get("inboxevent", 0) for entry in purged) == 2
        assert sum(entry.detail.get("files", 0) for entry in purged) == 2
    finally:
        await clocked.close()
