"""Draws the README's pictures: one sheet of a sample monthly report (via LibreOffice and pdftoppm) and its chart.

Run by hand: `PYTHONPATH=. .venv/bin/python docs/pictures.py` (needs soffice and pdftoppm on the PATH)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image, ImageChops

from bot.charts import chart_figures, render_chart
from bot.i18n import Translator
from bot.points.periods import month
from bot.ports import ManualClock
from bot.report_workbook import export_month_file
from bot.reports import month_report
from tests.core.march import SEOUL, START
from tests.core.test_report_workbook import WRITTEN, march
from tests.harness import Story, test_settings

DOCS = Path(__file__).resolve().parent
SHEET = "제안 현황"


async def sample(folder: Path) -> tuple[Path, Path]:
    settings = test_settings(f"sqlite+aiosqlite:///{folder / 'sample.db'}")
    clock = ManualClock(START)
    story = await Story.start(settings, clock)
    try:
        await march(story, clock)
        async with story.app.db.session() as session:
            report = await month_report(session, month(2026, 3, SEOUL))
    finally:
        await story.close()
    workbook = await export_month_file(settings, "2026-03", str(folder / "report-2026-03.xlsx"), now=WRITTEN)
    chart = render_chart(chart_figures(report, Translator("ko")), folder)
    return workbook, chart


def sheet_picture(workbook: Path, folder: Path) -> Path:
    """Keep the one sheet, print it to PDF with LibreOffice, and turn the page into a PNG."""
    book = load_workbook(workbook)
    for name in book.sheetnames:
        if name != SHEET:
            del book[name]
    single = folder / "sheet.xlsx"
    book.save(single)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(single)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(folder / "sheet.pdf"),
            str(folder / "sheet"),
        ],
        check=True,
    )
    page = Image.open(folder / "sheet.png").convert("RGB")
    content = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if content:
        left, top, right, bottom = content
        page = page.crop(
            (max(left - 30, 0), max(top - 30, 0), min(right + 30, page.width), min(bottom + 30, page.height))
        )
    page.save(folder / "sheet.png")
    return folder / "sheet.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        workbook, chart = asyncio.run(sample(folder))
        shutil.copy(sheet_picture(workbook, folder), DOCS / "report-sheet.png")
        shutil.copy(chart, DOCS / "report-chart.png")
    print(f"wrote {DOCS / 'report-sheet.png'} and {DOCS / 'report-chart.png'}")


if __name__ == "__main__":
    main()
