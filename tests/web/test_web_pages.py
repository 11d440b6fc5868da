"""The dashboard's pages, each role's view of them, and what is refused (always a 4xx, with a reason)."""

from __future__ import annotations

import html

from markupsafe import escape
from month import ROOM, SCRIPT_IDEA, a_month
from sqlmodel import select
from web_client import Browser, other_browser

from bot.dates import official_date
from storage.tables import AuditEntry, Idea, Person, Proposal

ORGANIZER_PAGES = {
    "/web/overview": ["현황", "2026년 12월 실적", "아이디어방"],
    "/web/ideas": ["버스정류장에 그늘막을 설치해 주세요", "제안에 포함"],
    "/web/ideas?q=쿨링포그&sort=newest": ["정류장 쿨링포그로 한낮 더위를 식히기"],
    "/web/proposals": ["정류장 그늘막과 쿨링포그", "초안"],
    "/web/proposals/1": ["제안 #1", "박민지, 최준호", "처리 이력"],
    "/web/topics": ["버스정류장 폭염 대책", "부서장 초대"],
    "/web/points": ["포인트 지급 명세 내려받기", "박민지"],
    "/web/reports?month=2026-12": ["2026년 12월 실적", "2026년 12월 보고서 엑셀 파일 내려받기"],
    "/web/committee": ["다음 회의 안건", "숙성 중인 제안이 없습니다."],
    "/web/directory": ["직원 명부 CSV 파일", "dohyun"],
    "/web/audit": ["proposal.created", "topic.picked"],
    "/web/review": ["우리 부서 제안"],
    "/web/me": ["누적 미소포인트"],
}


async def test_an_organizer_opens_every_page(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("sujin")
    for path, expected in ORGANIZER_PAGES.items():
        text = await site.page(path)
        for words in expected:
            assert words in text, (path, words)
        assert '<html lang="ko">' in text and "<script" not in text


async def test_user_text_with_markup_is_shown_as_text(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("sujin")
    text = await site.page("/web/ideas")
    assert html.unescape(str(escape(SCRIPT_IDEA))) == SCRIPT_IDEA and str(escape(SCRIPT_IDEA)) in text
    assert "<script>" not in text
    response = await site.get("/web/ideas")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_a_head_is_refused_organizer_pages_and_other_departments(site: Browser) -> None:
    await a_month(site.story)
    await site.story.say("sujin", "/proposal submit 1 도로과", room=ROOM)
    await site.sign_in("dohyun")  # head of 교통정책과
    for path in (
        "/web/overview",
        "/web/ideas",
        "/web/points",
        "/web/directory",
        "/web/audit",
        "/web/points/export?period=2026-Q4",
    ):
        response = await site.get(path)
        assert response.status == 403, path
        assert "혁신담당관실 담당자만 볼 수 있습니다" in await response.text()
    review = await site.page("/web/review")
    assert "정류장 그늘막과 쿨링포그" not in review  # it went to 도로과
    other = await site.get("/web/proposals/1")
    assert other.status == 403 and "다른 부서의 제안입니다" in await other.text()
    # Nor can the head decide on it by sending the form: the core's check refuses and records it.
    refused = await site.act("proposal_adopt", 403, number="1")
    assert "부서장" in refused or "담당자" in refused
    [proposal] = await site.story.rows(Proposal)
    assert proposal.state == "submitted"
    assert [e.detail["attempted"] for e in await site.story.rows(AuditEntry) if e.action == "refused"] == [
        "proposal.adopt"
    ]


async def test_staff_see_their_own_ideas_and_points_only(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("minji")
    me = await site.page("/web/me")
    assert "버스정류장에 그늘막을 설치해 주세요" in me and "쿨링포그로 한낮" not in me
    home = await site.get("/web")
    assert str(home.url).endswith("/web/me")
    assert (await site.get("/web/overview")).status == 403
    mine = await site.page("/web/proposals/1")  # she is a proposer
    assert "정류장 그늘막과 쿨링포그" in mine and "부서에 제출" not in mine
    data = await site.get("/web/me/data")
    assert data.status == 200 and "attachment" in data.headers["Content-Disposition"]
    exported = await data.json()
    assert exported["person"]["handle"] == "minji" and "websession" not in exported
    assert any(e.action == "person.data_exported" for e in await site.story.rows(AuditEntry))


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("sujin")
    for fields in ({}, {"csrf": "forged"}):
        response = await site.post(
            "/web/act",
            {"action": "proposal_submit", "number": "1", "department": "교통정책과", "nonce": "n", **fields},
            csrf=False,
        )
        assert response.status == 403
        assert "이 화면에서 보낸 것이 아니거나" in await response.text()
    [proposal] = await site.story.rows(Proposal)
    assert proposal.state == "draft"
    async with other_browser(site) as anonymous:  # no session at all
        response = await anonymous.post("/web/act", data={"action": "proposal_adopt", "number": "1"})
        assert response.status == 401


async def test_bad_input_is_a_4xx_with_a_reason(site: Browser) -> None:
    await site.sign_in("sujin")
    assert (await site.get("/web/proposals/99999")).status == 404
    assert (await site.get("/web/proposals/abc")).status in (400, 404)
    assert (await site.get("/web/ideas?room=x")).status == 400
    assert (await site.get("/web/reports?month=2026-13")).status == 400
    assert (await site.get("/web/points/export?period=soon")).status == 400
    bad = await site.act("proposal_adopt", 400, number="1; DROP")
    assert "'번호'가 비어 있거나 올바르지 않습니다." in html.unescape(bad)
    unknown = await site.act("erase_everyone", 400)
    assert "'할 일'이 비어 있거나 올바르지 않습니다." in html.unescape(unknown)


async def test_the_public_page_is_off_by_default_and_names_no_one(site: Browser) -> None:
    await a_month(site.story)
    assert (await site.get("/public")).status == 404
    await site.story.say("sujin", "/proposal submit 1 교통정책과", room=ROOM)
    await site.story.dm("dohyun", "/proposal adopt 1")
    site.story.app.settings.web_public = True
    text = await site.page("/public")
    assert "정류장 그늘막과 쿨링포그" in text and "채택" in text and "교통정책과" in text
    assert "박민지" not in text and "최준호" not in text
    site.story.app.settings.web_public_names = True
    assert "박민지, 최준호" in await site.page("/public")


async def test_a_person_who_reads_english_gets_the_pages_in_english(site: Browser) -> None:
    await a_month(site.story)
    async with site.story.app.db.session() as session:
        [minji] = (await session.exec(select(Person).where(Person.handle == "minji"))).all()
        minji.locale = "en"
        session.add(minji)
    await site.sign_in("minji")
    me = await site.page("/web/me")
    assert '<html lang="en">' in me and "My ideas" in me and "Sign out" in me and "내 아이디어" not in me
    [idea, *_] = await site.story.rows(Idea, Idea.author_id == minji.id)
    assert (
        official_date(idea.created_at.astimezone(site.story.app.settings.tz).date(), "en") in me
    )  # '2026-12-01 (Tue)'
    refused = await site.get("/web/overview")
    assert (
        refused.status == 403 and "Only organizers of the innovation office may open this page." in await refused.text()
    )


async def test_the_committee_page_shows_members_votes_and_minutes(site: Browser) -> None:
    await a_month(site.story)
    await site.story.say("sujin", "/proposal submit 1 교통정책과", room=ROOM)
    await site.story.dm("dohyun", "/proposal reject 1 예산 부족으로 내년에 다시 검토")
    for member in ("jiwoo", "jeonghoon", "haeun"):
        await site.story.dm(member, "/help")
        await site.story.dm("sujin", f"/committee add {member}")
    await site.story.dm("sujin", "/committee chair jiwoo")
    await site.sign_in("sujin")
    before = await site.page("/web/committee")
    assert "한지우" in before and "위원장" in before and "#1" in before  # the maturing proposal is on the agenda
    sent = await site.act("committee_agenda")
    assert "안건" in sent
    votes = [s for s in site.story.gateway.sent if any(a.startswith("vote:") for a in s.actions)]
    assert votes, [s.text for s in site.story.gateway.sent[-5:]]
    for vote in votes:
        revive = next(a for a in vote.actions if a.endswith(":revive"))
        await site.story.press(vote.destination.id, revive, room=f"dm:{vote.destination.id}")
    await site.story.dm("jiwoo", "/committee close")
    after = await site.page("/web/committee")
    assert "회의록" in after and "재상정" in after and "투표 3건" in after
