"""Two proposals followed through the real console: one to implemented, one rejected and revived."""

from __future__ import annotations

import re

from sqlmodel import select

from idearoom.wiring import build_app
from storage.tables import PointEntry, Proposal, ProposalState
from tests.console.driver import run_console
from tests.harness import test_settings

SCRIPT = """\
/as dohyun
/points
/as haeun
/points
/as seoyeon
/points
/as minji
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/as junho
/idea 버스정류장에 바람막이를 설치해 주세요
/idea 하천 산책로에 미세먼지 알림판을 세워 주세요
/as sujin
/proposal new 1,2 버스정류장 온열의자와 바람막이 도입
/as minji
/points
/as sujin
/proposal submit 1 교통정책과
/as minji
/points
/as dohyun
/in dm
/press prop:1:adopt
/in 아이디어방
/as minji
/points
/as dohyun
/proposal assign 1 seoyeon
/as seoyeon
/proposal done 1
/as minji
/points
/proposal 1
/as sujin
/proposal new 3 하천 산책로 미세먼지 알림판
/proposal submit 2 환경정책과
/as haeun
/proposal reject 2
/proposal reject 2 올해 예산이 이미 편성되어 있습니다
/proposal adopt 2
/as minji
/idea 알림판에 실시간 대기질 지수도 보여 주세요
/proposal addidea 2 4
/as sujin
/committee add seoyeon
/as seoyeon
/proposal revive 2 시민 수요가 확인되었습니다
/as junho
/points
/proposals
"""


def balances(transcript: str, name: str) -> list[int]:
    return [int(n) for n in re.findall(rf"{name} \S*님의 미소포인트: 누적 (-?\d+)점", transcript)]


async def test_one_proposal_to_implemented_and_one_through_revival_with_points_at_each_stage(sqlite_url: str) -> None:
    transcript = await run_console(sqlite_url, SCRIPT)

    # Proposal 1: created, submitted, adopted by the head's button, assigned, implemented.
    assert (
        "📄 제안 #1 '버스정류장 온열의자와 바람막이 도입'을 만들었습니다 (아이디어 2건, 제안자: 박민지, 최준호)"
        in transcript
    )
    assert "[→ dohyun 개인 메시지] 🤖 📥 교통정책과 부서장님, 제안 #1" in transcript
    assert "[✅ 채택 → /press prop:1:adopt]" in transcript
    assert "  ↳ 🎉 제안 #1 '버스정류장 온열의자와 바람막이 도입'이 교통정책과에서 채택되었습니다!" in transcript
    assert "[→ seoyeon 개인 메시지] 🤖 🛠 정서연 주무관님, 채택된 제안 #1" in transcript
    assert (
        "[→ minji 개인 메시지] 🤖 ✅ 제안 #1 '버스정류장 온열의자와 바람막이 도입'이 실행 완료되었습니다." in transcript
    )
    # minji's balance after: the idea, created, submitted, adopted, implemented.
    assert balances(transcript, "박민지") == [6, 11, 31, 61]
    shown = transcript.split("/proposal 1\n", 1)[1]
    assert "상태: 실행 완료 · 담당 부서: 교통정책과" in shown
    assert "실행자: 정서연" in shown
    assert "실행 중 → 실행 완료 (정서연)" in shown

    # Proposal 2: rejection needs a reason, then it matures, gains an idea and is revived by the committee.
    assert "불채택 사유를 적어 주세요" in transcript
    assert (
        "[→ junho 개인 메시지] 🤖 제안 #2 '하천 산책로 미세먼지 알림판'이 환경정책과에서 불채택되었습니다."
        in transcript
    )
    assert "제안 #2는 지금 '숙성 중' 상태라서 채택할 수 없습니다." in transcript
    assert "🌱 제안 #2에 아이디어 #4를 더했습니다." in transcript
    assert (
        "🌱 숙성 중이던 제안 #2 '하천 산책로 미세먼지 알림판'이 다시 상정되어 환경정책과에 제출되었습니다."
        in transcript
    )
    # junho: 2 ideas, proposal 1 (5+5+20+30), proposal 2 (created 5, submitted 5); a member's revive pays nothing.
    assert balances(transcript, "최준호") == [72]
    listing = transcript.split("/proposals\n", 1)[1]
    assert "[제출됨] 1건" in listing and "[실행 완료] 1건" in listing

    async def stored() -> tuple[list[Proposal], int]:
        app = build_app(test_settings(sqlite_url))
        try:
            async with app.db.session() as session:
                proposals = list((await session.exec(select(Proposal).order_by(Proposal.id))).all())
                revived = len(
                    (await session.exec(select(PointEntry).where(PointEntry.stage == "proposal_revived"))).all()
                )
            return proposals, revived
        finally:
            await app.close()

    proposals, revived_entries = await stored()
    assert [p.state for p in proposals] == [ProposalState.implemented, ProposalState.submitted]
    assert proposals[1].revived_count == 1
    assert revived_entries == 0  # revived by a member's command: points come only with the committee's vote
