"""The monthly report: /report text and chart, and the workbook from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot.ports import ManualClock
from idearoom.cli import main
from storage.tables import OutboxMessage
from tests.harness import Story, test_settings

SEOUL = ZoneInfo("Asia/Seoul")


async def month_of_activity(story: Story) -> None:
    await story.say("dohyun", "/help")
    await story.say("minji", "/idea 버스정류장 온열의자")
    await story.say("junho", "/idea 하천 산책로 알림판")
    await story.say("seoyeon", "/support 1")
    await story.say("sujin", "/proposal new 1 버스정류장 온열의자 도입")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    await story.say("dohyun", "/proposal adopt 1")
    await story.say("sujin", "/proposal new 2 하천 알림판")


async def test_report_posts_the_figures_and_a_chart(sqlite_url: str, tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL))
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_REPORT_DIR=str(tmp_path / "reports")), clock)
    try:
        await month_of_activity(story)
        sent = await story.say_sent("jiwoo", "/report")
        text, chart = sent
        assert text.text.splitlines() == [
            "📊 2026년 11월 아이디어방 실적",
            "아이디어 2건 · 참여자 3명",
            "이번 달 만든 제안 2건(초안 1건, 채택 1건)",
            "이번 달 검토 결과: 채택 1건 · 불채택 0건 (채택률 100%)",
            "지급된 미소포인트: 37점",
            "부서별 (아이디어: 소속 직원이 올린 건수, 제안: 부서로 보낸 건수):",
            "1. 교통정책과 — 직원 아이디어 1건 · 받은 제안 1건 · 포인트 31점",
            "2. 도로과 — 직원 아이디어 1건 · 받은 제안 0건 · 포인트 6점",
        ]
        assert chart.message.kind == "photo" and chart.destination.id == "room"
        image = Path(chart.message.payload["path"])
        assert (
            image.parent == (tmp_path / "reports").resolve() and chart.file is not None and chart.file[:4] == b"\x89PNG"
        )
        assert not image.exists()  # sent, so removed: no copy of the figures is left behind
        # The command queued the figures; the sender drew them into that PNG when it sent the photo.
        async with story.app.db.session() as session:
            queued = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "photo"))).one()
        figures = queued.payload["render"]
        assert figures["month"] == "2026-11"
        assert figures["ideas_by_department"] == [["교통정책과", 1], ["도로과", 1]]
        assert figures["decisions"] == [["채택", 1]]  # what the month decided, in the room's language
        assert figures["labels"]["ideas"] == "부서별 아이디어 (소속 직원)"
        from bot.charts import hangul_font

        assert hangul_font() is not None  # Korean labels render (bundled NanumGothic when none is installed)
        assert queued.state == "sent" and "path" not in queued.payload
        [quiet] = await story.say("jiwoo", "/report 2026-10")
        assert quiet.splitlines() == [  # an empty month says what is empty, not "0건(…)" or "채택률 검토 결과 없음"
            "📊 2026년 10월 아이디어방 실적",
            "아이디어 0건 · 참여자 0명",
            "이번 달 만든 제안은 없습니다.",
            "이번 달 검토를 마친 제안은 없습니다.",
            "지급된 미소포인트: 0점",
            "이 달에는 기록된 활동이 없습니다.",
        ]
        assert "YYYY-MM" in (await story.say("jiwoo", "/report 2026-13"))[0]
        assert "YYYY-MM" in (await story.say("jiwoo", "/report 2026-Q4"))[0]
        assert "2027년 1월은 아직 시작되지 않은 달입니다." in (await story.say("jiwoo", "/report 2027-01"))[0]
    finally:
        await story.close()


def test_report_xlsx_from_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_LOCALE", "ko")

    async def fill() -> None:
        from tests.templates import prepared_app

        clock = ManualClock(datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL))
        app = await prepared_app(test_settings(url), clock, migrate=True)  # a copy of a migrated database
        await app.close()
        story = await Story.start(test_settings(url), clock)
        try:
            await month_of_activity(story)
        finally:
            await story.close()

    asyncio.run(fill())
    assert main(["report", "--month", "2026-11", "--output", str(tmp_path / "r.xlsx")]) == 0
    book = load_workbook(tmp_path / "r.xlsx")
    today = datetime.now(SEOUL).date()
    assert book["요약"]["A1"].value == "2026년 11월 아이디어방 운영 실적"
    assert book["요약"]["A3"].value == f"작성일: {today.year}. {today.month}. {today.day}."  # the day it was written
    summary = {row[0]: row[1] for row in book["요약"].iter_rows(min_row=6, values_only=True)}
    assert summary["아이디어"] == 2 and summary["채택"] == 1 and summary["채택률"] == 100.0
    assert [row for row in book["부서별 아이디어"].iter_rows(min_row=7, values_only=True)][0] == (
        "교통정책과",
        1,
        1,
        31,
    )
    assert main(["report", "--month", "2026-Q4"]) == 2
    assert "not a month" in capsys.readouterr().err
    (tmp_path / "taken").write_text("a file, not a folder")
    assert main(["report", "--month", "2026-11", "--output", str(tmp_path / "taken" / "r.xlsx")]) == 1
    assert main(["points", "export", "--period", "2026-11", "--output", str(tmp_path / "taken" / "p.csv")]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith("cannot write the file:") for line in errors)  # no traceback


async def test_the_chart_counts_what_the_month_decided_even_for_proposals_made_before(
    sqlite_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 3, 25, 10, 0, tzinfo=SEOUL))
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_REPORT_DIR=str(tmp_path)), clock)
    try:
        for number, idea in enumerate(("버스정류장 온열의자", "횡단보도 그늘막", "정류장 전광판"), start=1):
            await story.say("minji", f"/idea {idea}")
            await story.say("sujin", f"/proposal new {number} {idea}")
            await story.say("sujin", f"/proposal submit {number} 교통정책과")
        clock.set(datetime(2026, 4, 6, 10, 0, tzinfo=SEOUL))
        await story.say("dohyun", "/proposal adopt 1")
        await story.say("dohyun", "/proposal reject 2 예산 부족")
        await story.say("dohyun", "/proposal reject 3 타 부서 소관")
        clock.set(datetime(2026, 5, 2, 10, 0, tzinfo=SEOUL))
        [text, _chart] = await story.say_sent("jiwoo", "/report 2026-04")
        async with story.app.db.session() as session:
            queued = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "photo"))).one()
    finally:
        await story.close()
    assert "이번 달 만든 제안은 없습니다." in text.text  # all three were made in March
    assert "채택 1건 · 불채택 2건 (채택률 33%)" in text.text
    assert queued.payload["render"]["decisions"] == [["채택", 1], ["불채택", 2]]
