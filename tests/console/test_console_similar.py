"""Similar ideas, replies as comments, /idea N and search at the console, as a person types them."""

from __future__ import annotations

from tests.console.driver import run_console

SCRIPT = """\
/as minji
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/idea 버스정류장에 온열의자를 설치하면 좋겠습니다
/as junho
/idea 겨울철 버스 정류장에 따뜻한 온열 의자를 놓아 주세요
/press support:1
/reply b1 바람막이도 함께 있으면 좋겠습니다
/idea 1
/ideas search 온열의자
/reply
"""


async def test_a_console_session_meets_similar_ideas_comments_and_search(sqlite_url: str) -> None:
    transcript = await run_console(sqlite_url, SCRIPT, migrate=True)

    assert "최근에 올리신 #1번 아이디어와 같은 내용이라 다시 등록하지 않았습니다" in transcript
    assert "아이디어 #2번을 등록했습니다" in transcript
    assert "🔎 비슷한 아이디어가 있습니다: #1. 같은 내용이면 그 아이디어에 공감해 주세요." in transcript
    assert "[👍 #1에 공감 → /press support:1]" in transcript
    assert "👍 #1번 아이디어에 공감했습니다 (공감 1)." in transcript
    assert "공감: 최준호" in transcript
    assert "💬 의견 1건" in transcript and "바람막이도 함께 있으면 좋겠습니다" in transcript
    assert "🔎 '온열의자' 검색 결과" in transcript and "#2 겨울철 버스 정류장에" in transcript
    assert "사용법: /reply <메시지 번호> <글>" in transcript
    assert "Traceback" not in transcript
