"""The /report chart: the month's figures drawn as a PNG (matplotlib Agg), with an empty state and Hangul labels."""

from __future__ import annotations

import importlib.util
import logging
import uuid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.dates import official_period
from bot.i18n import Translator
from bot.proposals.states import state_key
from bot.report_details import DECISIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

    from bot.reports import MonthReport

log = logging.getLogger(__name__)

# Fonts that carry Hangul, in order of preference; without one, the chart avoids Korean text.
HANGUL_FONTS = (
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "NanumGothic",
    "NanumBarunGothic",
    "Malgun Gothic",
    "AppleGothic",
    "UnDotum",
    "Baekmuk Gulim",
)
# Hangul fonts lack U+2212 (the minus matplotlib draws by default): the ASCII hyphen-minus renders in all of them.
STYLE: dict[RcKeyType, Any] = {"axes.unicode_minus": False}


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """A font family that renders Hangul: an installed one, else NanumGothic from koreanize-matplotlib."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in HANGUL_FONTS:
        if name in installed:
            return name
    # Only the font file is taken from the package: importing it would restyle matplotlib globally.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder) / "fonts" / "NanumGothic.ttf"
        if bundled.is_file():
            font_manager.fontManager.addfont(str(bundled))
            return "NanumGothic"
    log.warning("no Hangul font found (install fonts-nanum or fonts-noto-cjk): report charts number the departments")
    return None


def chart_figures(report: MonthReport, t: Translator) -> dict[str, Any]:
    """What the chart shows, labels in the reader's language, as JSON: drawn only when it is sent."""
    return {
        "month": report.period.label,
        # Nothing at all happened (the text says so too); a month of points or revivals only is not empty.
        "quiet": not report.departments and not report.decisions,
        "ideas_by_department": [[d.name, d.ideas] for d in report.departments if d.ideas],
        "decisions": [[t(state_key(s)), report.decisions[s]] for s in DECISIONS if report.decisions.get(s)],
        "labels": {
            "title": t("report.chart.title", month=official_period(report.period.label, t.locale)),
            "ideas": t("report.chart.ideas"),
            "departments": t("report.chart.departments"),
            "departments_numbered": t("report.chart.departments_numbered"),
            "decisions": t("report.chart.decisions"),
            "count_ideas": t("report.chart.count_ideas"),
            "count_decisions": t("report.chart.count_decisions"),
            "empty": t("report.chart.empty"),
            "empty_panel": t("report.chart.empty_panel"),
        },
    }


def _empty(axes: Axes, text: str, style: dict[str, Any], size: int = 14) -> None:
    """Say there is nothing to show instead of drawing axes around nothing (which span −0.04 to 0.04)."""
    axes.set_axis_off()
    axes.text(
        0.5, 0.5, text, ha="center", va="center", fontsize=size, color="#555555", transform=axes.transAxes, **style
    )


def _bars(axes: Axes, names: list[str], values: list[int], color: str, font: str | None) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.bar(names, values, color=color)
    # matplotlib's default locator (AutoLocator), kept to whole numbers: counts have no halves.
    axes.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))
    axes.tick_params(axis="x", labelrotation=30)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontfamily(font or "sans-serif")


def render_chart(figures: dict[str, Any], directory: str | Path) -> Path:
    """A PNG with the staff's ideas per department and the month's decisions (from `chart_figures`); returns its path.

    Drawing takes a few hundred milliseconds: the sender calls it in a worker thread."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = hangul_font()
    style = {"fontfamily": font} if font else {}
    labels = figures["labels"]
    departments = figures["ideas_by_department"]
    decisions = figures.get("decisions", [])
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(10, 4.5), dpi=100)
        FigureCanvasAgg(figure)
        if figures.get("quiet", not departments and not decisions):
            _empty(figure.subplots(), labels["empty"], style, size=20)
        else:
            left, right = figure.subplots(1, 2)
            left.set_title(labels["ideas"], **style)
            if departments:
                names = [name if font else str(n) for n, (name, _) in enumerate(departments, start=1)]
                _bars(left, names, [ideas for _, ideas in departments], "#4C72B0", font)
                left.set_xlabel(labels["departments"] if font else labels["departments_numbered"], **style)
                left.set_ylabel(labels["count_ideas"], **style)
            else:
                _empty(left, labels["empty_panel"], style)
            right.set_title(labels["decisions"], **style)
            if decisions:
                _bars(right, [name for name, _ in decisions], [count for _, count in decisions], "#55A868", font)
                right.set_ylabel(labels["count_decisions"], **style)
            else:
                _empty(right, labels["empty_panel"], style)
        figure.suptitle(labels["title"], **style)
        figure.tight_layout()
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"report-{figures['month']}-{uuid.uuid4().hex[:8]}.png"
        figure.savefig(path)
    return path.resolve()
