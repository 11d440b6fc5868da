"""The points payout the office pays rewards from: 직급, department, points per stage, total and award grade."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.directory import import_directory
from bot.exports import export_points_file
from bot.points.rules import RulesError, load_rules
from bot.ports import ManualClock
from idearoom.cli import main
from tests.core.march import SEOUL
from tests.harness import Story, test_settings

WRITTEN = datetime(2026, 4, 1, 9, 0, tzinfo=SEOUL)
DIRECTORY = """handle,name,department,role,duties,telegram_id,slack_id,rank
kimhead,김도로,교통정책과,head,"시내버스 노선, 버스정류장, 신호등을 담당합니다.",,,과장
choiorg,최담당,혁신담당관,organizer,,,,주무관
parkstaff,박직원,교통정책과,staff,,,,주무관
leestaff,이직원,도로과,staff,,,,팀장
"""
HEADER = [
    "순위", "성명", "직급", "부서", "제안(점)", "채택(점)", "실행(점)", "재상정(점)", "초대 수락(점)", "현장 방문(점)",
    "수동 지급·차감(점)", "합계(점)", "포상 등급", "아이디",
]  # fmt: skip
RANKED_RULES = """[awards]
by = "rank"
grades = [{ name = "금상", top = 1 }, { name = "은상", top = 1 }]
"""


async def first_quarter(story: Story, tmp_path: Path) -> None:
    """In February two staff members' ideas make a proposal that is adopted and carried out; a guest posts an idea."""
    directory = tmp_path / "staff.csv"
    directory.write_text(DIRECTORY, encoding="utf-8")
    async with story.app.db.session() as session:
        await import_directory(session, directory)
    await story.say("parkstaff", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await story.say("leestaff", "/idea 정류장 도착 알림 전광판")
    await story.say("guest", "/idea 정류장 의자 색을 밝게")
    await story.say("choiorg", "/proposal new 1 버스정류장 온열의자 도입")
    await story.say("choiorg", "/proposal submit 1 교통정책과")
    await story.say("kimhead", "/proposal adopt 1")
    await story.say("choiorg", "/proposal assign 1 leestaff")
    await story.say("leestaff", "/proposal done 1")
    await story.say("choiorg", "/points award leestaff 15 정류장 현장 점검 지원")
    await story.say("choiorg", "/points deduct parkstaff 3 중복 등록 정정")


@pytest.fixture
async def quarter(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = test_settings(database_url, IDEAROOM_DEMO_DATA="false")
    story = await Story.start(settings, ManualClock(datetime(2026, 2, 10, 10, 0, tzinfo=SEOUL)))
    await first_quarter(story, tmp_path)
    yield settings
    await story.close()


async def test_the_csv_has_rank_department_points_per_stage_total_and_grade_with_a_bom(quarter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, count = await export_points_file(quarter, "2026-Q1", "csv", str(tmp_path / "q1.csv"), now=WRITTEN)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read it as Korean
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert count == 3 and rows[0] == HEADER
    # 박직원: idea 1 + proposal 5 + submitted 5, adopted 20, implemented 30, deducted 3; 장려상 from 30 points.
    assert rows[1] == [
        "1",
        "박직원",
        "주무관",
        "교통정책과",
        "11",
        "20",
        "30",
        "0",
        "0",
        "0",
        "-3",
        "58",
        "장려상",
        "parkstaff",
    ]
    # 이직원: the implementer's 30, an idea not in the proposal, an award of 15.
    assert rows[2] == ["2", "이직원", "팀장", "도로과", "1", "0", "30", "0", "0", "0", "15", "46", "장려상", "leestaff"]
    # Someone outside the directory: no rank, no department, too few points for a grade.
    assert rows[3] == ["3", "guest", "", "소속 없음", "1", "0", "0", "0", "0", "0", "0", "1", "", ""]


async def test_the_xlsx_has_the_report_look_and_a_totals_row(quarter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = await export_points_file(quarter, "2026-Q1", "xlsx", str(tmp_path / "q1.xlsx"), now=WRITTEN)
    sheet = load_workbook(path)["2026년 1분기"]
    assert sheet["A1"].value == "2026년 1분기 미소포인트 지급 내역"
    assert sheet["A2"].value == "작성 부서: 혁신담당관실" and sheet["A3"].value == "작성일: 2026. 4. 1."
    header = sheet[sheet.freeze_panes].row - 1
    rows = [list(row) for row in sheet.iter_rows(min_row=header, values_only=True)]
    assert rows[0] == HEADER
    assert rows[1] == [1, "박직원", "주무관", "교통정책과", 11, 20, 30, 0, 0, 0, -3, 58, "장려상", "parkstaff"]
    assert rows[-1] == ["합계", "3명", None, None, 13, 20, 60, 0, 0, 0, 12, 105, "장려상 2명", None]
    assert all(c.font.name == "맑은 고딕" for row in sheet.iter_rows() for c in row if c.value is not None)
    assert sheet.cell(row=header + 1, column=11).number_format == "#,##0;-#,##0;0"


async def test_grades_by_rank_come_from_the_points_rules_file(quarter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.toml"
    rules.write_text(RANKED_RULES, encoding="utf-8")
    settings = quarter.model_copy(update={"points_rules_file": str(rules)})
    path, _ = await export_points_file(settings, "2026-Q1", "csv", str(tmp_path / "ranked.csv"), now=WRITTEN)
    grades = [row[12] for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines())][1:]
    assert grades == ["금상", "은상", ""]


def test_a_bad_awards_table_is_refused_with_what_is_wrong(tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text(
        '[awards]\nby = "points"\ngrades = [{ name = "금상", at_least = 10 }, { name = "은상", at_least = 20 }]\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match="highest"):
        load_rules(str(rules))
    rules.write_text('[awards]\nby = "votes"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="points.*rank"):
        load_rules(str(rules))


async def test_a_period_without_points_says_so(quarter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, count = await export_points_file(quarter, "2025-Q4", "xlsx", str(tmp_path / "empty.xlsx"), now=WRITTEN)
    sheet = load_workbook(path)["2025년 4분기"]
    assert count == 0 and sheet["A5"].value == "이 기간에는 아직 적립된 미소포인트가 없습니다"


def test_the_command_line_writes_both_formats_and_refuses_a_bad_period(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_LOCALE", "ko")
    assert (
        main(["points", "export", "--period", "2026-Q1", "--format", "xlsx", "--output", str(tmp_path / "p.xlsx")]) == 0
    )
    assert load_workbook(tmp_path / "p.xlsx")["2026년 1분기"]["A1"].value == "2026년 1분기 미소포인트 지급 내역"
    assert main(["points", "export", "--period", "2026-03", "--output", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["points", "export", "--period", "2026-Q5"]) == 2
    assert "not a period" in capsys.readouterr().err
