"""A whole month of the monthly topic through the real console adapter, read as a Korean transcript."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.ports import ManualClock
from storage.db import Database
from storage.tables import FieldVisit, Idea, Invitation, Topic
from tests.console.driver import run_console

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))

MONTH = """\
/as minji
/topic suggest 버스정류장 신호등 안전 | 정류장 앞 횡단보도와 신호등이 부족해 위험합니다
/as junho
/topic suggest 공원 산책로 야간 조명
/topic support 1
/as seoyeon
/press topic:1
/topic candidates
/as dohyun
/in dm
/start
/as minji
/in 아이디어방
/topic pick
/as sujin
/topic pick
/press invite:1:1
/as dohyun
/in dm
/press inv:1:visit
다음 주 화요일 오후
2026-03-20 14:00 시청역 버스정류장 (신호등 함께 점검)
/as minji
/in 아이디어방
/idea 정류장에 온열의자를 놓아 주세요
/as junho
/idea 신호등에 잔여시간 표시기를 달아 주세요
/support 1
/as seoyeon
#아이디어 횡단보도 바닥에 보조 신호등을 설치해요
/support 2
/as jiwoo
/support 2
/topic
/as sujin
/topic close
"""


async def run_month(database_url: str) -> str:
    return await run_console(database_url, MONTH, clock=ManualClock(START), migrate=True)


def after(transcript: str, line: str) -> str:
    """The transcript from the echo of `line` on (the bot's answers to it come first)."""
    assert line in transcript, line
    return transcript.split(line, 1)[1]


async def test_a_month_of_the_topic_in_the_console(sqlite_url: str) -> None:
    transcript = await run_month(sqlite_url)

    # Suggestions and supports.
    assert "[아이디어방] 🤖 📝 토론주제 후보 #1번 '버스정류장 신호등 안전'을 등록했습니다." in transcript
    assert "[👍 #1 공감 → /press topic:1]" in transcript
    assert "  ↳ 👍 #1번 후보 '버스정류장 신호등 안전'에 공감했습니다 (공감 2)." in transcript
    candidates = after(transcript, "> seoyeon@아이디어방: /topic candidates")
    assert "#1 버스정류장 신호등 안전 — 제안: 박민지 · 👍 2" in candidates
    assert "공감: 최준호, 정서연" in candidates
    assert "#2 공원 산책로 야간 조명 — 제안: 최준호 · 👍 0" in candidates

    # Only the organizer picks; the pick is announced with its closing date.
    refused = after(transcript, "> minji@아이디어방: /topic pick")
    assert refused.splitlines()[1] == "[아이디어방] 🤖 이 명령어는 혁신담당관실 담당자만 쓸 수 있습니다."
    pick = after(transcript, "> sujin@아이디어방: /topic pick")
    assert "[아이디어방] 🤖 📢 이번 달 토론주제가 정해졌습니다: '버스정류장 신호등 안전'" in pick
    assert "    마감: 2026. 3. 31.(화)까지." in pick

    # The ranked departments, the transport department first, each with an invite button.
    assert "[아이디어방] 🤖 🏛 '버스정류장 신호등 안전' 주제와 관련된 부서 (업무분장 기준 추천)" in pick
    ranked = [line.strip() for line in pick.splitlines() if line.strip()[:2] in ("1.", "2.", "3.")][:3]
    assert ranked[0] == "1. 교통정책과 — 김도현 부서장님"
    assert "[✉️ 교통정책과 부서장님 초대 → /press invite:1:1]" in pick

    # The invitation: the organizer's toast and the head's direct message with three buttons.
    invite = after(transcript, "> sujin@아이디어방: /press invite:1:1")
    assert "  ↳ ✉️ 교통정책과 김도현 부서장님께 초대장을 보냈습니다." in invite
    assert "[→ dohyun 개인 메시지] 🤖 ✉️ 김도현 부서장님, 안녕하세요. 혁신담당관실 이수진입니다." in invite
    assert "[✅ 참여하겠습니다 → /press inv:1:accept]  [🙏 이번에는 어렵습니다 → /press inv:1:decline]" in invite
    assert "[📍 현장 방문 제안 → /press inv:1:visit]" in invite

    # The head accepts with a field visit: a bad answer is asked again, then the visit is announced.
    bad = after(transcript, "> dohyun@dm: 다음 주 화요일 오후")
    assert bad.splitlines()[1].startswith("[→ dohyun 개인 메시지] 🤖 일정을 알아보지 못했습니다.")
    visit = after(transcript, "> dohyun@dm: 2026-03-20 14:00 시청역 버스정류장 (신호등 함께 점검)")
    assert (
        "[→ dohyun 개인 메시지] 🤖 📍 현장 방문 일정을 등록했습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장." in visit
    )
    assert (
        "[아이디어방] 🤖 📍 현장 방문 안내: 교통정책과 김도현 부서장님이 '버스정류장 신호등 안전' 토론에 함께하시며"
        in visit
    )
    assert "    일시: 2026. 3. 20.(금) 14:00\n    장소: 시청역 버스정류장\n    메모: 신호등 함께 점검" in visit
    assert (
        "[→ sujin 개인 메시지] 🤖 ✅ 교통정책과 김도현 부서장님이 초대를 수락하고 현장 방문을 제안하셨습니다" in visit
    )
    assert "[시스템] 'dohyun'을 '아이디어방'에 추가했습니다." in visit

    # Ideas now belong to the topic; /topic lists the head and the visit.
    assert "💡 '버스정류장 신호등 안전' 주제의 아이디어 #1번을 등록했습니다." in transcript
    assert "💡 '버스정류장 신호등 안전' 주제의 아이디어 #3번을 등록했습니다." in transcript
    shown = after(transcript, "> jiwoo@아이디어방: /topic")
    assert "[아이디어방] 🤖 🗣 이번 토론주제: 버스정류장 신호등 안전" in shown
    assert "    지금까지 아이디어 3건" in shown
    assert "    🤝 함께하는 부서장: 교통정책과 김도현 부서장님" in shown
    assert "    · 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 예정)" in shown

    # The closing summary.
    summary = after(transcript, "> sujin@아이디어방: /topic close")
    assert summary.splitlines()[1:11] == [
        "[아이디어방] 🤖 🏁 '버스정류장 신호등 안전' 토론을 마감했습니다.",
        "    아이디어 3건 · 참여 4명",
        "    🏆 공감을 많이 받은 아이디어",
        "    1. #2 신호등에 잔여시간 표시기를 달아 주세요 — 최준호 · 👍 2",
        "    2. #1 정류장에 온열의자를 놓아 주세요 — 박민지 · 👍 1",
        "    3. #3 횡단보도 바닥에 보조 신호등을 설치해요 — 정서연 · 👍 0",
        "    🤝 함께한 부서장: 교통정책과 김도현 부서장님",
        "    📍 현장 방문",
        "    · 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 예정)",
        "    함께해 주신 모든 분께 감사드립니다. 좋은 아이디어는 제안으로 이어 가겠습니다.",
    ]


async def test_the_month_is_stored(sqlite_url: str) -> None:
    await run_month(sqlite_url)
    db = Database(sqlite_url)
    try:
        async with db.session() as session:
            topics = {t.title: t.state for t in (await session.exec(select(Topic))).all()}
            [invitation] = (await session.exec(select(Invitation))).all()
            [visit] = (await session.exec(select(FieldVisit))).all()
            ideas = (await session.exec(select(Idea.topic_id))).all()
    finally:
        await db.dispose()
    assert topics == {"버스정류장 신호등 안전": "closed", "공원 산책로 야간 조명": "candidate"}
    assert invitation.state == "accepted" and visit.invitation_id == invitation.id
    assert ideas == [1, 1, 1]
