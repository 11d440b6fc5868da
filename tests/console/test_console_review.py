"""A month at the real console: a topic picked directly, a supplement asked and answered, a rejection
decided in a direct chat and seen in the room, /할일, and the closed topic's ideas listed afterwards."""

from __future__ import annotations

from sqlmodel import select

from idearoom.wiring import build_app
from storage.tables import Proposal, ProposalState
from tests.console.driver import run_console
from tests.harness import test_settings

SCRIPT = """\
/as sujin
/topic pick 버스정류장 안전 | 정류장 앞 횡단보도가 위험합니다
/as minji
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/as sujin
/proposal new 1 버스정류장 온열의자 도입
/proposal submit 1 교통정책과
/as dohyun
/in dm
/press prop:1:supplement
설치할 정류장 목록과 예상 비용을 보완해 주세요
/as minji
/할일
/proposal answer 1 정류장 5곳과 비용 견적을 첨부합니다
/as dohyun
/todo
/press prop:1:reject
올해 예산이 이미 편성되었습니다
/in 아이디어방
/as sujin
/topic close
/ideas
/ideas 1
"""


async def test_a_review_with_a_supplement_at_the_console(sqlite_url: str) -> None:
    output = await run_console(sqlite_url, SCRIPT)
    assert "📢 이번 달 토론주제가 정해졌습니다: '버스정류장 안전'" in output
    assert "[📝 보완 요청 → /press prop:1:supplement]" in output
    assert "요청 내용: 설치할 정류장 목록과 예상 비용을 보완해 주세요" in output
    assert "• 제안 #1 '버스정류장 온열의자 도입' 보완 요청 — 답변해 주시면 검토가 다시 진행됩니다" in output
    assert "보완 내용: 정류장 5곳과 비용 견적을 첨부합니다" in output
    assert "• 제안 #1 '버스정류장 온열의자 도입' 검토 —" in output
    # The rejection, typed in dohyun's direct chat, is posted in the room and told to the organizer.
    rejected = "제안 #1 '버스정류장 온열의자 도입'이 교통정책과에서 불채택되었습니다."
    assert f"[아이디어방] 🤖 {rejected}" in output and f"[→ sujin 개인 메시지] 🤖 {rejected}" in output
    assert " · #1 버스정류장 안전 (아이디어 1건)" in output
    assert "1. #1 버스정류장에 온열의자를 설치하면 좋겠습니다 — 박민지 · 👍 0" in output.split("/ideas 1", 1)[1]
    app = build_app(test_settings(sqlite_url))
    try:
        async with app.db.session() as session:
            proposal = (await session.exec(select(Proposal))).one()
        assert (proposal.state, proposal.rejection_reason) == (
            ProposalState.maturing,
            "올해 예산이 이미 편성되었습니다",
        )
    finally:
        await app.close()
