"""The console read as a Korean civil servant reads it, and a second session in the same place."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from sqlmodel import select

from bot.ports import ManualClock
from idearoom.wiring import build_app
from storage.tables import Idea, Support
from tests.commands import IDEAROOM, command_env
from tests.console import test_console_month, test_console_proposals
from tests.console.driver import run_console
from tests.harness import test_settings

HEDGES = ("을(를)", "를(을)", "이(가)", "가(이)", "은(는)", "는(은)", "(으)로", "와(과)", "과(와)", "(이)라")

# What the month and the proposals scripts do not reach: refusals, lists, help, errors.
ODDS_AND_ENDS = """\
/as minji
/주제 추천 공원
/아이디어여 정류장
/idea 어르신 무료 셔틀
/support ２
/support 1
/proposals
/topic
/committee
/remind list
/leaderboard
/as sujin
/proposal new 1 어르신 셔틀
/proposal 1
/points award minji 10 아이디어 우수
/points deduct minji 3 중복 등록
/committee add seoyeon
/committee remove seoyeon
/help
/as minji
/topik
/순위 주간
/report 2026-02
"""

# What may be Latin in a Korean answer: commands and their words, placeholders, handles, paths, formats.
_NOT_PROSE = (
    r"\[[^\]]*→ /press [^\]]*\]",  # a button: its label is Korean, its action is the console's
    r"\[→ \w+ 개인 메시지\]",
    r"/[A-Za-z가-힣]+(?: (?:[a-z]+|inv_\d+))*",  # /proposal adopt, /visit held, /start inv_1
    r"<[^>]+>",
    r"'[a-z]+'",  # a handle: 'minji'로
    r"\S+\.(?:png|json|xlsx|csv)\)?",
    r"YYYY-MM(?:-DD)?|HH:MM",
    r"^idearoom 콘솔입니다",  # the product's name
)


def english_in(transcript: str) -> list[str]:
    """The bot's lines with a Latin word left once commands, placeholders and handles are taken out."""
    found = []
    for line in transcript.splitlines():
        if line.startswith(("> ", "이제 ")) or line.strip().startswith(("/", "★ /")):
            continue  # what was typed, the console's echo of /as, and /help's synopses (the words typed)
        prose = line
        for pattern in _NOT_PROSE:
            prose = re.sub(pattern, "", prose)
        if re.search(r"[A-Za-z]{3,}", prose):
            found.append(line)
    return found


def hedges_in(transcript: str) -> list[str]:
    return [line for line in transcript.splitlines() if any(h in line for h in HEDGES)]


async def test_a_scripted_month_prints_no_particle_fallback_and_no_dash_for_an_empty_value(sqlite_url: str) -> None:
    month = await test_console_month.run_month(sqlite_url)
    proposals = await run_console(sqlite_url.replace(".db", "-2.db"), test_console_proposals.SCRIPT, migrate=True)
    odds = await run_console(
        sqlite_url.replace(".db", "-3.db"), ODDS_AND_ENDS, clock=ManualClock(test_console_month.START), migrate=True
    )
    transcript = "\n".join((month, proposals, odds))

    assert hedges_in(transcript) == []
    assert english_in(transcript) == []  # e.g. "사용법: /leaderboard [month|quarter|year]" for /순위 주간
    assert not re.search(r"(— -|: -|\(-\))$", transcript, re.MULTILINE)
    assert "'minji'로 '아이디어방'에 있습니다" in month  # not "'minji'(으)로 '아이디어방' 방에"
    assert "'seoyeon'으로 말합니다" in month
    assert "📝 토론주제 후보 #1번 '버스정류장 신호등 안전'을 등록했습니다" in month
    assert "'아이디어방'의 이번 달 토론주제 '버스정류장 신호등 안전'이 교통정책과 업무와" in month
    assert "마감: 2026. 3. 31.(화)까지" in month
    assert (
        "박민지 주무관님이 올리신 아이디어가 제안 #1 '버스정류장 온열의자와 바람막이 도입'에 반영되었습니다"
        in proposals
    )
    assert "제안 #2는 지금 '숙성 중' 상태라서 채택할 수 없습니다." in proposals
    assert "'/주제 추천'은 없는 명령어입니다" in odds
    assert "'/아이디어여'는 없는 명령어입니다. 혹시 /아이디어를 찾으셨나요?" in odds
    assert "✅ 박민지 주무관님께 10점을 지급했습니다(누적 " in odds
    assert "✅ 박민지 주무관님의 포인트에서 3점을 차감했습니다(누적 " in odds
    assert "상태: 초안 · 담당 부서는 아직 정해지지 않았습니다" in odds and "담당 부서: 담당 부서 미정" not in odds
    assert "'/topik'은 없는 명령어입니다. 혹시 /topic을 찾으셨나요?" in odds
    assert "사용법: /순위 [이번달|분기|올해] 또는 /순위 부서 [이번달|분기|올해]" in odds
    assert "이번 달 만든 제안은 없습니다." in odds and "이번 달 검토를 마친 제안은 없습니다." in odds  # 2026년 2월


async def test_full_width_digits_count_as_digits(sqlite_url: str) -> None:
    transcript = await run_console(
        sqlite_url, "/as minji\n/idea 어르신 무료 셔틀\n/as junho\n/support １\n", migrate=True
    )

    assert "👍 #1번 아이디어에 공감했습니다 (공감 1)." in transcript
    app = build_app(test_settings(sqlite_url))
    async with app.db.session() as session:
        assert len((await session.exec(select(Support))).all()) == 1
    await app.close()


async def test_a_second_console_session_in_the_same_place_keeps_its_idea(sqlite_url: str) -> None:
    """`printf '/as minji\\n/idea ...\\n' | idearoom run`, twice: the second idea is stored too."""
    first = await run_console(sqlite_url, "/as minji\n/idea 민원실 대기표를 문자로\n", migrate=True)
    # Another idea: the same one again from the same person would be refused as a duplicate.
    second = await run_console(
        sqlite_url, "/as minji\n/idea 민원실에 보조배터리 대여기\n/as junho\n/react u2 👍\n", migrate=True
    )

    assert "💡 아이디어 #1번을 등록했습니다." in first
    assert "💡 아이디어 #2번을 등록했습니다." in second
    assert "Traceback" not in second and "죄송합니다" not in second
    app = build_app(test_settings(sqlite_url))
    async with app.db.session() as session:
        ideas = (await session.exec(select(Idea).order_by(Idea.id))).all()
        supports = (await session.exec(select(Support))).all()
    await app.close()
    assert [i.text for i in ideas] == ["민원실 대기표를 문자로", "민원실에 보조배터리 대여기"]
    # The second session's line `u2` is its idea: the reaction supports idea #2, not #1.
    assert [s.idea_id for s in supports] == [ideas[1].id]


def test_idearoom_run_twice_in_the_same_directory_stores_both_ideas(tmp_path: Path) -> None:
    """What a newcomer meets on the second `make run`: no traceback, the idea is stored."""
    env = {**os.environ, "IDEAROOM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'idearoom.db'}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    runs = [
        subprocess.run(
            [*IDEAROOM, "run"],
            input=f"/as minji\n/idea {idea}\n",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=command_env(env),
            timeout=120,
        )
        # Two ideas: the same one again from the same person would be refused as a duplicate.
        for idea in ("민원실 대기표를 문자로", "민원실에 보조배터리 대여기")
    ]
    for number, run in enumerate(runs, start=1):
        assert run.returncode == 0 and "Traceback" not in run.stderr + run.stdout, run.stderr
        assert f"💡 아이디어 #{number}번을 등록했습니다." in run.stdout
