"""The office's spreadsheet look (openpyxl): title block, unit headers, totals row, 맑은 고딕, fitted widths."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.i18n import Translator

if TYPE_CHECKING:
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    from bot.config import Settings

FONT = "맑은 고딕"
# Excel shows these as 공문 write dates ("2026. 4. 1."), and they stay real dates for sorting.
DATE_FORMAT = "yyyy. m. d."
DATETIME_FORMAT = "yyyy. m. d. hh:mm"
NUMBER_FORMAT = "#,##0"
SIGNED_FORMAT = "#,##0;-#,##0;0"
DECIMAL_FORMAT = "0.0"
MAX_WIDTH = 50
TITLE_SCALE = 1.6  # a 16-point title is about this much wider than the 11-point body


@dataclass(frozen=True)
class Column:
    """One column: its header (with the unit, e.g. "아이디어(건)") and how its values are shown."""

    title: str
    kind: str = "text"  # text, number, signed, decimal, date, datetime
    centered: bool = False  # short words such as units and states


@dataclass(frozen=True)
class Value:
    """A value shown otherwise than its column's kind (a rate in a column of counts)."""

    value: Any
    kind: str


@dataclass
class Table:
    """One sheet: a titled table of rows, an optional totals row, and what to say when it has no rows."""

    sheet: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    empty: str
    totals: list[Any] | None = None
    notes: list[str] = field(default_factory=list)  # what the columns mean: shown above the rows only
    context: list[str] = field(default_factory=list)  # what the sheet is about: shown even without rows


@dataclass(frozen=True)
class Letterhead:
    """Who wrote the file and when, as the lines under every sheet's title."""

    office: str
    written: str


def gongmun_date(day: date) -> str:
    """A date without its weekday, as the 작성일 of a 공문 and as DATE_FORMAT shows dates: 2026. 4. 1."""
    return f"{day.year}. {day.month}. {day.day}."


def letterhead(settings: Settings, now: datetime, t: Translator) -> Letterhead:
    """The office and the date written, in Korean as 공문 write it (2026. 4. 1.)."""
    day = now.astimezone(settings.tz).date()
    written = gongmun_date(day) if settings.locale == "ko" else day.isoformat()
    return Letterhead(t("sheet.office", office=settings.office_name), t("sheet.written", date=written))


def text_width(value: Any) -> int:
    """Columns a value takes on screen: Hangul and other wide characters count twice."""
    if isinstance(value, datetime):
        text = gongmun_date(value) + " 00:00"
    elif isinstance(value, date):
        text = gongmun_date(value)
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _font(**style: Any) -> Font:
    from openpyxl.styles import Font

    return Font(name=FONT, **style)


def _cell(sheet: Worksheet, row: int, column: int, value: Any, kind: str = "text", **style: Any) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.font = _font(**style)
    if kind == "date":
        cell.number_format = DATE_FORMAT
    elif kind == "datetime":
        cell.number_format = DATETIME_FORMAT
    elif kind == "decimal":
        cell.number_format = DECIMAL_FORMAT
    elif kind == "number":
        cell.number_format = NUMBER_FORMAT
    elif kind == "signed":
        cell.number_format = SIGNED_FORMAT


def _write(sheet: Worksheet, table: Table, head: Letterhead) -> None:
    from openpyxl.styles import Alignment, Border, PatternFill, Side
    from openpyxl.utils import get_column_letter

    header_fill, total_fill = PatternFill("solid", fgColor="DDE5F0"), PatternFill("solid", fgColor="F2F2F2")
    thin = Side(style="thin", color="808080")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    width = max(len(table.columns), 1)
    _cell(sheet, 1, 1, table.title, bold=True, size=16)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    _cell(sheet, 2, 1, head.office, size=10)
    _cell(sheet, 3, 1, head.written, size=10)
    row = 4
    for note in table.context + (table.notes if table.rows else []):
        _cell(sheet, row, 1, note, size=10, italic=True)
        row += 1
    row += 1  # a blank line before the table
    widths = [0] * width
    if not table.rows:
        _cell(sheet, row, 1, table.empty, bold=True)
        sheet.freeze_panes = sheet.cell(row=row, column=1)
        widths[0] = text_width(table.empty)
    else:
        for number, column in enumerate(table.columns, start=1):
            _cell(sheet, row, number, column.title, bold=True)
            header = sheet.cell(row=row, column=number)
            header.fill, header.border = header_fill, grid
            header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            widths[number - 1] = text_width(column.title)
        sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
        sheet.print_title_rows = f"{row}:{row}"
        lines = [(values, False) for values in table.rows] + ([(table.totals, True)] if table.totals else [])
        for values, is_total in lines:
            row += 1
            for number, (column, value) in enumerate(zip(table.columns, values), start=1):
                kind = column.kind
                if isinstance(value, Value):
                    value, kind = value.value, value.kind
                if not isinstance(value, (int, float, date, datetime)):
                    kind = "text"
                _cell(sheet, row, number, value, kind, bold=is_total)
                cell = sheet.cell(row=row, column=number)
                cell.border = grid
                cell.alignment = Alignment(
                    horizontal="center" if column.centered else None, vertical="top", wrap_text=kind == "text"
                )
                if is_total:
                    cell.fill = total_fill
                if value is not None:
                    widths[number - 1] = max(
                        widths[number - 1], text_width(f"{value:.1f}" if kind == "decimal" else value)
                    )
    # The letterhead lines spill over into empty neighbours, so only the first column must hold them when alone.
    if width == 1:
        widths[0] = max(widths[0], text_width(head.office), text_width(head.written))
    # The 16-point title spans the table: a narrow table is widened so that it fits.
    widths = [min(max(columns, 6) + 2, MAX_WIDTH) for columns in widths]
    missing = int(text_width(table.title) * TITLE_SCALE) - sum(widths)
    if missing > 0:
        widths[0] += missing
    for number, columns in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = columns
    sheet.page_setup.orientation = "landscape" if width > 5 else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def write_workbook(tables: list[Table], head: Letterhead, path: str | Path) -> Path:
    """Write the tables, one sheet each, in the office's look; returns the path."""
    from openpyxl import Workbook  # openpyxl (and numpy with it) only when a workbook is written

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        _write(workbook.create_sheet(table.sheet[:31]), table, head)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target
