"""What is done on the web runs the chat's workflow: the room, heads and proposers hear of it as in chat."""

from __future__ import annotations

import html
import io
import uuid

from month import ROOM, a_month
from openpyxl import load_workbook
from web_client import Browser, dashboard_client

from storage.tables import AuditEntry, Department, Person, PointEntry, Proposal, Topic
from tests.harness import Story, test_settings


async def test_an_organizer_picks_a_topic_and_the_room_hears_it(site: Browser) -> None:
    await site.story.say("seoyeon", "/topic suggest 공영주차장 야간 개방 | 주민에게 빈 주차면을", room=ROOM)
    await site.sign_in("sujin")
    [room_id] = {t.room_id for t in await site.story.rows(Topic)}
    topics = await site.page("/web/topics")
    assert "공영주차장 야간 개방" in topics and "이 주제로 선정" in topics
    result = await site.act("topic_pick", topic="1", room=str(room_id))
    [topic] = await site.story.rows(Topic)
    assert topic.state == "active" and topic.picked_by is not None
    assert any("이번 달 토론주제가 정해졌습니다: '공영주차장 야간 개방'" in text for text in site.story.in_room(ROOM))
    # What was posted in the room is shown on the page, with the invite buttons the chat shows.
    assert "이번 달 토론주제가 정해졌습니다" in result and 'value="invite:1:' in result
    assert "topic.picked" in [e.action for e in await site.story.rows(AuditEntry)]


async def test_submit_then_the_head_adopts_on_the_web(site: Browser) -> None:
    await a_month(site.story)
    await site.story.dm("dohyun", "/help")  # the head has written to the bot once, so it can reach him
    await site.sign_in("sujin")
    submitted = await site.act("proposal_submit", number="1", department="교통정책과")
    assert "교통정책과" in submitted
    head_heard = site.story.to_person("dohyun")
    assert any("정류장 그늘막과 쿨링포그" in text for text in head_heard), head_heard

    site.client.session.cookie_jar.clear()  # the organizer leaves the browser to the head
    head = Browser(site.client, site.story)
    await head.sign_in("dohyun")
    review = await head.page("/web/review")
    assert "정류장 그늘막과 쿨링포그" in review
    await head.act("proposal_adopt", number="1")
    [proposal] = await site.story.rows(Proposal)
    assert proposal.state == "adopted"
    # As when adopted in chat: the room and the proposers are told, and the proposers earn points.
    assert any("채택" in text and "정류장 그늘막과 쿨링포그" in text for text in site.story.in_room(ROOM))
    assert any("채택" in text for text in site.story.to_person("minji"))
    minji = (await site.story.rows(Person, Person.handle == "minji"))[0]
    assert "proposal_adopted" in {e.stage for e in await site.story.rows(PointEntry, PointEntry.person_id == minji.id)}
    detail = await head.page("/web/proposals/1")
    assert "제출됨" in detail and "채택" in detail and "김도현" in detail  # the timeline, with who did it


async def test_a_rejection_needs_its_reason_and_the_answer_is_shown(site: Browser) -> None:
    await a_month(site.story)
    await site.story.say("sujin", "/proposal submit 1 교통정책과", room=ROOM)
    await site.sign_in("dohyun")
    await site.act("proposal_reject", 400, number="1", reason=" ")
    await site.act("proposal_reject", number="1", reason="소관 업무가 아닙니다 (도로과 소관)")
    detail = await site.page("/web/proposals/1")
    assert "소관 업무가 아닙니다 (도로과 소관)" in detail and "숙성 중" in detail
    assert any("소관 업무가 아닙니다" in text for text in site.story.to_person("minji"))


async def test_awarding_points_on_the_web_is_a_ledger_entry_and_the_person_is_told(site: Browser) -> None:
    await site.story.dm("jiwoo", "/points")
    await site.sign_in("sujin")
    result = await site.act("points_award", person="jiwoo", points="15", reason="현장 방문 사진 정리")
    assert "15" in result
    jiwoo = (await site.story.rows(Person, Person.handle == "jiwoo"))[0]
    [entry] = await site.story.rows(PointEntry, PointEntry.person_id == jiwoo.id)
    assert (entry.points, entry.stage, entry.reason) == (15, "manual", "현장 방문 사진 정리")
    assert any("15" in text for text in site.story.to_person("jiwoo"))
    ledger = await site.page(f"/web/points?person={jiwoo.id}")
    assert "현장 방문 사진 정리" in ledger
    # A deduction below zero is refused as in chat, with the balance.
    refused = await site.act("points_deduct", 400, person="jiwoo", points="99", reason="실수")
    assert "15" in html.unescape(refused)


async def test_the_same_form_sent_twice_is_done_once(site: Browser) -> None:
    await site.sign_in("sujin")
    nonce = uuid.uuid4().hex
    fields = {
        "action": "points_award",
        "person": "junho",
        "points": "5",
        "reason": "두 번 누름",
        "nonce": nonce,
        "back": "/web/points",
    }
    first = await site.post("/web/act", fields)
    second = await site.post("/web/act", fields)
    assert first.status == second.status == 200
    assert "이미 처리되었습니다" in await second.text()
    junho = (await site.story.rows(Person, Person.handle == "junho"))[0]
    assert len(await site.story.rows(PointEntry, PointEntry.person_id == junho.id)) == 1


async def test_staff_cannot_act_as_organizers(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("minji")
    refused = await site.act("proposal_submit", 403, number="1", department="교통정책과")
    assert "담당자" in refused
    assert (await site.story.rows(Proposal))[0].state == "draft"


async def test_a_bad_directory_file_is_refused_with_its_line_numbers_and_nothing_is_stored(site: Browser) -> None:
    await site.sign_in("sujin")
    departments = await site.story.count(Department)
    bad = "handle,name,department,role\nnewbie,신입,복지정책과,staff\n,이름없음,복지정책과,staff\nboss,과장,복지정책과,chief\n"
    response = await site.post(
        "/web/directory",
        {
            "file": io.BytesIO(bad.encode()),
        },
    )
    text = await response.text()
    assert response.status == 400
    assert "3번째 줄" in text and "4번째 줄" in text and "아무것도 저장하지 않았습니다" in text
    # What is wrong is said in Korean too, not "name is empty" or "role must be one of …".
    assert "아이디는 영문자, 숫자, &#39;.&#39;, &#39;-&#39;, &#39;_&#39;만 쓸 수 있습니다" in text
    assert "역할(role)은 staff, head, organizer 중 하나여야 합니다: &#39;chief&#39;" in text
    assert "handle must be" not in text and "role must be" not in text
    assert (
        await site.story.count(Person, Person.handle == "newbie") == 0
        and await site.story.count(Department) == departments
    )
    good = "handle,name,department,role,rank\nnewbie,신입,복지정책과,staff,주무관\n"
    response = await site.post("/web/directory", {"file": io.BytesIO(good.encode())})
    assert response.status == 200 and "1개 부서의 1명을 가져왔습니다" in await response.text()
    assert await site.story.count(Person, Person.handle == "newbie") == 1


async def test_the_payout_and_the_report_download_as_workbooks(site: Browser) -> None:
    await a_month(site.story)
    await site.sign_in("sujin")
    payout = await site.get("/web/points/export?period=2026-Q4&format=xlsx")
    assert payout.status == 200 and "points-2026-Q4.xlsx" in payout.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await payout.read())).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "박민지" in cells and any("혁신담당관실" in c for c in cells)
    report = await site.get("/web/reports/export?month=2026-12")
    assert report.status == 200
    book = load_workbook(io.BytesIO(await report.read()))
    assert "요약" in book.sheetnames
    chart = await site.get("/web/reports/chart.png?month=2026-12")
    assert chart.status == 200 and (await chart.read())[:8] == b"\x89PNG\r\n\x1a\n"
    csv = await site.get("/web/points/export?period=2026-12&format=csv")
    assert (await csv.read()).startswith("\ufeff".encode())


async def test_sign_in_and_adopt_on_both_databases(database_url: str) -> None:
    """The link's single use, the nonce and the workflow's conditional updates, on SQLite and PostgreSQL."""
    story = await Story.start(test_settings(database_url))
    client = await dashboard_client(story)
    try:
        site = Browser(client, story)
        await a_month(story)
        await story.say("sujin", "/proposal submit 1 교통정책과", room=ROOM)
        await site.sign_in("dohyun")
        assert (await site.get(site.last_link)).status == 410
        nonce = uuid.uuid4().hex
        for _ in range(2):
            await site.post(
                "/web/act", {"action": "proposal_adopt", "number": "1", "nonce": nonce, "back": "/web/review"}
            )
        [proposal] = await story.rows(Proposal)
        assert proposal.state == "adopted"
        assert [e.action for e in await story.rows(AuditEntry) if e.action.startswith("proposal.adopted")] == [
            "proposal.adopted"
        ]
    finally:
        await client.close()
        await story.close()
