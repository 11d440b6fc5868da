"""Work people can find: earlier topics' ideas, a topic picked directly, and /todo for each person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.ports import ManualClock
from storage.tables import Proposal, Topic, TopicState
from tests.console.driver import run_console
from tests.core.march import BUS_STOPS, SEOUL
from tests.harness import Story, test_settings


@pytest.fixture
async def march(database_url: str, clock: ManualClock) -> AsyncIterator[Story]:
    story = await Story.start(test_settings(database_url), clock)
    yield story
    await story.close()


async def test_after_a_topic_closes_its_ideas_are_listed_and_can_become_a_proposal(march: Story) -> None:
    await march.say("minji", BUS_STOPS)
    await march.say("sujin", "/topic pick")
    await march.say("minji", "/idea 정류장에 온열의자를 설치해 주세요")
    await march.say("junho", "/idea 횡단보도 신호 시간을 늘려 주세요")
    await march.say("jiwoo", "/support 2")
    await march.say("sujin", "/topic close")
    [now] = await march.say("seoyeon", "/ideas")
    assert now.splitlines() == [
        "아직 등록된 아이디어가 없습니다. /idea <내용> 으로 첫 아이디어를 올려 주세요.",
        "지난 토론주제의 아이디어는 /ideas <주제 번호> 로 보실 수 있습니다:",
        " · #1 버스정류장 신호등 안전 (아이디어 2건)",
    ]
    [by_topic] = await march.say("seoyeon", "/ideas 1")
    assert by_topic.splitlines()[:3] == [
        "📋 지난 주제 '버스정류장 신호등 안전' 아이디어 목록 (2026. 3. 2.(월) 마감, 공감순, 총 2건)",
        "1. #2 횡단보도 신호 시간을 늘려 주세요 — 최준호 · 👍 1",
        "2. #1 정류장에 온열의자를 설치해 주세요 — 박민지 · 👍 0",
    ]
    [by_month] = await march.say("seoyeon", "/ideas 2026-03")
    assert by_month.splitlines()[0] == "📋 2026-03 아이디어 목록 (공감순, 총 2건)"
    assert (await march.say("seoyeon", "/ideas 2026-04"))[0].startswith(
        "2026-04에는 이 방에 올라온 아이디어가 없습니다."
    )
    assert (await march.say("seoyeon", "/ideas 9"))[0].startswith("이 방에는 #9번 토론주제가 없습니다.")
    assert (await march.say("seoyeon", "/ideas 지난달"))[0].startswith("사용법: /ideas")
    created, *_ = await march.say("sujin", "/proposal new 1,2 정류장 온열의자와 신호 시간")
    assert created.startswith(
        "📄 제안 #1 '정류장 온열의자와 신호 시간'을 만들었습니다 (아이디어 2건, 제안자: 박민지, 최준호)."
    )
    [made] = await march.rows(Proposal)
    assert made.topic_id == 1


async def test_the_organizer_picks_a_topic_nobody_suggested(march: Story) -> None:
    assert "담당자만" in (await march.say("minji", "/topic pick 청사 주차난 | 민원인 주차 공간이 부족합니다"))[0]
    posted = await march.say("sujin", "/topic pick 청사 주차난 | 민원인 주차 공간이 부족합니다")
    assert posted[0].splitlines()[:2] == [
        "📢 이번 달 토론주제가 정해졌습니다: '청사 주차난'",
        "민원인 주차 공간이 부족합니다",
    ]
    [topic] = await march.rows(Topic)
    assert (topic.title, topic.description, topic.state) == (
        "청사 주차난",
        "민원인 주차 공간이 부족합니다",
        TopicState.active,
    )
    assert (await march.say("sujin", "/topic pick 다른 주제"))[0].startswith(
        "이 방에는 이미 진행 중인 토론주제 '청사 주차난'"
    )
    assert await march.count(Topic) == 1
    await march.say("sujin", "/topic close")
    assert (await march.say("junho", "/ideas 1"))[0] == "지난 주제 '청사 주차난'에는 올라온 아이디어가 없습니다."
    # A title that is already a candidate picks that candidate instead of a copy.
    await march.say("minji", "/topic suggest 일회용 컵 줄이기")
    await march.say("sujin", "/topic pick 일회용 컵 줄이기")
    assert [(t.title, t.state) for t in await march.rows(Topic)] == [
        ("청사 주차난", "closed"),
        ("일회용 컵 줄이기", "active"),
    ]
    [shown] = await march.say("junho", "/topic")
    assert "일회용 컵 줄이기" in shown


async def test_todo_lists_what_waits_for_each_person(march: Story, clock: ManualClock) -> None:
    for person in ("dohyun", "minji", "seoyeon"):
        await march.dm(person, "/start")
    await march.say("minji", BUS_STOPS)
    await march.say("sujin", "/topic pick")
    await march.say("sujin", "/invite 교통")
    assert (await march.dm("dohyun", "/할일"))[0].splitlines() == [
        "📮 김도현 과장님의 할 일 (1건)",
        "• 토론방 초대: '버스정류장 신호등 안전' 주제 — 초대 메시지의 버튼으로 수락, 거절 또는 현장 방문을 제안해 주세요.",
    ]
    await march.dm("dohyun", "/visit 1 2026-03-05 14:00 시청역 버스정류장")
    await march.say("minji", "/idea 정류장에 온열의자를 설치해 주세요")
    await march.say("sujin", "/proposal new 1 정류장 온열의자")
    await march.say("sujin", "/proposal submit 1 교통정책과")
    await march.say("sujin", "/proposal new 1 온열의자 두 번째 안")
    await march.say("sujin", "/proposal submit 2 교통정책과")
    await march.dm("dohyun", "/proposal supplement 2 예상 비용을 적어 주세요")
    clock.set(datetime(2026, 3, 5, 16, 0, tzinfo=SEOUL))  # after the visit
    assert (await march.dm("dohyun", "/todo"))[0].splitlines() == [
        "📮 김도현 과장님의 할 일 (2건)",
        "• 제안 #1 '정류장 온열의자' 검토 — 2026. 4. 1.(수)까지 채택 여부를 알려 주세요.",
        "• 현장 방문 #1 (2026. 3. 5.(목) 14:00 시청역 버스정류장) — 진행 여부를 확인해 주세요: /visit held 1 또는 /visit cancel 1",
    ]
    assert (await march.dm("minji", "/todo"))[0].splitlines() == [
        "📮 박민지 주무관님의 할 일 (1건)",
        "• 제안 #2 '온열의자 두 번째 안' 보완 요청 — 답변해 주시면 검토가 다시 진행됩니다: /proposal answer 2 <보완 내용>",
    ]
    # Organizers confirm visits too, so the visit waits for them as well.
    assert "현장 방문 #1" in (await march.dm("sujin", "/todo"))[0]
    # The Korean words the help names work for the head too: /방문 진행 is /visit held.
    assert (await march.dm("dohyun", "/방문 진행 1"))[0].startswith("✅ 현장 방문 #1의 진행을 확인했습니다")
    await march.dm("minji", "/proposal answer 2 정류장별 비용을 첨부합니다")
    assert (await march.dm("minji", "/todo"))[0] == "지금 처리하실 일은 없습니다."
    assert "현장 방문" not in (await march.dm("dohyun", "/todo"))[0]
    assert (await march.dm("seoyeon", "/할일"))[0] == "지금 처리하실 일은 없습니다."


async def test_todo_at_the_console(sqlite_url: str) -> None:
    output = await run_console(sqlite_url, "/as minji\n/할일\n/as sujin\n/todo\n")
    assert output.count("지금 처리하실 일은 없습니다.") == 2


async def test_todo_shows_a_committee_member_the_votes_of_the_coming_meeting(march: Story) -> None:
    await march.say("minji", "/idea 정류장에 온열의자를 설치해 주세요")
    await march.say("sujin", "/proposal new 1 정류장 온열의자")
    await march.say("sujin", "/proposal submit 1 교통정책과")
    await march.say("dohyun", "/proposal reject 1 예산 부족")
    await march.say("sujin", "/committee add seoyeon")
    await march.say("sujin", "/committee agenda")
    [todo] = await march.dm("seoyeon", "/todo")
    assert todo.splitlines()[0] == "📮 정서연 주무관님의 할 일 (1건)"
    assert todo.splitlines()[1].startswith("• 자문단 표결: 제안 #1 '정류장 온열의자' —")
