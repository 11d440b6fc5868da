"""In a real browser: sign in by link, walk every page (axe-core finds no serious problem), act, and be refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser import Chrome
from month import ROOM, SCRIPT_IDEA, a_month
from sqlmodel import col, update

from storage.tables import PointEntry, Proposal, WebLoginLink
from tests.harness import Story

# One Chromium per test process (a session fixture): these tests run together on one xdist worker.
pytestmark = pytest.mark.xdist_group("chromium")

URL = re.compile(r"(https?://\S+/web/login/[A-Za-z0-9_-]+)")
PAGES = [
    "/web/overview",
    "/web/ideas",
    "/web/proposals",
    "/web/proposals/1",
    "/web/topics",
    "/web/points",
    "/web/reports",
    "/web/committee",
    "/web/directory",
    "/web/audit",
    "/web/review",
    "/web/me",
]


async def sign_in(story: Story, chrome: Chrome, person: str) -> tuple[str, str]:
    """`/web` in the person's direct chat, the link opened in the browser, the button pressed."""
    [url] = URL.findall("\n".join(await story.dm(person, "/web")))
    await chrome.open(url)
    return url, await chrome.click("main form button[type=submit]")


async def test_an_organizer_signs_in_by_link_and_every_page_passes_axe(story: Story, live: Chrome) -> None:
    await a_month(story)
    await story.say("dohyun", "/help", room="dm:dohyun")
    _, first = await sign_in(story, live, "sujin")
    assert "현황" in first and "이수진 주무관님" in first
    assert await live.script("return document.documentElement.lang") == "ko"
    for path in PAGES:
        text = await live.open(path)
        assert "볼 수 없는 화면" not in text, path
        assert await live.violations() == [], path
    await live.open("/web/overview")
    await live.screenshot("web-overview.png")
    # The first Tab lands on the skip link: the page is reachable from the keyboard.
    focused = await live.script("document.activeElement.blur(); return null")
    assert focused is None
    await live.run(lambda d: d.find_element("css selector", "body").send_keys("\ue004"))
    assert await live.script("return document.activeElement.className") == "skip"


async def test_markup_in_an_idea_is_shown_as_text_and_tables_fit_a_phone(story: Story, live: Chrome) -> None:
    await a_month(story)
    await sign_in(story, live, "sujin")
    text = await live.open("/web/ideas")
    assert SCRIPT_IDEA in text  # shown, character for character
    assert await live.script("return document.querySelectorAll('main script').length") == 0
    await live.run(lambda d: d.set_window_size(375, 800))
    try:
        await live.open("/web/ideas")
        # The page never scrolls sideways: a wide table scrolls inside its own box.
        assert await live.script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert await live.violations() == []
    finally:
        await live.run(lambda d: d.set_window_size(1280, 1000))


async def test_one_action_of_each_kind_shows_in_the_chat(story: Story, live: Chrome, tmp_path: Path) -> None:
    await a_month(story)
    await story.say("dohyun", "/help", room="dm:dohyun")
    await story.say("jiwoo", "/points", room="dm:jiwoo")
    await story.say("seoyeon", "/topic suggest 경로당 무더위 쉼터 | 여름 낮 시간 개방", room="복지방")
    await sign_in(story, live, "sujin")
    # Submit: the head gets the review request in his direct chat.
    await live.open("/web/proposals/1")
    await live.fill("#submit-department", "교통정책과")
    answer = await live.click("form.card button[type=submit]")
    assert "교통정책과" in answer
    await story.app.sender.drain()
    assert any("정류장 그늘막과 쿨링포그" in text for text in story.to_person("dohyun"))
    # Award points: the person is told, the ledger has the entry.
    await live.open("/web/points")
    await live.fill("#award-person", "한지우 (jiwoo)")
    await live.fill("#award-points", "7")
    await live.fill("#award-reason", "우수 아이디어 발표")
    await live.click("form:has(#award-reason) button[type=submit]")
    await story.app.sender.drain()
    assert any("7" in text and "우수 아이디어 발표" in text for text in story.to_person("jiwoo"))
    assert [e.reason for e in await story.rows(PointEntry, PointEntry.stage == "manual")] == ["우수 아이디어 발표"]
    # Pick a topic in another room: the room is told, as after /topic pick.
    await live.open("/web/topics")
    await live.click("//section[.//h2[text()='복지방']]//button[text()='이 주제로 선정']")
    await story.app.sender.drain()
    assert any("이번 달 토론주제가 정해졌습니다: '경로당 무더위 쉼터'" in text for text in story.in_room("복지방"))
    # A bad directory file: the line numbers, nothing stored.
    bad = tmp_path / "directory.csv"
    bad.write_text(
        "handle,name,department,role\nok,가나다,복지정책과,staff\nno way,라마바,복지정책과,staff\n", encoding="utf-8"
    )
    await live.open("/web/directory")
    await live.fill("#file", str(bad))
    text = await live.click("form.card button[type=submit]")
    assert "3번째 줄" in text and "아무것도 저장하지 않았습니다" in text
    assert await live.violations() == []
    # The head signs in and adopts: the room hears it.
    await live.run(lambda d: d.delete_all_cookies())
    await sign_in(story, live, "dohyun")
    review = await live.open("/web/review")
    assert "정류장 그늘막과 쿨링포그" in review and "답변 대기" in review
    await live.screenshot("web-review.png")
    # He accepts the invitation: the room hears it, as from the chat's button.
    await live.click("td form.inline button[type=submit]")  # 수락
    await story.app.sender.drain()
    assert any(
        "김도현 부서장님이 '버스정류장 폭염 대책' 토론에 함께하십니다" in text for text in story.in_room(ROOM)
    ), story.in_room(ROOM)[-3:]
    await live.open("/web/proposals/1")
    await live.click("div.card form.inline button[type=submit]")  # 채택
    await story.app.sender.drain()
    [proposal] = await story.rows(Proposal)
    assert proposal.state == "adopted"
    assert any("채택" in text for text in story.in_room(ROOM))
    detail = await live.open("/web/proposals/1")
    assert "초안 → 제출됨 (이수진)" in detail and "제출됨 → 채택 (김도현)" in detail
    await live.screenshot("web-proposal.png")


async def test_refusals_in_the_browser(story: Story, live: Chrome) -> None:
    await a_month(story)
    url, _ = await sign_in(story, live, "dohyun")
    # A head on an organizer page.
    text = await live.open("/web/overview")
    assert "혁신담당관실 담당자만 볼 수 있습니다" in text
    # The link, used once, does not work again; an expired one neither.
    text = await live.open(url)
    assert "이미 사용한 링크입니다" in text
    [fresh] = URL.findall("\n".join(await story.dm("dohyun", "/web")))
    async with story.app.db.session() as session:
        await session.exec(
            update(WebLoginLink)
            .where(col(WebLoginLink.used_at).is_(None))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )  # type: ignore[call-overload]
    assert "만료된 링크입니다" in await live.open(fresh)
    await live.open("/web/proposals/1")  # not his department's: refused
    assert "다른 부서의 제안입니다" in await live.text()
    # A form whose CSRF token was tampered with is refused, and nothing changes.
    await live.run(lambda d: d.delete_all_cookies())
    await sign_in(story, live, "sujin")
    await live.open("/web/proposals/1")
    await live.script("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')")
    await live.fill("#submit-department", "교통정책과")
    text = await live.click("form.card button[type=submit]")
    assert "이 화면에서 보낸 것이 아니거나 만료되었습니다" in text
    [proposal] = await story.rows(Proposal)
    assert proposal.state == "draft"
