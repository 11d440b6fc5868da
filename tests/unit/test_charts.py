"""The /report chart: an empty month draws its empty state, a busy month its bars, and neither prints a warning."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageStat

from bot.charts import chart_figures, render_chart
from bot.i18n import Translator
from bot.points.periods import month
from bot.reports import DepartmentFigures, MonthReport

APRIL = month(2026, 4, ZoneInfo("Asia/Seoul"))
BLUE, GREEN = (0x4C, 0x72, 0xB0), (0x55, 0xA8, 0x68)


def quiet_month() -> MonthReport:
    return MonthReport(APRIL, ideas=0, participants=0, proposals_by_state={}, adopted=0, rejected=0, points_given=0)


def busy_month() -> MonthReport:
    return MonthReport(
        APRIL,
        ideas=9,
        participants=6,
        proposals_by_state={"draft": 1},
        adopted=1,
        rejected=2,
        points_given=120,
        departments=[DepartmentFigures("교통정책과", 5, 2, 80), DepartmentFigures("도로과", 4, 1, 40)],
        decisions={"adopted": 1, "rejected": 2},
    )


def draw(report: MonthReport, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Image.Image:
    """Render as the sender does, failing on any warning or logged complaint (a missing glyph, a missing font)."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = render_chart(chart_figures(report, Translator("ko")), tmp_path)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    return Image.open(path).convert("RGB")


def has_colour(image: Image.Image, colour: tuple[int, int, int]) -> bool:
    return any(count and rgb == colour for count, rgb in image.getcolors(maxcolors=1 << 20) or [])


def dark_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(image.crop(box).convert("L").histogram()[:128])


def test_an_empty_month_draws_its_empty_state_not_axes_around_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    image = draw(quiet_month(), tmp_path, caplog)
    assert image.size == (1000, 450)
    assert sum(ImageStat.Stat(image).var) > 0  # something is drawn
    assert dark_pixels(image, (300, 180, 700, 270)) > 200  # the sentence in the middle
    assert dark_pixels(image, (0, 330, 1000, 450)) == 0  # no axis, no tick labels below it
    assert not has_colour(image, BLUE) and not has_colour(image, GREEN)


def test_a_busy_month_draws_both_sets_of_bars(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    image = draw(busy_month(), tmp_path, caplog)
    assert image.size == (1000, 450)
    assert sum(ImageStat.Stat(image).var) > 1000
    assert has_colour(image, BLUE) and has_colour(image, GREEN)


def test_april_counts_what_the_month_decided_and_a_panel_without_data_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    figures = chart_figures(busy_month(), Translator("ko"))
    assert figures["decisions"] == [["채택", 1], ["불채택", 2]]
    ideas_only = busy_month()
    ideas_only.decisions = {}
    # Without decisions the right panel used to span -0.04 to 0.04 and warn about the missing minus glyph.
    image = draw(ideas_only, tmp_path, caplog)
    assert has_colour(image, BLUE) and not has_colour(image, GREEN)
    assert dark_pixels(image, (600, 180, 900, 270)) > 50  # "아직 자료가 없습니다" in the right panel


def test_a_month_of_points_alone_is_not_drawn_as_a_month_without_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """June: a proposal revived by the committee and its points, no idea and no decision. The text lists
    the department, so the chart must not say "이번 달은 아직 자료가 없습니다": each panel says it has nothing."""
    june = quiet_month()
    june.points_given = 10
    june.departments = [DepartmentFigures("교통정책과", 0, 1, 10)]
    assert chart_figures(june, Translator("ko"))["quiet"] is False
    image = draw(june, tmp_path, caplog)
    empty = draw(quiet_month(), tmp_path, caplog)
    assert image.size == (1000, 450) and not has_colour(image, BLUE) and not has_colour(image, GREEN)
    assert (
        dark_pixels(image, (100, 180, 400, 270)) > 50 and dark_pixels(image, (600, 180, 900, 270)) > 50
    )  # both panels
    assert dark_pixels(image, (420, 180, 580, 270)) < dark_pixels(
        empty, (420, 180, 580, 270)
    )  # not the one sentence across
    assert dark_pixels(image, (0, 40, 1000, 80)) > dark_pixels(empty, (0, 40, 1000, 80))  # the panels' titles
