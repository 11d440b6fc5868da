"""The monthly topic through the core: suggesting, supporting, picking, the ranked departments and closing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.ports import ManualClock
from bot.registry import registry
from storage.tables import AuditEntry, Idea, Invitation, Reminder, Topic, TopicSupport
from tests.core.march import BUS_STOPS, START
from tests.harness import Story, test_settings


@pytest.fixture
async def month(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Story]:
    """The bot on a clock that stands still on 2 March 2026 until a test moves it."""
    story = await Story.start(test_settings(sqlite_url), clock)
    yield story
    await story.close()


rows = Story.rows


count = Story.count


async def fire(story: Story, clock: ManualClock, dedupe_key: str) -> None:
    """Move the clock to a stored reminder's time and run its handler as the scheduler would."""
    [reminder] = await rows(story, Reminder, Reminder.dedupe_key == dedupe_key)
    clock.set(reminder.due_at)
    handler = registry.reminders[reminder.kind]
    await story.app.core.run_job(lambda ctx: handler(ctx, reminder))
    await story.app.sender.drain()


async def test_suggestions_are_listed_with_their_supporters_most_supported_first(month: Story) -> None:
    [first] = await month.say_sent("minji", "/topic suggest 공원 야간 조명")
    assert "토론주제 후보 #1번 '공원 야간 조명'" in first.text and first.actions == ["topic:1"]
    await month.say("junho", BUS_STOPS)
    await month.say("seoyeon", "/topic support 2")
    assert await month.press("jiwoo", "topic:2") == "👍 #2번 후보 '버스정류장 신호등 안전'에 공감했습니다 (공감 2)."
    [listing] = await month.say_sent("minji", "/topic candidates")
    lines = listing.text.splitlines()
    assert lines[0] == "🗳 토론주제 후보 (공감순)"
    assert lines[1] == "#2 버스정류장 신호등 안전 — 제안: 최준호 · 👍 2"
    assert lines[2].strip() == "공감: 정서연, 한지우"
    assert lines[3] == "#1 공원 야간 조명 — 제안: 박민지 · 👍 0"
    assert listing.actions == ["topic:2", "topic:1"]
    [topic] = await rows(month, Topic, Topic.id == 2)
    assert (topic.title, topic.description, topic.state) == (
        "버스정류장 신호등 안전",
        "정류장 앞 횡단보도와 신호등이 부족해 위험합니다",
        "candidate",
    )


async def test_one_support_per_person_and_not_for_your_own_suggestion(month: Story) -> None:
    await month.say("minji", "/topic suggest 공원 야간 조명")
    [own] = await month.say("minji", "/topic support 1")
    assert "본인이 제안한 후보(#1)에는 공감할 수 없습니다" in own
    assert await month.press("minji", "topic:1") == own
    await month.say("junho", "/topic support 1")
    assert await month.say("junho", "/topic support #1") == ["이미 #1번 후보에 공감하셨습니다."]
    assert await count(month, TopicSupport) == 1
    [topic] = await rows(month, Topic)
    assert topic.support_count == 1


async def test_bad_suggestions_get_a_clear_answer_and_store_nothing(month: Story) -> None:
    assert "주제 제목을 적어 주세요" in (await month.say("minji", "/topic suggest"))[0]
    assert "주제 제목을 적어 주세요" in (await month.say("minji", "/topic suggest  | 설명만 있습니다"))[0]
    [too_long] = await month.say("minji", "/topic suggest " + "가" * 101)
    assert "101자" in too_long and "100자 이내" in too_long
    assert "없는 명령어" in (await month.say("minji", "/topic frobnicate"))[0]
    assert "#7번 토론주제 후보가 없습니다" in (await month.say("minji", "/topic support 7"))[0]
    assert "번호가 아닙니다" in (await month.say("minji", "/topic support abc"))[0]
    await month.say("minji", "/topic suggest 공원 야간 조명")
    [duplicate] = await month.say("junho", "/topic suggest 공원  야간 조명")
    assert "이미 후보 #1번" in duplicate
    assert await count(month, Topic) == 1
    assert "토론방에서만" in (await month.dm("minji", "/topic suggest 개인 대화"))[0]


async def test_pick_takes_the_most_supported_candidate_ties_to_the_oldest_until_month_end(month: Story) -> None:
    await month.say("minji", "/topic suggest 공원 야간 조명")
    await month.say("junho", BUS_STOPS)
    await month.say("seoyeon", "/topic suggest 청년 창업 공간")
    await month.say("jiwoo", "/topic support 2")
    await month.say("jiwoo", "/topic support 3")  # #2 and #3 tie: #2 was suggested first
    sent = await month.say("sujin", "/topic pick")
    assert sent[0].splitlines() == [
        "📢 이번 달 토론주제가 정해졌습니다: '버스정류장 신호등 안전'",
        "정류장 앞 횡단보도와 신호등이 부족해 위험합니다",
        "마감: 2026. 3. 31.(화)까지. 이제부터 /idea 로 올리는 아이디어는 이 주제로 모입니다. 많은 참여 부탁드립니다!",
    ]
    [topic] = await rows(month, Topic, Topic.id == 2)
    assert topic.state == "active" and topic.picked_at == START
    # The last second of 31 March in Seoul.
    assert topic.closes_at == datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)
    reminders = {r.dedupe_key: r for r in await rows(month, Reminder)}
    assert reminders["topic:2:close"].due_at == topic.closes_at
    assert reminders["topic:2:close"].payload == {"topic_id": 2}
    # Three days before is Saturday 28 March: the warning comes on Friday morning instead.
    assert reminders["topic:2:closing_soon"].due_at == datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
    await month.say("minji", "/idea 정류장에 온열의자를 놓아 주세요")
    [idea] = await rows(month, Idea)
    assert idea.topic_id == 2
    [shown] = await month.say("minji", "/topic")
    assert shown.splitlines()[:4] == [
        "🗣 이번 토론주제: 버스정류장 신호등 안전",
        "정류장 앞 횡단보도와 신호등이 부족해 위험합니다",
        "마감: 2026. 3. 31.(화)",
        "지금까지 아이디어 1건",
    ]


async def test_pick_by_number_until_a_date_and_the_refusals_around_it(month: Story) -> None:
    assert "선정할 토론주제 후보가 없습니다" in (await month.say("sujin", "/topic pick"))[0]
    await month.say("minji", "/topic suggest 공원 야간 조명")
    await month.say("junho", BUS_STOPS)
    assert "올바른 날짜가 아닙니다" in (await month.say("sujin", "/topic pick 1 until 2026-02-30"))[0]
    assert "이미 지났습니다" in (await month.say("sujin", "/topic pick 1 until 2026-03-01"))[0]
    assert "사용법: /topic pick" in (await month.say("sujin", "/topic pick 1 until"))[0]
    assert "사용법: /topic pick" in (await month.say("sujin", "/topic pick 1 2"))[0]
    assert await count(month, Topic, Topic.state == "active") == 0
    picked, _suggestions = await month.say("sujin", "/topic pick 1 until 2026-04-10")
    assert "'공원 야간 조명'" in picked and "마감: 2026. 4. 10.(금)까지" in picked
    [again] = await month.say("sujin", "/topic pick 2")
    assert again.startswith("이 방에는 이미 진행 중인 토론주제 '공원 야간 조명'이 있습니다")
    assert "/topic close" in again
    assert "후보가 아닙니다" in (await month.say("junho", "/topic support 1"))[0]
    [second] = await rows(month, Topic, Topic.id == 2)
    assert second.state == "candidate"


async def test_only_organizers_pick_and_close_and_the_attempts_are_audited(month: Story) -> None:
    await month.say("minji", BUS_STOPS)
    [refused] = await month.say("junho", "/topic pick 1")
    assert refused == "이 명령어는 혁신담당관실 담당자만 쓸 수 있습니다."
    await month.say("sujin", "/topic pick 1")
    assert await month.say("junho", "/topic close") == [refused]
    [topic] = await rows(month, Topic)
    assert topic.state == "active"
    refusals = await rows(month, AuditEntry, AuditEntry.action == "refused")
    assert [r.detail["attempted"] for r in refusals] == ["topic.pick", "topic.close"]
    assert "마감할 토론주제가 없습니다" not in (await month.say("sujin", "/topic close"))[0]
    assert "마감할 토론주제가 없습니다" in (await month.say("sujin", "/topic close"))[0]


async def test_after_a_pick_the_transport_department_is_suggested_first_for_bus_stops(month: Story) -> None:
    await month.say("minji", BUS_STOPS)
    sent = await month.say_sent("sujin", "/topic pick")
    suggestion = sent[1]
    lines = suggestion.text.splitlines()
    assert lines[0] == "🏛 '버스정류장 신호등 안전' 주제와 관련된 부서 (업무분장 기준 추천)"
    assert lines[1] == "1. 교통정책과 — 김도현 부서장님"
    # Bus stops, traffic lights and crossings are one department's duties: no filler 2nd and 3rd.
    assert len([line for line in lines if line[:2] in ("1.", "2.", "3.")]) == 1
    assert suggestion.actions == ["invite:1:1"]  # department 1 is 교통정책과


async def test_closing_posts_the_summary_and_cancels_the_reminders(month: Story) -> None:
    await month.say("minji", BUS_STOPS)
    await month.say("sujin", "/topic pick")
    await month.dm("dohyun", "/start")
    await month.dm("jeonghoon", "/start")
    await month.say("sujin", "/invite 교통정책과")
    await month.say("sujin", "/invite 도로과")
    await month.press("dohyun", "inv:1:visit", room="dm:dohyun")
    await month.dm("dohyun", "2026-03-20 14:00 시청역 버스정류장")
    for person, text in (
        ("minji", "정류장에 온열의자"),
        ("junho", "신호등 잔여시간 표시"),
        ("seoyeon", "횡단보도 바닥 신호등"),
        ("jiwoo", "정류장 도착 알림 전광판"),
    ):
        await month.say(person, f"/idea {text}")
    await month.say("junho", "/support 3")
    await month.say("jiwoo", "/support 3")
    await month.say("minji", "/support 2")
    await month.say("sujin", "/support 2")  # a supporter who posted no idea is a participant too
    [summary] = await month.say("sujin", "/topic close")
    assert summary.splitlines() == [
        "🏁 '버스정류장 신호등 안전' 토론을 마감했습니다.",
        "아이디어 4건 · 참여 5명",
        "🏆 공감을 많이 받은 아이디어",
        "1. #2 신호등 잔여시간 표시 — 최준호 · 👍 2",
        "2. #3 횡단보도 바닥 신호등 — 정서연 · 👍 2",
        "3. #1 정류장에 온열의자 — 박민지 · 👍 0",
        "🤝 함께한 부서장: 교통정책과 김도현 부서장님",
        "📍 현장 방문",
        "· 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 예정)",
        "함께해 주신 모든 분께 감사드립니다. 좋은 아이디어는 제안으로 이어 가겠습니다.",
    ]
    [topic] = await rows(month, Topic)
    assert topic.state == "closed" and topic.closed_at == START
    states = {r.dedupe_key: r.state for r in await rows(month, Reminder, Reminder.dedupe_key.startswith("topic:"))}  # type: ignore[attr-defined]
    assert states == {"topic:1:close": "cancelled", "topic:1:closing_soon": "cancelled"}
    # The unanswered invitation of the 도로과 head ends with the topic.
    [unanswered] = await rows(month, Invitation, Invitation.id == 2)
    assert unanswered.state == "expired"
    assert await count(month, AuditEntry, AuditEntry.action == "topic.closed") == 1
    await month.say("minji", "/idea 마감 뒤의 아이디어")
    [late] = await rows(month, Idea, Idea.id == 5)
    assert late.topic_id is None


async def test_the_topic_closes_by_itself_when_due_and_warns_three_days_before(
    month: Story, clock: ManualClock
) -> None:
    await month.say("minji", BUS_STOPS)
    await month.say("sujin", "/topic pick")
    await month.say("junho", "/idea 정류장에 그늘막")
    await fire(month, clock, "topic:1:closing_soon")
    assert month.in_room()[-1] == (
        "⏰ '버스정류장 신호등 안전' 토론이 4일 뒤(2026. 3. 31.(화)) 마감됩니다. "  # Friday 27 March, 09:00
        "아직 아이디어를 올리지 않으셨다면 /idea 로 참여해 주세요!"
    )
    await fire(month, clock, "topic:1:close")
    summary = month.in_room()[-1].splitlines()
    assert summary[:2] == ["🏁 '버스정류장 신호등 안전' 토론을 마감했습니다.", "아이디어 1건 · 참여 1명"]
    assert "🤝 함께한 부서장: 없음" in summary
    [topic] = await rows(month, Topic)
    assert topic.state == "closed" and topic.closed_at == topic.closes_at
    # A closing that comes again (a retried reminder) changes nothing and says nothing.
    posted = len(month.gateway.sent)
    await fire(month, clock, "topic:1:close")
    assert len(month.gateway.sent) == posted


async def test_help_lists_the_topic_commands_and_the_starred_ones_only_for_organizers(month: Story) -> None:
    [staff] = await month.say("minji", "/help")
    [organizer] = await month.say("sujin", "/help")
    assert "/topic — 이번 달 토론주제 보기" in staff and "/topic suggest" in staff
    assert "/topic pick" not in staff and "/invite" not in staff
    assert "★ /topic pick [번호] [until YYYY-MM-DD](/주제 선정) — 이번 달 토론주제 정하기" in organizer
    assert "★ /topic close" in organizer and "★ /invite" in organizer


async def test_english_locale(sqlite_url: str, clock: ManualClock) -> None:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_LOCALE="en"), clock)
    try:
        [suggested] = await story.say("minji", "/topic suggest Safer bus stops")
        assert suggested == "📝 Topic suggestion #1 'Safer bus stops' recorded. Press 👍 to support it."
        [picked, _] = await story.say("sujin", "/topic pick")
        assert picked.startswith("📢 This month's topic is: 'Safer bus stops'")
        assert "Open until 2026-03-31" in picked
    finally:
        await story.close()
