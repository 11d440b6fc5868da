"""What the bot sends on its own goes out on business days in office hours; due dates avoid holidays."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.tables import Idea, Proposal, Reminder, Topic
from tests.harness import Story
from tests.scheduler.clocked import ClockedStory, seoul


@pytest.fixture
async def clocked(database_url: str):  # type: ignore[no-untyped-def]
    c = await ClockedStory.start(database_url, at="2026-04-08T10:00")  # a Wednesday
    for person in ("sujin", "dohyun", "minji"):
        await c.story.dm(person, "/help")
    yield c
    await c.close()


def reminders_in(story: Story, text: str, room: str = "room") -> list[str]:
    """What the bot posted in the room on its own that mentions `text` (not answers to commands)."""
    return [t for t in story.in_room(room) if text in t and not t.startswith(("⏰ 정기 알림을 등록", "⏰ 정기 알림 ("))]


async def test_a_saturday_reminder_arrives_on_monday_at_nine(clocked: ClockedStory) -> None:
    story = clocked.story
    [added] = await story.say("sujin", '/remind add "토 10:00" here 주간 보고서를 올려 주세요')
    assert "다음 알림: 2026. 4. 13.(월) 09:00" in added and "다음 업무 시작 시각에 보내 드립니다" in added
    [listing] = await story.say("minji", "/remind list")
    assert "(다음: 2026. 4. 13.(월) 09:00)" in listing
    await clocked.move_to("2026-04-11T10:00")  # Saturday
    assert reminders_in(story, "주간 보고서") == []
    await clocked.move_to("2026-04-13T08:59")
    assert reminders_in(story, "주간 보고서") == []
    await clocked.move_to("2026-04-13T09:00")  # Monday
    assert reminders_in(story, "주간 보고서") == ["⏰ 알림: 주간 보고서를 올려 주세요"]


async def test_an_organizer_may_ask_for_a_weekend_reminder_explicitly(clocked: ClockedStory) -> None:
    story = clocked.story
    [added] = await story.say("sujin", '/remind add "토 10:00" anytime here 당직 점검')
    assert "다음 알림: 2026. 4. 11.(토) 10:00" in added and "업무시간과 관계없이" in added
    [listing] = await story.say("minji", "/remind list")
    assert "당직 점검 (다음: 2026. 4. 11.(토) 10:00) · 업무시간과 관계없이 보냄" in listing
    await clocked.move_to("2026-04-11T10:00")
    assert reminders_in(story, "당직 점검") == ["⏰ 알림: 당직 점검"]


async def test_replies_to_a_persons_own_action_stay_immediate(clocked: ClockedStory) -> None:
    story = clocked.story
    await clocked.move_to("2026-04-11T22:30")  # Saturday night
    [answer] = await story.say("minji", "/idea 주말에도 민원 접수를 온라인으로")
    assert "아이디어 #1번을 등록했습니다" in answer


async def test_a_daily_reminder_skips_the_weekend_and_seollal(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url, at="2026-02-12T10:00")  # Thursday before 설날
    try:
        story = clocked.story
        await story.dm("sujin", "/help")
        await story.say("sujin", '/remind add "매일 09:00" here 오늘의 아이디어를 확인해 주세요')
        await clocked.move_to("2026-02-19T09:30")
        occurrences = await clocked.reminders(Reminder.kind == "recurring", Reminder.state == "sent")
        # Friday the 13th, then 설날 (16-18 Feb) and the weekend are skipped: next is Thursday the 19th.
        assert [r.due_at for r in occurrences] == [seoul("2026-02-13T09:00"), seoul("2026-02-19T09:00")]
        assert len(reminders_in(story, "오늘의 아이디어")) == 2
    finally:
        await clocked.close()


async def submitted(story: Story, title: str) -> Proposal:
    await story.say("minji", f"/idea {title}을 위한 제안")
    async with story.app.db.session() as session:
        idea = (await session.exec(select(Idea).where(Idea.text == f"{title}을 위한 제안"))).one()
    await story.say("sujin", f"/proposal new {idea.id} {title}")
    async with story.app.db.session() as session:
        proposal = (await session.exec(select(Proposal).where(Proposal.title == title))).one()
    await story.say("sujin", f"/proposal submit {proposal.id} 교통정책과")
    async with story.app.db.session() as session:
        return (await session.exec(select(Proposal).where(Proposal.id == proposal.id))).one()


def due_day(proposal: Proposal) -> str:
    assert proposal.review_due_at is not None
    return proposal.review_due_at.astimezone(seoul("2026-01-01T00:00").tzinfo).date().isoformat()


async def test_a_review_due_on_a_sunday_is_due_monday_and_overdue_only_the_day_after(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url, at="2026-04-10T10:00")  # Friday; +30 days is Sunday 10 May
    try:
        story = clocked.story
        for person in ("sujin", "dohyun"):
            await story.dm(person, "/help")
        proposal = await submitted(story, "버스정류장 온열의자")
        assert due_day(proposal) == "2026-05-11"
        assert any("검토 기한: 2026. 5. 11.(월)" in t for t in story.in_room("room"))

        await clocked.move_to("2026-05-04T09:00")  # a week before (5 May is 어린이날): the Monday
        assert any("검토 기한(2026. 5. 11.(월))이 7일 남았습니다" in t for t in story.to_person("dohyun"))
        await clocked.move_to("2026-05-08T09:00")  # the business day before: Friday
        assert any("검토 기한(2026. 5. 11.(월))이 3일 남았습니다" in t for t in story.to_person("dohyun"))
        await clocked.move_to("2026-05-11T23:59")  # the due day itself: not overdue yet
        assert not any("지났습니다" in t for t in story.to_person("sujin"))
        await clocked.move_to("2026-05-12T08:59")
        assert not any("지났습니다" in t for t in story.to_person("sujin"))
        await clocked.move_to("2026-05-12T09:00")
        assert [t for t in story.to_person("sujin") if "지났습니다" in t] == [
            "⚠️ 제안 #1 '버스정류장 온열의자'의 검토 기한(2026. 5. 11.(월))이 지났습니다. 교통정책과에 확인을 부탁드립니다."
        ]
        times = [r.due_at for r in await clocked.reminders(Reminder.kind.startswith("proposal."))]  # type: ignore[attr-defined]
        assert all(t.astimezone(seoul("2026-01-01T00:00").tzinfo).weekday() < 5 for t in times)
    finally:
        await clocked.close()


async def test_review_deadlines_move_past_chuseok_and_a_substitute_holiday(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url, at="2026-08-26T10:00")  # +30 days is 추석 (25 Sep)
    try:
        story = clocked.story
        chuseok = await submitted(story, "명절 귀성 버스 증편")
        assert due_day(chuseok) == "2026-09-28"  # 추석 24-26 Sep and the weekend are passed over
        clocked.clock.set(seoul("2026-09-03T10:00"))  # +30 days is 개천절 (Sat 3 Oct), its substitute Mon 5 Oct
        substitute = await submitted(story, "개천절 행사 셔틀버스")
        assert due_day(substitute) == "2026-10-06"
    finally:
        await clocked.close()


async def test_a_topic_closes_on_sunday_night_and_its_summary_waits_for_monday(clocked: ClockedStory) -> None:
    story = clocked.story
    await story.say("minji", "/topic suggest 버스정류장 안전")
    await story.say("sujin", "/topic pick 1 until 2026-05-31")  # a Sunday
    await clocked.move_to("2026-05-27T18:00")
    assert reminders_in(story, "마감됩니다") == []
    await clocked.move_to("2026-05-28T09:00")  # Thursday, three days before
    assert reminders_in(story, "마감됩니다") == [
        "⏰ '버스정류장 안전' 토론이 3일 뒤(2026. 5. 31.(일)) 마감됩니다. 아직 아이디어를 올리지 않으셨다면 /idea 로 참여해 주세요!"
    ]
    await clocked.move_to("2026-06-01T00:30")
    [topic] = await story.rows(Topic)
    assert topic.state == "closed"  # closed at its time, Sunday 23:59
    assert reminders_in(story, "토론을 마감했습니다") == []
    await clocked.move_to("2026-06-01T08:59")
    assert reminders_in(story, "토론을 마감했습니다") == []
    await clocked.move_to("2026-06-01T09:00")
    assert len(reminders_in(story, "🏁 '버스정류장 안전' 토론을 마감했습니다.")) == 1  # at Monday's opening


async def invited(clocked: ClockedStory) -> None:
    story = clocked.story
    await story.dm("dohyun", "/start")
    await story.say("minji", "/topic suggest 버스정류장 신호등 안전 | 정류장 앞 횡단보도와 신호등이 부족해 위험합니다")
    await story.say("sujin", "/topic pick")
    await story.say("sujin", "/invite 교통")


async def test_an_invitation_nudge_due_on_saturday_comes_on_monday_morning(clocked: ClockedStory) -> None:
    story = clocked.story
    await invited(clocked)  # Wednesday 8 April, 10:00; three days later is Saturday
    nudge = "아직 답변을 받지 못해 다시 안내드립니다"
    await clocked.move_to("2026-04-12T20:00")  # all weekend
    assert not any(nudge in t for t in story.to_person("dohyun"))
    await clocked.move_to("2026-04-13T09:00")
    assert sum(nudge in t for t in story.to_person("dohyun")) == 1


async def test_a_monday_field_visit_is_announced_on_friday_morning(clocked: ClockedStory) -> None:
    story = clocked.story
    await invited(clocked)
    await story.dm("dohyun", "/visit 1 2026-04-13 14:00 시청 앞 버스정류장")
    await clocked.move_to("2026-04-10T08:59")
    assert not any("현장 방문이 있습니다" in t for t in story.in_room("room"))
    await clocked.move_to("2026-04-12T09:00")  # Friday came, then the weekend
    [announced] = [t for t in story.in_room("room") if "현장 방문이 있습니다" in t]
    assert announced.startswith("📍 다음 업무일에 현장 방문이 있습니다: 2026. 4. 13.(월) 14:00 시청 앞 버스정류장")
    [reminder] = await clocked.reminders(Reminder.kind == "field_visit.tomorrow")
    assert reminder.due_at == seoul("2026-04-10T09:00")


async def test_at_the_console_the_weekend_passes_quietly_and_monday_brings_the_reminder(sqlite_url: str) -> None:
    from bot.ports import ManualClock
    from tests.console.driver import run_console

    script = (
        "/as sujin\n"
        '/remind add "토 10:00" here 주간 보고서를 올려 주세요\n'
        "/clock 2026-04-12T23:00\n"
        "/clock 2026-04-13T09:00\n"
    )
    transcript = await run_console(
        sqlite_url, script, clock=ManualClock(seoul("2026-04-10T17:00")), with_scheduler=True
    )
    before_monday, monday = transcript.split("/clock 2026-04-13T09:00")
    weekend = before_monday.split("/clock 2026-04-12T23:00")[1]
    assert "그 사이 알림 0건을 보냈습니다" in weekend and "⏰ 알림: 주간 보고서를 올려 주세요" not in weekend
    assert "🤖 ⏰ 알림: 주간 보고서를 올려 주세요" in monday and "🕘 2026. 4. 13.(월) 09:00" in monday


async def test_a_new_kind_of_reminder_keeps_office_hours_without_doing_anything(clocked: ClockedStory) -> None:
    from bot.registry import registry
    from bot.reminders import schedule
    from storage.tables import Room

    ran_at: dict[str, object] = {}

    async def notice(ctx, reminder) -> None:  # type: ignore[no-untyped-def]
        ran_at[reminder.kind] = ctx.now()
        ctx.post(await ctx.session.get(Room, int(reminder.audience.split(":")[1])), f"새 알림 {reminder.kind}")

    registry.reminder("test.new_notice")(notice)
    registry.reminder("test.new_deadline", exact=True)(notice)
    try:
        story = clocked.story
        await story.say("minji", "/help")
        [room] = await story.rows(Room, Room.external_id == "room")
        async with story.app.db.session() as session:
            for kind in ("test.new_notice", "test.new_deadline"):
                await schedule(
                    session,
                    kind=kind,
                    due_at=seoul("2026-04-11T10:00"),
                    audience=f"room:{room.id}",
                    dedupe_key=kind,
                    now=story.app.clock.now(),
                )
        await clocked.move_to("2026-04-12T12:00")
        assert ran_at == {"test.new_deadline": seoul("2026-04-11T10:00")}  # the exact one ran on Saturday
        assert reminders_in(story, "새 알림") == []  # but nobody was messaged at the weekend
        await clocked.move_to("2026-04-13T09:00")
        assert sorted(reminders_in(story, "새 알림")) == ["새 알림 test.new_deadline", "새 알림 test.new_notice"]
        assert ran_at["test.new_notice"] == seoul("2026-04-13T09:00")
    finally:
        for kind in ("test.new_notice", "test.new_deadline"):
            registry.reminders.pop(kind, None)
            registry.exact_reminders.discard(kind)


async def test_an_invitation_is_answerable_all_of_its_last_day_and_a_holiday_moves_that_day(database_url: str) -> None:
    # Tuesday 28 April: seven days later is Children's Day (5 May), so the heads have until Wednesday 6 May.
    clocked = await ClockedStory.start(database_url, at="2026-04-28T10:00")
    try:
        story = clocked.story
        for head in ("dohyun", "jeonghoon"):
            await story.dm(head, "/start")
        await story.say("minji", "/topic suggest 주택가 주차 공간 부족 | 공영주차장이 모자랍니다")
        await story.say("sujin", "/topic pick 1 until 2026-05-29")
        assert "답변 기한은 2026. 5. 6.(수)입니다." in (await story.say("sujin", "/invite 교통정책과"))[0]
        await story.say("sujin", "/invite 도로과")
        [letter] = [t for t in story.to_person("jeonghoon") if "(초대 #2)" in t]
        assert "2026. 5. 6.(수)까지 아래 버튼으로 답해 주세요. (초대 #2)" in letter
        # On the last day, long after the hour the invitation was sent, the head may still answer.
        await clocked.move_to("2026-05-06T17:30")
        assert (
            await story.press("dohyun", "inv:1:accept", room="dm:dohyun") == "감사합니다! 곧 토론방으로 모시겠습니다."
        )
        expired = "초대가 기한 안에 답이 없어 만료되었습니다"
        assert not any(expired in t for t in story.to_person("sujin"))
        # The day has ended: the other invitation expires, and the organizer hears it at the next opening.
        await clocked.move_to("2026-05-07T08:59")
        assert not any(expired in t for t in story.to_person("sujin"))
        assert await story.press("jeonghoon", "inv:2:accept", room="dm:jeonghoon") == (
            "답변 기한(2026. 5. 6.(수))이 지나 이 초대장에는 더 이상 답하실 수 없습니다. 담당자에게 다시 요청해 주세요."
        )
        await clocked.move_to("2026-05-07T09:00")
        assert sum(f"도로과 이정훈 부서장님 {expired}" in t for t in story.to_person("sujin")) == 1
    finally:
        await clocked.close()


async def test_an_invitation_to_a_topic_closing_sooner_is_due_when_the_topic_closes(clocked: ClockedStory) -> None:
    story = clocked.story
    await clocked.move_to("2026-04-28T10:00")  # the topic closes on Thursday 30 April, before the seven days
    await invited(clocked)
    [letter] = [t for t in story.to_person("dohyun") if "(초대 #1)" in t]
    assert "2026. 4. 30.(목)까지 아래 버튼으로 답해 주세요. (초대 #1)" in letter
    await clocked.move_to("2026-05-01T10:00")
    assert await story.press("dohyun", "inv:1:accept", room="dm:dohyun") == (
        "답변 기한(2026. 4. 30.(목))이 지나 이 초대장에는 더 이상 답하실 수 없습니다. 담당자에게 다시 요청해 주세요."
    )
