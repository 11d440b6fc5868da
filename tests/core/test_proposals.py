"""Proposals through the core: bundling ideas, review, implementation, maturing, revival and undo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.features.proposals import review_due, review_overdue
from bot.ports import ManualClock
from bot.proposals.workflow import revive_proposal
from storage.tables import AuditEntry, PointEntry, Proposal, ProposalIdea, ProposalState, ProposalTransition, Reminder
from tests.harness import Story, test_settings

SEOUL = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL)


@pytest.fixture
async def clocked(sqlite_url: str) -> AsyncIterator[tuple[Story, ManualClock]]:
    clock = ManualClock(START)
    s = await Story.start(test_settings(sqlite_url, IDEAROOM_REVIEW_DUE_DAYS="30"), clock)
    yield s, clock
    await s.close()


rows = Story.rows


async def proposal(story: Story, number: int = 1) -> Proposal:
    [found] = await rows(story, Proposal, Proposal.id == number)
    return found


async def ideas_and_draft(story: Story) -> None:
    for person in ("dohyun", "haeun", "seoyeon"):
        await story.say(person, "/help")  # they now have an account the bot can message
    await story.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await story.say("junho", "/idea 버스정류장에 바람막이를 설치해 주세요")
    await story.say("minji", "/idea 정류장 의자에 햇빛 가림막도")
    await story.say("sujin", "/proposal new 1,2 #3 버스정류장 온열의자 도입")


async def test_new_bundles_ideas_and_makes_their_authors_proposers(story: Story) -> None:
    await ideas_and_draft(story)
    p = await proposal(story)
    assert (p.title, p.state) == ("버스정류장 온열의자 도입", ProposalState.draft)
    assert [pi.idea_id for pi in await rows(story, ProposalIdea)] == [1, 2, 3]
    [shown] = await story.say("jiwoo", "/proposal 1")
    assert "상태: 초안 · 담당 부서는 아직 정해지지 않았습니다\n" in shown  # not "담당 부서: 담당 부서 미정"
    assert (
        "상태: 초안" in shown
        and "제안자: 박민지, 최준호" in shown
        and "#2 버스정류장에 바람막이를 설치해 주세요 (👍 0)" in shown
    )
    assert any("제안 #1 '버스정류장 온열의자 도입'에 반영" in t for t in story.to_person("junho"))


async def test_new_is_for_organizers_and_refuses_bad_input_storing_nothing(story: Story) -> None:
    await story.say("minji", "/idea 아이디어 하나")
    [refused] = await story.say("minji", "/proposal new 1 제목")
    assert "담당자만" in refused
    assert "사용법: /proposal new" in (await story.say("sujin", "/proposal new 제목만"))[0]
    assert "제목을 적어 주세요" in (await story.say("sujin", "/proposal new 1"))[0]
    assert "없는 아이디어 번호가 있습니다: #7, #9" in (await story.say("sujin", "/proposal new 1,7 9 제목"))[0]
    assert "없는 명령어" in (await story.say("sujin", "/proposal frobnicate 1"))[0]
    assert "#5번 제안이 없습니다" in (await story.say("sujin", "/proposal 5"))[0]
    assert await rows(story, Proposal) == []
    [audit] = await rows(story, AuditEntry, AuditEntry.action == "refused")
    assert audit.detail == {"attempted": "proposal.new"}


async def test_submit_suggests_the_department_and_sends_it_there_on_one_tap(clocked) -> None:  # type: ignore[no-untyped-def]
    story, clock = clocked
    await ideas_and_draft(story)
    [offer] = await story.say_sent("sujin", "/proposal submit 1")
    assert offer.text.splitlines()[:2] == [
        "📨 제안 #1 '버스정류장 온열의자 도입' 검토 부서 추천 (업무분장 기준)",
        "1. 교통정책과 — 김도현 부서장님",
    ]
    assert "/proposal submit 1 <부서명>" in offer.text
    assert offer.actions[0] == "route:1:1"  # department 1 is 교통정책과
    assert (await proposal(story)).state == ProposalState.draft  # nothing sent before the organizer confirms
    assert [s for s in story.gateway.sent if s.destination.id == "dohyun"] == []
    assert await story.press("sujin", "route:1:1") == "제안 #1, 교통정책과에 제출했습니다."
    assert (
        story.in_room()[-1]
        == "📨 제안 #1 '버스정류장 온열의자 도입'을 교통정책과에 제출했습니다. 검토 기한: 2026. 4. 1.(수)"
    )
    [request] = [s for s in story.gateway.sent if s.destination.id == "dohyun"]
    assert "교통정책과 부서장님, 제안 #1" in request.text and request.actions == [
        "prop:1:adopt",
        "prop:1:reject",
        "prop:1:supplement",
    ]
    p = await proposal(story)
    # Due at the end of the 30th day (a Wednesday); the head is reminded on the mornings of the
    # business days a week and a day before, the organizers once the due day has ended.
    assert p.state == ProposalState.submitted and p.review_due_at == datetime(2026, 4, 1, 23, 59, tzinfo=SEOUL)
    assert p.department_id == 1
    # A second press of the same button does not send it twice.
    assert "'제출됨' 상태라서 제출할 수 없습니다" in await story.press("sujin", "route:1:1")  # type: ignore[operator]
    reminders = await rows(story, Reminder)
    assert [(r.kind, r.dedupe_key, r.due_at) for r in reminders] == [
        ("proposal.review_due", "proposal:1:review:7d", datetime(2026, 3, 25, 9, 0, tzinfo=SEOUL)),
        ("proposal.review_due", "proposal:1:review:1d", datetime(2026, 3, 31, 9, 0, tzinfo=SEOUL)),
        ("proposal.review_overdue", "proposal:1:review:overdue", datetime(2026, 4, 2, 0, 0, tzinfo=SEOUL)),
    ]
    # The reminder handlers: the head is nudged while the review is open, then nothing once decided.
    await story.app.core.run_job(lambda ctx: review_due(ctx, reminders[0]))
    await story.app.core.run_job(lambda ctx: review_overdue(ctx, reminders[2]))
    await story.app.sender.drain()
    assert any("검토 기한(2026. 4. 1.(수))이 7일 남았습니다" in t for t in story.to_person("dohyun"))
    assert any("검토 기한(2026. 4. 1.(수))이 지났습니다" in t for t in story.to_person("sujin"))
    await story.say("dohyun", "/proposal adopt 1")
    assert {r.state for r in await rows(story, Reminder)} == {"cancelled"}
    sent = len(story.gateway.sent)
    await story.app.core.run_job(lambda ctx: review_due(ctx, reminders[1]))
    await story.app.sender.drain()
    assert len(story.gateway.sent) == sent


async def test_submit_by_department_name_or_part_and_its_errors(story: Story) -> None:
    await ideas_and_draft(story)
    assert "찾을 수 없습니다" in (await story.say("sujin", "/proposal submit 1 소방과"))[0]
    assert "여러 곳입니다" in (await story.say("sujin", "/proposal submit 1 정책"))[0]
    assert "사용법: /proposal submit" in (await story.say("sujin", "/proposal submit"))[0]
    assert (await proposal(story)).state == ProposalState.draft
    await story.say("sujin", "/proposal submit 1 환경")
    p = await proposal(story)
    assert p.state == ProposalState.submitted
    [shown] = await story.say("minji", "/proposal 1")
    assert "담당 부서: 환경정책과" in shown and "검토 기한:" in shown
    [again] = await story.say("sujin", "/proposal submit 1")
    assert again == "제안 #1은 지금 '제출됨' 상태라서 제출할 수 없습니다."


async def test_only_the_head_or_an_organizer_decides_and_others_are_audited(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert "담당 부서장님 또는" in (await story.say("haeun", "/proposal adopt 1"))[0]  # another department's head
    assert "담당 부서장님 또는" in await story.press("minji", "prop:1:adopt")  # type: ignore[operator]
    refused = await rows(story, AuditEntry, AuditEntry.action == "refused")
    assert [a.detail["attempted"] for a in refused] == ["proposal.adopt", "proposal.adopt"]
    assert "채택되었습니다" in await story.press("dohyun", "prop:1:adopt", room="dm:dohyun")  # type: ignore[operator]
    assert (await proposal(story)).state == ProposalState.adopted
    assert "'채택' 상태라서 채택할 수 없습니다" in (await story.say("sujin", "/proposal adopt 1"))[0]


async def test_reject_needs_a_reason_and_the_proposal_matures(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert "불채택 사유를 적어 주세요" in (await story.say("dohyun", "/proposal reject 1"))[0]
    assert (await proposal(story)).state == ProposalState.submitted
    await story.say("dohyun", "/proposal reject 1 올해 예산이 이미 편성되었습니다")
    p = await proposal(story)
    assert (p.state, p.rejection_reason) == (ProposalState.maturing, "올해 예산이 이미 편성되었습니다")
    [transition] = await rows(story, ProposalTransition, ProposalTransition.to_state == "rejected")
    assert (transition.from_state, transition.reason) == ("submitted", "올해 예산이 이미 편성되었습니다")
    [audit] = await rows(story, AuditEntry, AuditEntry.action == "proposal.rejected")
    assert audit.detail["reason"] == "올해 예산이 이미 편성되었습니다"
    assert any("사유: 올해 예산이 이미 편성되었습니다" in t for t in story.to_person("minji"))
    assert any("불채택되었습니다" in t for t in story.to_person("junho"))
    [shown] = await story.say("minji", "/proposal 1")
    assert "상태: 숙성 중" in shown and "불채택 사유: 올해 예산이 이미 편성되었습니다" in shown


async def test_maturing_proposals_gain_ideas_and_supports_and_are_revived(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert "숙성 중인 제안에만" in (await story.say("jiwoo", "/proposal addidea 1 2"))[0]
    await story.say("dohyun", "/proposal reject 1 예산 부족")
    await story.say("jiwoo", "/idea 온열의자에 태양광 패널을")
    assert (await story.say("jiwoo", "/proposal addidea 1 4"))[0] == "🌱 제안 #1에 아이디어 #4를 더했습니다."
    assert "이미 제안 #1에 들어 있습니다" in (await story.say("jiwoo", "/proposal addidea 1 4"))[0]
    assert (await story.say("jiwoo", "/proposal support 1"))[0] == "👍 제안 #1의 아이디어 #1, #2, #3에 공감했습니다."
    assert "이미 모두 공감" in (await story.say("jiwoo", "/proposal support 1"))[0]
    assert "자문단 위원 또는" in (await story.say("minji", "/proposal revive 1"))[0]
    await story.say("sujin", "/committee add minji")
    assert "직접 재상정할 수 없습니다" in (await story.say("minji", "/proposal revive 1"))[0]  # her own proposal
    await story.say("sujin", "/committee add seoyeon")
    await story.say("seoyeon", "/proposal revive 1 시민 수요 확인")
    p = await proposal(story)
    assert (p.state, p.revived_count) == (ProposalState.submitted, 1)
    keys = [r.dedupe_key for r in await rows(story, Reminder, Reminder.state == "pending")]
    assert keys == ["proposal:1:review:7d:r1", "proposal:1:review:1d:r1", "proposal:1:review:overdue:r1"]
    # Revival points reward the committee's quarterly vote (see the tally test), not one member's command.
    assert await rows(story, PointEntry, PointEntry.stage == "proposal_revived") == []
    assert any("다시 상정되어 교통정책과에 제출되었습니다" in t for t in story.to_person("jiwoo"))


async def test_revive_proposal_for_the_committee_tally(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    await story.say("dohyun", "/proposal reject 1 예산 부족")

    async def tally(ctx):  # type: ignore[no-untyped-def]
        await revive_proposal(ctx, await ctx.session.get(Proposal, 1), by_committee=True, reason="자문단 의결")

    await story.app.core.run_job(tally)
    p = await proposal(story)
    assert (p.state, p.revived_count) == (ProposalState.submitted, 1)
    [last] = await rows(story, ProposalTransition, ProposalTransition.from_state == "maturing")
    assert last.reason == "자문단 의결"


async def test_assign_and_done_with_their_roles(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert "'제출됨' 상태라서 실행자 지정할 수 없습니다" in (await story.say("dohyun", "/proposal assign 1 seoyeon"))[0]
    await story.say("dohyun", "/proposal adopt 1")
    assert "찾을 수 없습니다" in (await story.say("dohyun", "/proposal assign 1 nobody"))[0]
    await story.say("dohyun", "/proposal assign 1 @seoyeon")
    assert any("실행자로 지정되셨습니다" in t for t in story.to_person("seoyeon"))
    assert "실행자, 담당 부서장님 또는 담당자만" in (await story.say("minji", "/proposal done 1"))[0]
    await story.say("seoyeon", "/proposal done 1")
    p = await proposal(story)
    assert p.state == ProposalState.implemented and p.implemented_at is not None
    implementer_points = await rows(story, PointEntry, PointEntry.stage == "proposal_implemented_implementer")
    assert [e.points for e in implementer_points] == [30]


async def test_undo_reverts_the_last_change_and_its_points(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal submit 1 교통정책과")
    await story.say("dohyun", "/proposal adopt 1")
    assert "담당자만" in (await story.say("dohyun", "/proposal undo 1"))[0]
    reply, *_ = await story.say("sujin", "/proposal undo 1")
    assert reply == "↩️ 제안 #1의 '채택' 처리를 되돌렸습니다. 지금 상태: 제출됨"
    p = await proposal(story)
    assert p.state == ProposalState.submitted and p.decided_at is None
    assert {r.state for r in await rows(story, Reminder)} == {"pending"}  # the review is open again
    adopted = await rows(story, PointEntry, PointEntry.stage == "proposal_adopted")
    assert sorted(e.points for e in adopted) == [-20, -20, 20, 20]  # appended, never deleted
    assert any("'채택' 처리가 취소되어" in t for t in story.to_person("junho"))
    [undo_audit] = await rows(story, AuditEntry, AuditEntry.action == "proposal.undo")
    assert undo_audit.detail["points_reversed"] == 2
    # Adopted again by mistake-free review: the points come back under new keys.
    await story.say("dohyun", "/proposal adopt 1")
    adopted = await rows(story, PointEntry, PointEntry.stage == "proposal_adopted")
    assert sum(e.points for e in adopted) == 40
    [shown] = await story.say("minji", "/proposal 1")
    assert "제출됨 → 채택 (김도현) [되돌림]" in shown
    await story.say("sujin", "/proposal undo 1")
    await story.say("sujin", "/proposal undo 1")
    await story.say("sujin", "/proposal undo 1")
    assert (await proposal(story)).state == ProposalState.draft
    assert "되돌릴 상태 변경이 없습니다" in (await story.say("sujin", "/proposal undo 1"))[0]


async def test_withdraw_and_the_listing_by_state(story: Story) -> None:
    await ideas_and_draft(story)
    await story.say("sujin", "/proposal new 2 바람막이만 따로")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert "담당자만" in (await story.say("minji", "/proposal withdraw 2"))[0]
    await story.say("sujin", "/proposal withdraw 2 중복 제안")
    [listing] = await story.say("minji", "/proposals")
    assert listing.splitlines() == [
        "📚 제안 목록 (총 2건)",
        "[제출됨] 1건",
        " · #1 버스정류장 온열의자 도입 — 교통정책과",
        "[철회] 1건",
        " · #2 바람막이만 따로 — 담당 부서 미정",
    ]
    assert "'철회' 상태라서 제출할 수 없습니다" in (await story.say("sujin", "/proposal submit 2"))[0]


async def test_english_proposers_are_told_in_english(sqlite_url: str) -> None:
    story = await Story.start(test_settings(sqlite_url))
    try:
        await story.say("junho", "/help")
        async with story.app.db.session() as session:
            from storage.tables import Person

            junho = (await session.exec(select(Person).where(Person.handle == "junho"))).one()
            junho.locale = "en"
            session.add(junho)
        await story.say("junho", "/idea Heated benches")
        await story.say("sujin", "/proposal new 1 Heated benches")
        assert (
            story.to_person("junho")[-1]
            == "📄 최준호, your idea is now part of proposal #1 'Heated benches'. We will keep you posted."
        )
    finally:
        await story.close()
