"""A department's review as proposers and organizers see it: buttons, supplements, decisions reaching the room."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.ports import ManualClock
from storage.tables import PendingInput, Proposal, ProposalState, Reminder
from tests.core.march import SEOUL
from tests.harness import Story, test_settings


@pytest.fixture
async def review(database_url: str, clock: ManualClock) -> AsyncIterator[Story]:
    """Proposal #1 of minji's and junho's ideas, made in the room and sent to 교통정책과 on 2 March."""
    story = await Story.start(test_settings(database_url, IDEAROOM_REVIEW_DUE_DAYS="30"), clock)
    for person in ("dohyun", "sujin", "minji", "junho"):
        await story.dm(person, "/start")
    await story.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await story.say("junho", "/idea 버스정류장에 바람막이를 설치해 주세요")
    await story.say("sujin", "/proposal new 1,2 버스정류장 온열의자 도입")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    yield story
    await story.close()


async def proposal(story: Story) -> Proposal:
    [found] = await story.rows(Proposal, Proposal.id == 1)
    return found


async def test_a_supplement_request_stops_the_clock_until_the_proposers_answer(
    review: Story, clock: ManualClock
) -> None:
    [shown] = await review.say("minji", "/proposal 1")
    assert "🔎 교통정책과에서 검토 중입니다. 검토 기한: 2026. 4. 1.(수) (30일 남음)" in shown
    clock.advance(days=10)
    assert (
        await review.press("dohyun", "prop:1:supplement", room="dm:dohyun") == "봇과의 1:1 대화에 내용을 적어 주세요."
    )
    assert review.to_person("dohyun")[-1].startswith("제안 #1 '버스정류장 온열의자 도입'에 보완이 필요한 내용을")
    requested, *_ = await review.dm("dohyun", "설치 예정 정류장 목록과 예상 비용을 보완해 주세요")
    assert requested == (
        "📝 제안 #1 '버스정류장 온열의자 도입'의 제안자에게 보완을 요청했습니다. "
        "답변이 올 때까지 검토 기한이 멈추며, 남은 검토 기간은 20일입니다."
    )
    assert (await proposal(review)).state == ProposalState.supplement
    told = review.to_person("junho")[-1]
    assert told.startswith("📝 교통정책과에서 제안 #1 '버스정류장 온열의자 도입'의 보완을 요청했습니다.")
    assert "요청 내용: 설치 예정 정류장 목록과 예상 비용을 보완해 주세요" in told
    # Nothing reminds the head while the proposers have the proposal.
    assert await review.count(Reminder, Reminder.state == "pending") == 0
    clock.advance(days=25)  # the old due date passes: the clock was stopped
    [waiting] = await review.say("minji", "/proposal 1")
    assert "상태: 보완 요청" in waiting and "📝 보완 요청: 설치 예정 정류장 목록과 예상 비용을 보완해 주세요" in waiting
    assert "남은 기간 20일" in waiting
    assert (
        "제안자 또는 혁신담당관실 담당자만" in (await review.say("jiwoo", "/proposal answer 1 제가 대신 답합니다"))[0]
    )
    assert "보완 내용을 적어 주세요" in (await review.say("minji", "/proposal answer 1"))[0]
    [answered, *_] = await review.say("minji", "/proposal answer 1 설치 후보 정류장 5곳과 비용 견적을 첨부합니다")
    # 6 April + the 20 days that were left = 26 April, a Sunday: due on Monday 27 April.
    assert (
        answered
        == "📨 제안 #1 '버스정류장 온열의자 도입'의 보완 답변을 교통정책과에 전달했습니다. 검토가 다시 진행되며 검토 기한은 2026. 4. 27.(월)입니다."
    )
    # The other proposer is told; minji, who answered, has her answer and no second copy.
    assert review.to_person("junho")[-1].startswith(
        "📨 제안 #1 '버스정류장 온열의자 도입'의 보완 답변이 교통정책과에 전달되어"
    )
    assert not any("보완 답변이 교통정책과에 전달되어" in t for t in review.to_person("minji"))
    p = await proposal(review)
    assert (p.state, p.review_due_at, p.review_paused_at) == (
        ProposalState.submitted,
        datetime(2026, 4, 27, 23, 59, tzinfo=SEOUL),
        None,
    )
    [to_head] = [s for s in review.gateway.sent if s.destination.id == "dohyun"][-1:]
    assert "보완 내용: 설치 후보 정류장 5곳과 비용 견적을 첨부합니다" in to_head.text
    assert to_head.actions == ["prop:1:adopt", "prop:1:reject", "prop:1:supplement"]
    # The resumed clock has reminders of its own, all still to come.
    pending = await review.rows(Reminder, Reminder.state == "pending")
    assert [r.dedupe_key for r in pending] == [
        "proposal:1:review:7d:s1",
        "proposal:1:review:1d:s1",
        "proposal:1:review:overdue:s1",
    ]
    assert all(r.due_at > clock.now() for r in pending) and pending[-1].due_at > p.review_due_at
    assert (
        "교통정책과에서 검토 중입니다. 검토 기한: 2026. 4. 27.(월) (21일 남음)"
        in (await review.say("junho", "/proposal 1"))[0]
    )


async def test_the_reject_button_asks_the_reason_and_the_decision_reaches_the_room_and_organizers(
    review: Story,
) -> None:
    assert await review.press("dohyun", "prop:1:reject", room="dm:dohyun") == "봇과의 1:1 대화에 내용을 적어 주세요."
    [cancelled] = await review.dm("dohyun", "취소")
    assert cancelled.startswith("제안 #1에 대한 처리를 그만두었습니다.")
    assert (await proposal(review)).state == ProposalState.submitted
    await review.press("dohyun", "prop:1:reject", room="dm:dohyun")
    reply, *_ = await review.dm("dohyun", "올해 예산이 이미 편성되었습니다")
    assert reply.startswith(
        "제안 #1 '버스정류장 온열의자 도입'을 불채택했습니다 (사유: 올해 예산이 이미 편성되었습니다)"
    )
    assert (await proposal(review)).state == ProposalState.maturing
    assert await review.count(PendingInput) == 0
    decided = "제안 #1 '버스정류장 온열의자 도입'이 교통정책과에서 불채택되었습니다."
    assert review.in_room()[-1].startswith(decided)  # decided in a direct chat, seen in the room
    assert review.to_person("sujin")[-1].startswith(decided)  # and by the organizer


async def test_adopt_and_done_from_a_direct_chat_reach_the_room_and_the_organizers(review: Story) -> None:
    await review.dm("dohyun", "/proposal adopt 1")
    adopted = "🎉 제안 #1 '버스정류장 온열의자 도입'이 교통정책과에서 채택되었습니다!"
    assert review.in_room()[-1] == adopted and review.to_person("sujin")[-1] == adopted
    await review.dm("dohyun", "/proposal assign 1 seoyeon")
    await review.dm("seoyeon", "/proposal done 1")
    done = "✅ 제안 #1 '버스정류장 온열의자 도입'이 실행 완료되었습니다. 함께해 주셔서 감사합니다!"
    assert review.in_room()[-1] == done and review.to_person("sujin")[-1] == done
    # Decided in the room itself, it is said there once.
    room_messages = len(review.in_room())
    await review.say("sujin", "/proposal new 1 두 번째 제안")
    await review.say("sujin", "/proposal submit 2 교통정책과")
    await review.say("dohyun", "/proposal adopt 2")
    assert len([t for t in review.in_room()[room_messages:] if "제안 #2" in t and "채택되었습니다" in t]) == 1


async def test_a_supplement_request_by_command_needs_the_head_and_a_note(review: Story, clock: ManualClock) -> None:
    assert "담당 부서장님 또는" in (await review.say("minji", "/proposal supplement 1 더 써 주세요"))[0]
    assert "보완이 필요한 내용을 적어 주세요" in (await review.dm("dohyun", "/proposal supplement 1"))[0]
    clock.set(datetime(2026, 3, 31, 18, 0, tzinfo=SEOUL))
    requested, *_ = await review.dm("dohyun", "/proposal 보완 1 예상 비용을 적어 주세요")
    assert requested.endswith("남은 검토 기간은 1일입니다.")
    assert "'보완 요청' 상태라서 채택할 수 없습니다" in (await review.dm("dohyun", "/proposal adopt 1"))[0]
    await review.say("sujin", "/proposal undo 1")  # a request made by mistake: the clock runs on
    p = await proposal(review)
    assert (p.state, p.review_paused_at, p.review_due_at) == (
        ProposalState.submitted,
        None,
        datetime(2026, 4, 1, 23, 59, tzinfo=SEOUL),
    )
