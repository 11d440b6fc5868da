"""The monthly report workbook a team leader attaches to a 결재: title, office, date, units, totals, one sheet per subject."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.ports import ManualClock
from bot.report_workbook import export_month_file
from tests.core.march import BUS_STOPS, SEOUL, START
from tests.harness import Story, test_settings
from tests.scheduler.clocked import ClockedStory

WRITTEN = datetime(2026, 4, 1, 9, 30, tzinfo=SEOUL)
SHEETS = ["요약", "부서별 아이디어", "제안 현황", "토론주제·부서장 초대", "현장 방문", "자문단 심의 결과"]
EMPTY = "이번 달은 아직 자료가 없습니다"


async def march(story: Story, clock: ManualClock) -> None:
    """A topic with an invited head and a field visit; ideas; one proposal adopted, one rejected, one left in draft."""
    await story.say("minji", BUS_STOPS)
    await story.say("sujin", "/topic pick")
    await story.dm("dohyun", "/start")
    await story.say("sujin", "/invite 교통")
    await story.dm("dohyun", "/visit 1 2026-03-20 14:00 시청역 버스정류장")
    await story.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await story.say("junho", "/idea 횡단보도 앞 신호등 잔여시간 표시")
    await story.say("seoyeon", "/idea 정류장 그늘막")
    await story.say("seoyeon", "/support 1")
    await story.say("sujin", "/proposal new 1 버스정류장 온열의자 도입")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    clock.advance(days=8)
    await story.say("dohyun", "/proposal adopt 1")
    await story.say("sujin", "/proposal new 2 신호등 잔여시간 표시기")
    await story.say("sujin", "/proposal submit 2 교통정책과")
    await story.say("dohyun", "/proposal reject 2 올해 예산이 이미 배정되었습니다")
    await story.say("sujin", "/proposal new 3 정류장 그늘막")
    await story.say("sujin", "/points award junho 10 캠페인 홍보물 제작")


def values(sheet: Worksheet) -> list[tuple]:  # type: ignore[type-arg]
    return [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]


def table(sheet: Worksheet) -> list[tuple]:  # type: ignore[type-arg]
    """The rows from the header row (the frozen one) down."""
    header = sheet[sheet.freeze_panes].row - 1
    return [row for row in sheet.iter_rows(min_row=header, values_only=True)]


def assert_office_look(sheet: Worksheet) -> None:
    """Every written cell in 맑은 고딕, the title bold and large, columns wide enough for their Korean text."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert cell.font.name == "맑은 고딕", (sheet.title, cell.coordinate)
    assert sheet["A1"].font.bold and sheet["A1"].font.size >= 14
    assert sheet.freeze_panes is not None
    for column in sheet.iter_cols(min_row=sheet[sheet.freeze_panes].row - 1):
        texts = [c.value for c in column if isinstance(c.value, str)]
        if texts and column[0].column_letter in sheet.column_dimensions:
            needed = max(sum(2 if "\uac00" <= ch <= "\ud7a3" else 1 for ch in text) for text in texts)
            assert sheet.column_dimensions[column[0].column_letter].width >= min(needed, 50), (
                sheet.title,
                column[0].column_letter,
            )


async def test_a_busy_month_gives_one_sheet_per_subject_ready_for_a_gyeoljae(database_url: str, tmp_path: Path) -> None:
    clock = ManualClock(START)
    settings = test_settings(database_url)
    story = await Story.start(settings, clock)
    try:
        await march(story, clock)
        path = await export_month_file(settings, "2026-03", str(tmp_path / "march.xlsx"), now=WRITTEN)
    finally:
        await story.close()
    book = load_workbook(path)
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet["A1"].value.startswith("2026년 3월 아이디어방 운영 실적"), sheet.title
        assert sheet["A2"].value == "작성 부서: 혁신담당관실"
        assert sheet["A3"].value == "작성일: 2026. 4. 1."
        assert_office_look(sheet)
    assert book["현장 방문"]["A1"].value == "2026년 3월 아이디어방 운영 실적 (현장 방문)"

    summary = {row[0]: (row[1], row[2]) for row in table(book["요약"])[1:]}
    assert table(book["요약"])[0] == ("구분", "실적", "단위")
    assert summary["아이디어"] == (3, "건") and summary["참여 직원"] == (3, "명")
    assert summary["새로 만든 제안"] == (3, "건") and summary["부서에 보낸 제안"] == (2, "건")
    assert summary["채택"] == (1, "건") and summary["불채택"] == (1, "건") and summary["채택률"] == (50.0, "%")
    assert summary["초대한 부서장"] == (1, "명") and summary["현장 방문"] == (1, "건")
    points, unit = summary["미소포인트 지급"]
    assert unit == "점" and points > 0
    assert book["요약"]["B7"].number_format == "#,##0"

    departments = table(book["부서별 아이디어"])
    assert departments[0] == ("부서", "소속 직원 아이디어(건)", "부서로 보낸 제안(건)", "소속 직원 미소포인트(점)")
    by_name = {row[0]: row[1:] for row in departments[1:]}
    assert by_name["교통정책과"][:2] == (1, 2)  # minji's idea; both proposals were sent to it
    assert by_name["도로과"][:2] == (1, 0) and by_name["환경정책과"][:2] == (
        1,
        0,
    )  # junho's, seoyeon's ideas; nothing sent
    assert departments[-1][0] == "합계"
    assert departments[-1][1:] == tuple(sum(row[i] for row in departments[1:-1]) for i in (1, 2, 3))
    assert departments[-1][1] == 3
    assert "소속 직원 아이디어" in book["부서별 아이디어"]["A4"].value  # says what each count means

    proposals = table(book["제안 현황"])
    assert proposals[0] == ("번호", "제목", "현재 상태", "부서", "제출일", "검토 기한", "결과", "결정일")
    adopted, rejected, draft = proposals[1:4]
    assert adopted[:4] == (1, "버스정류장 온열의자 도입", "채택", "교통정책과")
    assert adopted[4].date() == date(2026, 3, 2) and adopted[5].date() == date(2026, 4, 1)
    assert adopted[6] == "채택" and adopted[7].date() == date(2026, 3, 10)
    assert rejected[2] == "숙성 중" and rejected[6] == "불채택 (사유: 올해 예산이 이미 배정되었습니다)"
    assert draft[2:] == ("초안", "부서 미지정", "제출 전", "기한 없음", "결정 전", "결정 전")
    assert proposals[4][:2] == ("합계", "3건") and proposals[4][6] == "채택 1건 · 불채택 1건"
    sheet = book["제안 현황"]
    first = sheet[sheet.freeze_panes].row
    assert sheet.cell(row=first, column=5).number_format == "yyyy. m. d."  # shown as 공문 write dates

    topic = table(book["토론주제·부서장 초대"])
    assert "토론주제: 버스정류장 신호등 안전 (2026. 3. 2. ~ 2026. 3. 31.)" in [
        c.value for c in book["토론주제·부서장 초대"]["A"]
    ]
    assert topic[0] == ("토론주제", "부서", "부서장", "초대일", "답변", "답변일")
    assert topic[1][:3] == ("버스정류장 신호등 안전", "교통정책과", "김도현") and topic[1][4] == "수락"
    assert topic[2][:2] == ("합계", "1명") and topic[2][4] == "수락 1명"

    visits = table(book["현장 방문"])
    assert visits[1][0] == datetime(2026, 3, 20, 14, 0) and visits[1][1:4] == (
        "시청역 버스정류장",
        "교통정책과",
        "김도현",
    )
    assert visits[1][5] == "예정" and visits[2][:2] == ("합계", "1건") and visits[2][5] == "예정 1건"

    assert book["자문단 심의 결과"]["A5"].value == EMPTY  # no meeting in March: said, not a header alone


async def test_an_empty_month_says_so_on_every_sheet(sqlite_url: str, tmp_path: Path) -> None:
    settings = test_settings(sqlite_url)
    story = await Story.start(settings, ManualClock(START))
    await story.close()
    book = load_workbook(await export_month_file(settings, "2026-02", str(tmp_path / "feb.xlsx"), now=WRITTEN))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert values(sheet)[0][0].startswith("2026년 2월 아이디어방 운영 실적")
        assert [row[0] for row in values(sheet)[1:]] == ["작성 부서: 혁신담당관실", "작성일: 2026. 4. 1.", EMPTY]
        assert sheet["A5"].font.name == "맑은 고딕"


async def test_the_committee_sheet_shows_the_votes_and_what_the_tally_decided(sqlite_url: str, tmp_path: Path) -> None:
    clocked = await ClockedStory.start(sqlite_url, at="2026-04-01T09:00")
    story = clocked.story
    try:
        for person in ("sujin", "dohyun", "jiwoo", "seoyeon", "junho"):
            await story.dm(person, "/help")
        for person in ("jiwoo", "seoyeon", "junho"):
            await story.say("sujin", f"/committee add @{person}")
        proposals = (
            ("버스정류장 온열의자", "예산 부족"),
            ("횡단보도 그늘막", "여름철 한정"),
            ("공원 야간 조명", "타 부서 소관"),
        )
        for number, (idea, reason) in enumerate(proposals, start=1):
            await story.say("minji", f"/idea {idea}")
            await story.say("sujin", f"/proposal new {number} {idea}")
            await story.say("sujin", f"/proposal submit {number} 교통정책과")
            await story.say("dohyun", f"/proposal reject {number} {reason}")
        await clocked.move_to("2026-06-08T09:00")
        [meeting_id] = {
            a.split(":")[1]
            for s in story.gateway.sent
            for row in s.message.buttons
            for a in [b.action for b in row]
            if a.startswith("vote:")
        }
        for person in ("jiwoo", "seoyeon"):
            await story.press(person, f"vote:{meeting_id}:1:revive", room=f"dm:{person}")
        await story.press("junho", f"vote:{meeting_id}:1:keep", room="dm:junho")
        await story.press("junho", f"vote:{meeting_id}:2:keep", room="dm:junho")
        await story.press("jiwoo", f"vote:{meeting_id}:2:keep", room="dm:jiwoo")
        await story.press("seoyeon", f"vote:{meeting_id}:3:revive", room="dm:seoyeon")  # one vote of three: no quorum
        await clocked.move_to("2026-06-15T18:00")
        path = await export_month_file(story.app.settings, "2026-06", str(tmp_path / "june.xlsx"), now=WRITTEN)
    finally:
        await clocked.close()
    committee = table(load_workbook(path)["자문단 심의 결과"])
    assert committee[0] == ("분기", "번호", "제목", "재상정 찬성(표)", "숙성 유지(표)", "결과")
    assert committee[1] == ("2026년 2분기", 1, "버스정류장 온열의자", 2, 1, "재상정")
    assert committee[2] == ("2026년 2분기", 2, "횡단보도 그늘막", 0, 2, "숙성 유지")
    assert committee[3] == ("2026년 2분기", 3, "공원 야간 조명", 1, 0, "정족수 미달")
    assert committee[4] == ("합계", "3건", None, 3, 3, "재상정 1건 · 숙성 유지 1건 · 정족수 미달 1건")
