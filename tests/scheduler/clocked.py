"""Test helpers for scheduled work: a story on a manual clock in Seoul time, and its scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.ports import ManualClock
from scheduler.firing import FireReport
from scheduler.runner import SchedulerRunner
from storage.tables import Reminder
from tests.harness import Story, test_settings

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(text: str) -> datetime:
    """A local time as people in the office read it, e.g. `2026-03-31T08:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


@dataclass
class ClockedStory:
    """A story whose time only moves when the test moves it."""

    story: Story
    clock: ManualClock
    runner: SchedulerRunner

    @classmethod
    async def start(cls, database_url: str, at: str = "2026-03-31T08:00", **settings: object) -> ClockedStory:
        clock = ManualClock(seoul(at))
        story = await Story.start(test_settings(database_url, **settings), clock)
        return cls(story, clock, SchedulerRunner(story.app.core))

    async def move_to(self, local: str) -> list[FireReport]:
        """Move the clock to a local time, firing what falls due on the way, and deliver it."""
        reports = await self.runner.advance_to(seoul(local))
        await self.story.app.sender.drain()
        return reports

    async def reminders(self, *where) -> list[Reminder]:  # type: ignore[no-untyped-def]
        async with self.story.app.db.session() as session:
            return list((await session.exec(select(Reminder).where(*where).order_by(Reminder.id))).all())

    async def close(self) -> None:
        await self.story.close()
