"""/remind: organizers set recurring reminders that fire on time, once, until removed."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from storage.tables import AuditEntry, RecurringReminder, Reminder, ReminderState
from tests.scheduler.clocked import ClockedStory, seoul


@pytest.fixture
async def clocked(sqlite_url: str):  # type: ignore[no-untyped-def]
    c = await ClockedStory.start(sqlite_url)
    for person in ("sujin", "jiwoo", "minji"):
        await c.story.dm(person, "/help")
    yield c
    await c.close()


async def count(clocked: ClockedStory, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with clocked.story.app.db.session() as session:
        return (await session.exec(select(func.count()).select_from(table).where(*where))).one()


async def test_a_weekly_reminder_in_the_room_fires_every_monday_at_nine(clocked: ClockedStory) -> None:
    story = clocked.story
    [added] = await story.say("sujin", '/remind add "월 09:00" here 주간 혁신추진단 회의 10시, 3층 회의실')
    assert "[월 09:00] → 이 방(room)" in added and "다음 알림: 2026. 4. 6.(월) 09:00" in added
    [listing] = await story.say("minji", "/remind list")
    assert "1. [월 09:00] → 이 방(room): 주간 혁신추진단 회의 10시, 3층 회의실 (다음: 2026. 4. 6.(월) 09:00)" in listing
    await clocked.move_to("2026-04-06T08:59")
    assert not any(text.startswith("⏰ 알림:") for text in story.in_room("room"))
    await clocked.move_to("2026-04-13T09:00")
    fired = [text for text in story.in_room("room") if text.startswith("⏰ 알림:")]
    assert fired == ["⏰ 알림: 주간 혁신추진단 회의 10시, 3층 회의실"] * 2
    occurrences = await clocked.reminders(Reminder.kind == "recurring")
    assert [(r.due_at, r.state) for r in occurrences] == [
        (seoul("2026-04-06T09:00"), ReminderState.sent),
        (seoul("2026-04-13T09:00"), ReminderState.sent),
        (seoul("2026-04-20T09:00"), ReminderState.pending),
    ]
    assert {r.recurring_id for r in occurrences} == {1}


async def test_audiences_organizers_committee_and_a_person(clocked: ClockedStory) -> None:
    story = clocked.story
    await story.say("sujin", "/committee add @jiwoo")
    await story.say("sujin", "/remind add 0 9 * * 1-5 organizers 오늘의 제안 검토 현황 확인")  # cron, unquoted
    await story.say("sujin", '/remind add "매주 금 17:30" committee 다음 주 안건 미리 보기')
    await story.say("sujin", '/remind add "daily 08:50" @minji 출근 후 아이디어방 확인')
    await clocked.move_to("2026-04-03T17:30")  # Friday
    assert story.to_person("sujin").count("⏰ 알림: 오늘의 제안 검토 현황 확인") == 4  # Tue to Fri
    assert story.to_person("jiwoo").count("⏰ 알림: 다음 주 안건 미리 보기") == 1
    assert story.to_person("minji").count("⏰ 알림: 출근 후 아이디어방 확인") == 4


async def test_bad_input_gets_examples_and_stores_nothing(clocked: ClockedStory) -> None:
    story = clocked.story
    [refused] = await story.say("minji", '/remind add "월 09:00" here 회의')
    assert "담당자만" in refused
    [bad] = await story.say("sujin", '/remind add "월요일 아홉시" here 회의')
    assert "'월요일 아홉시'는 알 수 없는 일정입니다" in bad and '예: /remind add "월 09:00"' in bad
    assert "알 수 없는 일정" in (await story.say("sujin", "/remind add 언젠가 here 회의"))[0]
    assert "알 수 없는 일정" in (await story.say("sujin", '/remind add "월 09:00 here 회의'))[0]
    assert "알 수 없는 대상" in (await story.say("sujin", '/remind add "월 09:00" everyone 회의'))[0]
    assert "찾을 수 없습니다" in (await story.say("sujin", '/remind add "월 09:00" @nobody 회의'))[0]
    assert "알림 내용을 적어 주세요" in (await story.say("sujin", '/remind add "월 09:00" here'))[0]
    assert "사용법" in (await story.say("sujin", "/remind add"))[0]
    assert "사용법" in (await story.say("sujin", "/remind frobnicate"))[0]
    assert await count(clocked, RecurringReminder) == 0
    assert await count(clocked, Reminder, Reminder.kind == "recurring") == 0


async def test_removing_a_reminder_cancels_what_was_coming(clocked: ClockedStory) -> None:
    story = clocked.story
    await story.say("sujin", '/remind add "월 09:00" here 첫째')
    await story.say("sujin", '/remind add "화 09:00" here 둘째')
    assert "담당자만" in (await story.say("minji", "/remind remove 1"))[0]
    assert "3번 정기 알림이 없습니다" in (await story.say("sujin", "/remind remove 3"))[0]
    assert "번호가 아닙니다" in (await story.say("sujin", "/remind remove 하나"))[0]
    [removed] = await story.say("sujin", "/remind remove 1")
    assert "1번 정기 알림을 지웠습니다: 첫째" in removed
    [listing] = await story.say("sujin", "/remind list")
    assert "1. [화 09:00]" in listing and "첫째" not in listing
    await clocked.move_to("2026-04-08T00:00")
    assert [t for t in story.in_room("room") if t.startswith("⏰ 알림:")] == ["⏰ 알림: 둘째"] * 2  # 3/31 and 4/7
    states = {r.dedupe_key.split(":")[1]: r.state for r in await clocked.reminders(Reminder.kind == "recurring")}
    assert states["1"] == ReminderState.cancelled
    assert await count(clocked, AuditEntry, AuditEntry.action == "remind.removed") == 1


async def test_missed_reminders_are_listed_for_organizers(sqlite_url: str) -> None:
    first = await ClockedStory.start(sqlite_url)
    await first.story.dm("sujin", "/help")
    await first.story.say("sujin", '/remind add "매일 09:00" here 아침 인사')
    await first.close()
    second = await ClockedStory.start(sqlite_url, at="2026-04-02T12:00")  # down for more than a day
    try:
        await second.runner.recover()
        await second.story.app.sender.drain()
        [notice] = [t for t in second.story.to_person("sujin") if "보내지 못한" in t]
        assert "2026. 3. 31.(화) 09:00 정기 알림" in notice
        [missed] = await second.story.say("sujin", "/remind missed", room="dm:sujin")
        assert "보내지 못한 알림 (최근 1건)" in missed and "2026. 3. 31.(화) 09:00 정기 알림" in missed
        [listing] = await second.story.say("sujin", "/remind list")
        assert "보내지 못한 알림이 1건" in listing and "다음: 2026. 4. 3.(금) 09:00" in listing
        [staff] = await second.story.say("minji", "/remind list")
        assert "보내지 못한" not in staff
        assert "담당자만" in (await second.story.say("minji", "/remind missed"))[0]
    finally:
        await second.close()


async def test_english_answers(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url, IDEAROOM_LOCALE="en")
    try:
        [bad] = await clocked.story.say("sujin", '/remind add "someday" here standup')
        assert bad.startswith("'someday' is not a schedule I understand.") and '/remind add "mon 09:00"' in bad
        [added] = await clocked.story.say("sujin", '/remind add "mon 09:00" here weekly task force meeting')
        assert added.startswith(
            "⏰ Recurring reminder added: [mon 09:00] → this room (room)\nNext: 2026-04-06 (Mon) 09:00\n"
        )
        assert "outside office hours (09:00-18:00, weekends and public holidays excluded)" in added
        [committee] = await clocked.story.say("minji", "/committee")
        assert committee.startswith("🏛️ Advisory committee members (0)")
    finally:
        await clocked.close()
