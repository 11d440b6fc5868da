"""The monthly topic reminder on the first business day at 09:00, and the optional automatic pick."""

from __future__ import annotations

from sqlmodel import select

from storage.tables import Reminder, Topic
from tests.scheduler.clocked import ClockedStory, seoul


async def suggest(clocked: ClockedStory) -> None:
    story = clocked.story
    await story.dm("sujin", "/help")
    for title in ("버스 정류장 개선", "공원 야간 안전", "청년 창업 지원", "어르신 돌봄"):
        await story.say("minji", f"/topic suggest {title}", room="혁신방")
    for person, number in (("junho", 2), ("seoyeon", 2), ("jiwoo", 3), ("junho", 4), ("seoyeon", 4), ("jiwoo", 4)):
        await story.say(person, f"/topic support {number}", room="혁신방")
    await story.say("minji", "/topic suggest 민원 서식 간소화", room="행정방")


async def test_organizers_get_each_rooms_top_three_candidates(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url)
    try:
        await suggest(clocked)
        await clocked.runner.recover()
        await clocked.move_to("2026-04-01T08:59")
        assert not any("토론주제를 정할" in t for t in clocked.story.to_person("sujin"))
        await clocked.move_to("2026-04-01T09:00")
        [reminder] = [t for t in clocked.story.to_person("sujin") if "토론주제를 정할" in t]
        lines = reminder.splitlines()
        assert lines[0] == "📅 4월 토론주제를 정할 때입니다. 방별 공감이 많은 후보는 다음과 같습니다."
        room = lines.index("[혁신방]")
        assert lines[room + 1 : room + 4] == [
            "  1. #4 어르신 돌봄 (👍 3)",
            "  2. #2 공원 야간 안전 (👍 2)",
            "  3. #3 청년 창업 지원 (👍 1)",
        ]
        assert "  1. #5 민원 서식 간소화 (👍 0)" in lines and "/topic pick <후보 번호>" in lines[-1]
        pending = await clocked.reminders(Reminder.kind == "monthly_topic", Reminder.state == "pending")
        assert [(r.dedupe_key, r.due_at) for r in pending] == [("monthly_topic:2026-05", seoul("2026-05-04T09:00"))]
        async with clocked.story.app.db.session() as session:
            assert {t.state for t in (await session.exec(select(Topic))).all()} == {"candidate"}  # nothing picked
    finally:
        await clocked.close()


async def test_the_bot_picks_the_favourite_when_asked_to(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url, IDEAROOM_AUTO_PICK_TOPIC="true")
    try:
        await suggest(clocked)
        await clocked.story.say("sujin", "/topic pick 5", room="행정방")  # this room already has a topic
        await clocked.move_to("2026-04-01T09:00")
        async with clocked.story.app.db.session() as session:
            states = {t.title: t.state for t in (await session.exec(select(Topic))).all()}
            picked = (await session.exec(select(Topic).where(Topic.title == "어르신 돌봄"))).one()
        assert states["어르신 돌봄"] == "active" and states["공원 야간 안전"] == "candidate"
        assert (
            picked.closes_at is not None
            and picked.closes_at.astimezone(seoul("2026-04-30T00:00").tzinfo).date().isoformat() == "2026-04-30"
        )
        assert any("이번 달 토론주제는 '어르신 돌봄'" in t for t in clocked.story.in_room("혁신방"))
        # Like a manual pick: the departments in charge are ranked and their heads can be invited at once.
        [offer] = [
            s for s in clocked.story.gateway.sent if s.destination.id == "혁신방" and "주제와 관련된 부서" in s.text
        ]
        assert "1." in offer.text and any(action.startswith(f"invite:{picked.id}:") for action in offer.actions)
        [reminder] = [t for t in clocked.story.to_person("sujin") if "토론주제를 정할" in t]
        assert "[혁신방] 공감이 가장 많은 '어르신 돌봄'을 이번 달 주제로 자동 선정" in reminder
        keys = {r.dedupe_key for r in await clocked.reminders()}
        assert f"topic:{picked.id}:close" in keys  # the topics flow closes it at the end of the month
    finally:
        await clocked.close()


async def test_a_room_whose_topic_is_picked_is_not_asked_to_pick_again(sqlite_url: str) -> None:
    clocked = await ClockedStory.start(sqlite_url)
    try:
        await suggest(clocked)
        await clocked.runner.recover()
        story = clocked.story
        await story.say(
            "sujin", "/topic pick 4 until 2026-05-29", room="혁신방"
        )  # picked on 31 March, for April and May
        await clocked.move_to("2026-04-01T09:00")
        [reminder] = [t for t in story.to_person("sujin") if "토론주제" in t]
        assert "[혁신방] 이번 달 주제가 이미 정해져 있습니다: 어르신 돌봄" in reminder
        assert "어르신 돌봄 (👍" not in reminder and "공원 야간 안전" not in reminder
        assert "[행정방]" in reminder and "  1. #5 민원 서식 간소화 (👍 0)" in reminder
        assert "/topic pick <후보 번호> 로 이번 달 주제를 골라 주세요 (예: /topic pick 5)" in reminder

        await story.say("sujin", "/topic pick 5 until 2026-05-29", room="행정방")
        await clocked.move_to("2026-05-04T09:00")
        [may] = [t for t in story.to_person("sujin") if "5월" in t]
        assert may.startswith("📅 5월 토론주제가 모든 방에서 정해져 있습니다")
        assert "/topic pick <" not in may and "공감이 많은 후보" not in may
    finally:
        await clocked.close()
