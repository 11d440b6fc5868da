"""Where topics and proposals go: the suggested department, the organizer's one-tap confirmation, corrections, and no waiting for the analyser."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot import routing
from bot.ranker import Ranker
from storage.tables import Department, Proposal, ProposalState
from tests.harness import Story

rows = Story.rows


async def parking_proposal(story: Story) -> None:
    """A parking topic whose idea talks about an app: its words alone would point to the IT office."""
    await story.say("minji", "/topic suggest 주택가 주차 공간 부족 | 공영주차장이 모자라 불법 주정차가 늘고 있습니다")
    await story.say("sujin", "/topic pick")
    await story.say("jihoon", "/help")
    await story.say("dohyun", "/help")
    await story.say("minji", "/idea 홈페이지와 앱으로 빈 주차면을 실시간 정보로 알려 주세요")
    await story.say("sujin", "/proposal new 1 빈 주차면 실시간 정보 서비스")


async def test_a_parking_proposal_is_offered_to_the_department_its_topic_ranked_first(story: Story) -> None:
    await parking_proposal(story)
    [offer] = await story.say_sent("sujin", "/proposal submit 1")
    assert offer.text.splitlines()[1] == "1. 교통정책과 — 김도현 부서장님"
    assert offer.actions[0] == "route:1:1"
    [p] = await rows(story, Proposal)
    assert (p.state, p.department_id) == (ProposalState.draft, None)  # not sent anywhere on a guess
    await story.press("sujin", offer.actions[0])
    [p] = await rows(story, Proposal)
    assert (p.state, p.department_id) == (ProposalState.submitted, 1)
    assert any("제안 #1" in t for t in story.to_person("dohyun"))
    assert not any("제안 #1" in t for t in story.to_person("jihoon"))


async def test_the_command_form_sends_it_elsewhere_and_only_organizers_route(story: Story) -> None:
    await parking_proposal(story)
    assert "담당자만" in (await story.say("minji", "/proposal submit 1"))[0]
    assert "담당자만" in (await story.press("minji", "route:1:1") or "")
    await story.say("sujin", "/proposal submit 1 정보화")
    [p] = await rows(story, Proposal)
    assert (p.state, p.department_id) == (ProposalState.submitted, 9)  # 정보화담당관, as the organizer typed


async def test_a_proposal_rejected_as_not_ours_goes_to_another_department(story: Story) -> None:
    await parking_proposal(story)
    await story.say("sujin", "/proposal submit 1 정보화담당관")
    await story.say("jihoon", "/proposal reject 1 우리 과 소관이 아님")
    [p] = await rows(story, Proposal)
    assert p.state == ProposalState.maturing
    [offer] = await story.say_sent("sujin", "/proposal submit 1")
    assert offer.text.splitlines()[1] == "1. 교통정책과 — 김도현 부서장님"
    assert not any(action.endswith(":9") for action in offer.actions)  # not back to the one that said no
    await story.press("sujin", "route:1:1")
    [p] = await rows(story, Proposal)
    assert (p.state, p.department_id, p.revived_count) == (ProposalState.submitted, 1, 1)
    assert any("제안 #1" in t for t in story.to_person("dohyun"))


async def test_a_proposal_under_review_is_not_routed_again(story: Story) -> None:
    await parking_proposal(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    [answer] = await story.say("sujin", "/proposal submit 1")
    assert "'제출됨' 상태라서 제출할 수 없습니다" in answer
    assert "'제출됨' 상태라서 제출할 수 없습니다" in (await story.press("sujin", "route:1:2") or "")
    [p] = await rows(story, Proposal)
    assert p.department_id == 1


async def test_an_organizers_invitation_is_remembered_for_the_next_similar_topic(story: Story) -> None:
    await story.say("minji", "/topic suggest 전동킥보드 방치 | 인도에 쓰러진 킥보드")
    [_picked, first] = await story.say("sujin", "/topic pick")
    assert not first.splitlines()[1].endswith("교통정책과 — 김도현 부서장님")  # the demo's duties say little of 킥보드
    await story.say("sujin", "/invite 교통정책과")  # the organizer knows better
    await story.say("sujin", "/topic close")
    await story.say("minji", "/topic suggest 전동킥보드 안전 | 방치된 킥보드와 주차 문제")
    [_picked, second] = await story.say("sujin", "/topic pick")
    assert second.splitlines()[1] == "1. 교통정책과 — 김도현 부서장님"


@pytest.fixture
async def fresh_ranker(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A ranker whose child process has not built the analyser yet, as right after start-up."""
    ranker = Ranker()
    monkeypatch.setattr(routing, "ranker", ranker)
    yield ranker
    ranker.stop()


async def test_other_people_are_answered_while_the_analyser_loads(story: Story, fresh_ranker: Ranker) -> None:
    await story.say("minji", "/topic suggest 주택가 주차 공간 부족 | 공영주차장이 모자랍니다")
    fresh_ranker.start()
    pick = asyncio.create_task(story.say("sujin", "/topic pick"))
    await asyncio.sleep(0.05)
    answered = await asyncio.wait_for(story.say("junho", "/idea 주차장 공유 앱"), timeout=5)
    # junho's idea was stored and confirmed while the analyser was still being built.
    assert not fresh_ranker.ready and not pick.done()
    assert any("아이디어 #1번을 등록했습니다" in text for text in answered)
    picked = await asyncio.wait_for(pick, timeout=120)
    assert picked[1].splitlines()[1] == "1. 교통정책과 — 김도현 부서장님"


async def test_the_first_topic_a_newcomer_tries_names_the_civil_service_office(story: Story) -> None:
    # `make run`'s demo office has a 민원 department, and 대기 here is waiting, not the air's.
    await story.say("minji", "/topic suggest 민원실 대기시간 줄이기 | 민원실에서 번호표를 받고 오래 기다립니다")
    _, suggestions = await story.say("sujin", "/topic pick")
    assert suggestions.splitlines()[1:3] == [
        "1. 민원여권과 — 노수빈 부서장님",
        "담당자는 버튼을 누르거나 /invite <번호 또는 부서명> 으로 부서장님을 토론방에 초대할 수 있습니다.",
    ]


async def test_a_suggested_department_without_a_head_says_so_instead_of_a_dash(story: Story) -> None:
    await parking_proposal(story)
    async with story.app.db.session() as session:
        [transport] = (await session.exec(select(Department).where(Department.name == "교통정책과"))).all()
        transport.head_person_id = None  # the head left and nobody is registered yet
        session.add(transport)
        await session.commit()
    [offer] = await story.say_sent("sujin", "/proposal submit 1")
    assert offer.text.splitlines()[1] == "1. 교통정책과 — 부서장이 등록되어 있지 않아 아직 보낼 수 없습니다"
    assert "— -" not in offer.text
