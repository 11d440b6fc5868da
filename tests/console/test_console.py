"""The console adapter as a person uses it: a scripted session on standard input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlmodel import func, select

from idearoom.wiring import build_app
from storage.tables import Idea, IdeaComment, Person, Room, Support
from tests.commands import IDEAROOM, command_env
from tests.console.driver import run_console
from tests.harness import test_settings

SCRIPT = """\
/as minji
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/as junho
/idea 신호등에 잔여시간 표시기를 달아 주세요
/support 1
/as seoyeon
#아이디어 공원 산책로에 야간 조명을 늘려 주세요
/press support:1
/support 2
/as minji
/support 1
/ideas
/in dm
/idea 개인 대화에서 올린 아이디어
/quit
/idea 종료 뒤에는 읽지 않습니다
"""


async def test_a_scripted_session_shows_ideas_supports_and_the_ranking_in_korean(sqlite_url: str) -> None:
    transcript = await run_console(sqlite_url, SCRIPT)
    assert "> minji@아이디어방: /idea 버스정류장에 온열의자를 설치하면 좋겠습니다" in transcript
    assert "[아이디어방] 🤖 💡 아이디어 #1번을 등록했습니다." in transcript
    assert "[👍 공감 → /press support:1]" in transcript
    assert "[아이디어방] 🤖 💡 아이디어 #3번을 등록했습니다." in transcript  # the #아이디어 capture
    assert "  ↳ 👍 #1번 아이디어에 공감했습니다 (공감 2)." in transcript  # the button press
    assert "본인이 올린 아이디어(#1)에는 공감할 수 없습니다" in transcript
    ranking = transcript.split("/ideas\n", 1)[1]
    assert "📋 아이디어 목록 (공감순, 총 3건)" in ranking
    lines = [line.strip() for line in ranking.splitlines() if line.strip()[:2] in ("1.", "2.", "3.")]
    assert lines[0].startswith("1. #1 버스정류장에 온열의자를") and lines[0].endswith("박민지 · 👍 2")
    assert lines[1].startswith("2. #2 신호등에") and lines[1].endswith("최준호 · 👍 1")
    assert lines[2].startswith("3. #3 공원 산책로에") and lines[2].endswith("정서연 · 👍 0")
    assert "/idea 명령어는 토론방에서만 쓸 수 있습니다." in transcript
    assert "종료 뒤에는" not in transcript


async def test_the_session_is_stored_in_the_database(sqlite_url: str) -> None:
    await run_console(sqlite_url, SCRIPT)
    from storage.db import Database

    db = Database(sqlite_url)
    async with db.session() as session:
        ideas = (await session.exec(select(func.count()).select_from(Idea))).one()
        supports = (await session.exec(select(func.count()).select_from(Support))).one()
        rooms = sorted(r.external_id for r in (await session.exec(select(Room))).all())
    await db.dispose()
    assert (ideas, supports) == (3, 3)
    assert rooms == ["dm:minji", "아이디어방"]


async def test_the_same_session_in_english(sqlite_url: str) -> None:
    transcript = await run_console(sqlite_url, SCRIPT, IDEAROOM_LOCALE="en")
    assert "[아이디어방] 🤖 💡 Idea #1 recorded. Press 👍 to support it." in transcript
    assert "You cannot support your own idea (#1)" in transcript
    assert "📋 Ideas (most supported first, 3 in all)" in transcript
    assert "/idea works only in a discussion room." in transcript


async def test_console_commands_without_arguments_explain_themselves(sqlite_url: str) -> None:
    transcript = await run_console(sqlite_url, "/as\n/in\n/press\n/in 두번째방\n/idea 다른 방\n")
    assert "사용법: /as <이름>" in transcript
    assert "사용법: /in <방 이름>" in transcript
    assert "사용법: /press <버튼>" in transcript
    assert "[두번째방] 🤖 💡 아이디어 #1번을 등록했습니다." in transcript


def test_the_idearoom_command_runs_a_piped_session(tmp_path: Path) -> None:
    """What a new user types: `printf ... | idearoom run` on a fresh SQLite file."""
    env = {**os.environ, "IDEAROOM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    script = "/as minji\n/idea 민원실 대기표를 문자로 알려 주세요\n/as junho\n/support 1\n/ideas\n"
    result = subprocess.run(
        [*IDEAROOM, "run"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=command_env(env),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "💡 아이디어 #1번을 등록했습니다." in result.stdout
    assert "1. #1 민원실 대기표를 문자로 알려 주세요 — 박민지 · 👍 1" in result.stdout
    assert (tmp_path / "bot.db").exists()


async def test_control_characters_in_typed_names_rooms_and_message_numbers_are_dropped(database_url: str) -> None:
    """`/as`, `/in`, `/react` and `/reply` take names and message numbers: a NUL or an escape code in them is
    dropped as in any text, on PostgreSQL too (which refuses a NUL), instead of ending in an apology."""
    script = (
        "/as jun\x00ho\n/idea 민원실 대기표를 문자로\n/as minji\n/react u1\x00 👍\n/reply b1\x1b 좋은 생각입니다\n"
        "/in 토론\x00방\n/as \u202eseoyeon\n/idea 공원 산책로 야간 조명\n"
    )
    transcript = await run_console(database_url, script, migrate=True)

    assert "죄송합니다" not in transcript and "Traceback" not in transcript, transcript
    assert "이제 'junho'로 말합니다." in transcript and "이제 '토론방'에 있습니다." in transcript
    app = build_app(test_settings(database_url))
    async with app.db.session() as session:
        authors = {i.text: p.handle for i, p in (await session.exec(select(Idea, Person).join(Person))).all()}
        supports = (await session.exec(select(Support))).all()
        comments = (await session.exec(select(IdeaComment.text))).all()
        rooms = set((await session.exec(select(Room.external_id))).all())
    await app.close()
    assert authors == {"민원실 대기표를 문자로": "junho", "공원 산책로 야간 조명": "seoyeon"}
    assert len(supports) == 1 and comments == ["좋은 생각입니다"]
    assert "토론방" in rooms
