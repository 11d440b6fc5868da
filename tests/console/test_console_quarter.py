"""A quarter passes in the real console with a movable clock: topic, invitation, review, committee."""

from __future__ import annotations

from sqlmodel import select

from bot.ports import ManualClock
from idearoom.wiring import build_app
from storage.tables import Invitation, Proposal, Reminder
from tests.console.driver import run_console
from tests.harness import test_settings
from tests.scheduler.clocked import seoul

SETUP = """\
/as dohyun
/in dm
/help
/as jiwoo
/help
/as seoyeon
/help
/as junho
/help
/as sujin
/help
/in 아이디어방
/committee add @jiwoo
/committee add @seoyeon
/committee add @junho
/as minji
/topic suggest 버스 정류장 개선
/as junho
/topic support 1
/as sujin
/topic pick 1 until 2026-04-30
/invite 교통정책과
/as minji
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/idea 정류장마다 도착 안내 전광판을 달아 주세요
/as junho
/support 1
/support 2
/as sujin
/proposal new 1 버스정류장 온열의자 설치
/proposal submit 1 교통정책과
/proposal new 2 정류장 도착 안내 전광판
/proposal submit 2 교통정책과
/as dohyun
/proposal reject 1 올해 예산이 부족합니다
/as sujin
/remind add "월 09:00" here 주간 혁신추진단 회의 (10시, 3층)
/clock
"""

SPRING = """\
/clock 2026-04-01T09:00
/clock +3d
/clock 2026-04-23T09:00
/quit
"""

# Started again where the previous run stopped: a restart in the middle of the schedule.
SUMMER = """\
/clock 2026-06-08T09:00
/as jiwoo
/in dm
/press vote:1:1:revive
/as seoyeon
/press vote:1:1:revive
/as junho
/press vote:1:1:revive
/press vote:1:1:keep
/as minji
/press vote:1:1:revive
/clock 2026-06-15T18:00
/as jiwoo
/press vote:1:1:keep
/quit
"""


async def start(database_url: str, script: str, at: str) -> str:
    """The console as `idearoom run --clock <at>` wires it: scheduler recovered, /clock attached."""
    return await run_console(database_url, script, clock=ManualClock(seoul(at)), with_scheduler=True)


def after(transcript: str, line: str) -> str:
    """What the console printed after the scripted `line`, up to the next scripted line."""
    rest = transcript.split(f": {line}\n", 1)[1]
    return rest.split("\n> ", 1)[0]


async def test_a_quarter_passes_in_the_console(sqlite_url: str) -> None:
    setup = await start(sqlite_url, SETUP, "2026-03-31T08:00")
    assert "🕘 현재 시각: 2026. 3. 31.(화) 08:00" in setup
    assert "다음 알림: 2026. 4. 6.(월) 09:00" in setup

    # The bot is stopped and started again on the same database before and during the quarter.
    spring = await start(sqlite_url, SPRING, "2026-03-31T08:00")
    summer = await start(sqlite_url, SUMMER, "2026-04-23T09:00")
    transcript = spring + summer

    monthly = after(transcript, "/clock 2026-04-01T09:00")
    assert "🕘 2026. 4. 1.(수) 09:00" in monthly
    # April's topic was picked in March: the reminder says so instead of asking to pick one.
    assert "[→ sujin 개인 메시지] 🤖 📅 4월 토론주제가 모든 방에서 정해져 있습니다." in monthly

    follow_up = after(transcript, "/clock +3d")
    assert "[→ dohyun 개인 메시지] 🤖 🔔 아직 답변을 받지 못해 다시 안내드립니다." in follow_up
    assert "교통정책과 김도현 부서장님이 사흘째 초대에 답하지 않으셔서" in follow_up

    review = after(transcript, "/clock 2026-04-23T09:00")
    assert "제안 #2 '정류장 도착 안내 전광판'의 검토 기한(2026. 4. 30.(목))이 7일 남았습니다" in review
    assert "[아이디어방] 🤖 ⏰ 알림: 주간 혁신추진단 회의 (10시, 3층)" in review  # Mondays 4/6, 4/13, 4/20
    assert review.count("주간 혁신추진단 회의") == 3

    agenda = after(transcript, "/clock 2026-06-08T09:00")
    assert "📅 5월 토론주제를 정할 때입니다" in agenda and "📅 6월 토론주제를 정할 때입니다" in agenda
    assert "검토 기한(2026. 4. 30.(목))이 지났습니다" in agenda  # overdue review, reported to organizers
    assert "[→ jiwoo 개인 메시지] 🤖 🏛️ 시민행복 제안 디자인 자문단 2026년 2분기 회의 안건입니다." in agenda
    assert "불채택 사유: 올해 예산이 부족합니다" in agenda
    assert "[🔁 재상정 → /press vote:1:1:revive]  [🌱 숙성 유지 → /press vote:1:1:keep]" in agenda

    assert "↳ 🌱 제안 #1: '숙성 유지'로 투표하셨습니다." in after(transcript, "/press vote:1:1:keep")
    assert "↳ 자문단 위원만 투표할 수 있습니다." in transcript

    tally = after(transcript, "/clock 2026-06-15T18:00")
    assert (
        "[아이디어방] 🤖 🎉 시민행복 제안 디자인 자문단이 제안 #1 '버스정류장 온열의자 설치'의 재상정을 결정했습니다(재상정 2표, 유지 1표)"
        in tally
    )
    assert "📝 2026년 2분기 시민행복 제안 디자인 자문단 회의록(안건 1건)" in tally
    assert "🔁 제안 #1 버스정류장 온열의자 설치 — 재상정 결정(담당 부서에 다시 제출)" in tally
    assert "재상정 2표 · 유지 1표 · 투표 3/3명(정족수 2명 충족)" in tally
    assert "이미 집계되어" in transcript.rsplit("/press vote:1:1:keep", 1)[1]

    # Nothing was lost or repeated across the restart, and every due reminder was sent once.
    assert transcript.count("📅 4월 토론주제") == 1
    assert transcript.count("회의 안건입니다") == 3
    assert transcript.count("⏰ 알림: 주간 혁신추진단 회의") == 11  # every Monday 4/6 to 6/15, once each
    app = build_app(test_settings(sqlite_url), ManualClock(seoul("2026-06-15T18:00")))
    try:
        async with app.db.session() as session:
            proposal = await session.get(Proposal, 1)
            invitation = await session.get(Invitation, 1)
            overdue = (await session.exec(select(Reminder).where(Reminder.due_at <= seoul("2026-06-15T18:00")))).all()
    finally:
        await app.db.dispose()
    assert proposal is not None and (proposal.state, proposal.revived_count) == ("submitted", 1)
    assert invitation is not None and invitation.state == "expired" and invitation.followed_up_at is not None
    assert {r.state for r in overdue} <= {"sent", "cancelled"}
