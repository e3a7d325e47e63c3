"""A report table as a CSV file (through the one CSV writer) or an XLSX workbook.

In the workbook every amount is a number with a rupiah format, every count a number, every
percentage a fraction formatted with `%` and every date a date, so a spreadsheet sums and sorts
them. Text cells are always written as text: openpyxl would otherwise store a name that starts
with `=` as a formula (the spreadsheet form of csv_export's formula injection).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from storefront.clock import shop_zone
from storefront.csv_export import CsvWriter
from storefront.reports.tables import Table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "rupiah": '"Rp"#,##0;-"Rp"#,##0',
    "count": "#,##0",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "month": "mmm yyyy",
}
WIDTHS = {"text": 28, "rupiah": 16, "count": 10, "percent": 10, "date": 12, "datetime": 17}


def _plain(value, kind: str):
    """A cell's value for a file: WIB wall-clock time for moments, numbers as numbers."""
    if isinstance(value, datetime):
        local = value.astimezone(shop_zone()).replace(tzinfo=None, microsecond=0)
        return local if kind == "datetime" else local.date()
    if kind == "month" and isinstance(value, date):
        return value
    return value


def to_csv(table: Table, info: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = CsvWriter(out, byte_order_mark=True)
    writer.writerow([str(c.label) for c in table.columns])
    for row in [*table.rows, *([table.totals] if table.totals else [])]:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            value = _plain(value, column.kind)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif column.kind == "month" and isinstance(value, date):
                value = value.strftime("%Y-%m")
            cells.append(value)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Report"


def to_xlsx(table: Table, info: list[tuple[str, str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(str(table.title)))
    for index, column in enumerate(table.columns):
        letter = chr(ord("A") + index) if index < 26 else "A" + chr(ord("A") + index - 26)
        sheet.column_dimensions[letter].width = WIDTHS.get(column.kind, 14)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, str(c.label), "text", bold) for c in table.columns])
    for row in table.rows:
        sheet.append([_cell(sheet, v, c.kind) for c, v in zip(table.columns, row, strict=True)])
    if table.totals:
        sheet.append(
            [
                _cell(sheet, v, c.kind, bold)
                for c, v in zip(table.columns, table.totals, strict=True)
            ]
        )
    about = workbook.create_sheet("Info")
    for label, value in info:
        about.append([_cell(about, label, "text", bold), _cell(about, value, "text")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value, kind: str, font: Font | None = None) -> WriteOnlyCell:
    value = _plain(value, kind)
    if value is None or value == "":
        cell = WriteOnlyCell(sheet, value=None)
    elif isinstance(value, int | Decimal | float | date) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = FORMATS.get(kind, "General")
        if isinstance(value, date) and kind not in FORMATS:
            cell.number_format = FORMATS["date"]
    else:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if font is not None:
        cell.font = font
    return cell
