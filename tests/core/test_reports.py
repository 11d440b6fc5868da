"""The monthly report: /report text and chart, the xlsx workbook and the points export."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from idearoom.cli import main
from bot.ports import ManualClock
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
            "이번 달 만든 제안 2건(초안 1, 채택 1)",
            "이번 달 검토 결과: 채택 1건 · 불채택 0건 (채택률 100%)",
            "지급된 미소포인트: 37점",
            "부서별:",
            "1. 교통정책과 — 아이디어 1 · 제안 1 · 포인트 31",
            "2. 도로과 — 아이디어 1 · 제안 0 · 포인트 6",
        ]
        assert chart.message.kind == "photo" and chart.destination.id == "room"
        image = Path(chart.message.payload["path"])
        assert image.parent == (tmp_path / "reports").resolve() and image.read_bytes()[:4] == b"\x89PNG"
        # The command queued the figures; the sender drew them into that PNG when it sent the photo.
        async with story.app.db.session() as session:
            queued = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "photo"))).one()
        figures = queued.payload["render"]
        assert figures["month"] == "2026-11"
        assert figures["ideas_by_department"] == [["교통정책과", 1], ["도로과", 1]]
        assert figures["proposals_by_state"] == [["초안", 1], ["채택", 1]]  # in the room's language
        assert figures["labels"]["ideas"] == "부서별 아이디어"
        from bot.reports import hangul_font

        assert hangul_font() is not None  # Korean labels render (bundled NanumGothic when none is installed)
        assert queued.state == "sent" and "path" not in queued.payload
        [quiet] = await story.say("jiwoo", "/report 2026-10")
        assert "기록된 활동이 없습니다" in quiet
        assert "YYYY-MM" in (await story.say("jiwoo", "/report 2026-13"))[0]
        assert "YYYY-MM" in (await story.say("jiwoo", "/report 2026-Q4"))[0]
        assert "2027년 1월은 아직 시작되지 않은 달입니다." in (await story.say("jiwoo", "/report 2027-01"))[0]
    finally:
        await story.close()


def test_report_xlsx_and_points_export_from_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_LOCALE", "ko")

    async def fill() -> None:
        from idearoom.wiring import build_app

        clock = ManualClock(datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL))
        app = build_app(test_settings(url), clock)
        await app.prepare(migrate=True)
        await app.close()
        story = await Story.start(test_settings(url), clock)
        try:
            await month_of_activity(story)
        finally:
            await story.close()

    asyncio.run(fill())
    assert main(["report", "--month", "2026-11", "--output", str(tmp_path / "r.xlsx")]) == 0
    book = load_workbook(tmp_path / "r.xlsx")
    summary = {row[0]: row[1] for row in book["요약"].iter_rows(min_row=2, values_only=True)}
    assert summary["아이디어"] == 2 and summary["채택"] == 1 and summary["채택률"] == 1
    assert [row for row in book["부서별"].iter_rows(values_only=True)][1] == ("교통정책과", 1, 1, 31)

    assert main(["points", "export", "--period", "2026-Q4", "--output", str(tmp_path / "p.csv")]) == 0
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Korean
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["이름", "아이디", "부서", "포인트", "내역 수"]
    assert rows[1] == ["박민지", "minji", "교통정책과", "31", "4"]
    assert main(["points", "export", "--period", "2026-11", "--format", "xlsx", "--output", str(tmp_path / "p.xlsx")]) == 0
    sheet = load_workbook(tmp_path / "p.xlsx")["2026-11"]
    assert [c.value for c in sheet[2]] == ["박민지", "minji", "교통정책과", 31, 4]
    assert main(["points", "export", "--period", "2025-Q3", "--output", str(tmp_path / "empty.csv")]) == 0
    assert main(["points", "export", "--period", "2026-Q5"]) == 2
    assert "not a period" in capsys.readouterr().err
