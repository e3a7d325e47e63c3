"""Receipts, notes and statements are kept for years: every date on them, on screen and on
paper, carries a four-digit year, in Indonesian and in English."""

from __future__ import annotations

import re
import zlib

import pytest

from storefront.clock import today_wib
from storefront.demo import DEMO_PASSWORD
from tests.conftest import Client
from tests.integration.test_every_page_renders import visible_texts

TWO_DIGIT_YEAR = re.compile(r"\b\d{1,2}[-/]\d{1,2}[-/]\d{2}\b(?![-/]?\d)")
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)

# Each language writes its short date its own way, always with the whole year.
SHORT_DATE = {"id": r"\b\d{2}/\d{2}/YEAR\b", "en": r"\b\d{1,2}/\d{1,2}/YEAR\b"}
SHORT_TIME = {"id": r" \d{2}\.\d{2} WIB", "en": r", \d{1,2}:\d{2}\s[AP]M WIB"}


def pdf_text(data: bytes) -> str:
    """The text drawn by fpdf2 (its page streams are zlib-compressed)."""
    assert data.startswith(b"%PDF")
    chunks = []
    for stream in STREAM.findall(data):
        try:
            chunks.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue  # an image or a font, not text
    return "\n".join(chunks)


def text_of(response) -> str:
    assert response.status_code == 200, response.request.path
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    if response.mimetype == "text/html":
        return "\n".join(sorted(visible_texts(response.get_data(as_text=True))))
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def readers(busy_shop):
    app, demo = busy_shop
    clients = {}
    for email in ("manajer@example.com", "nyai.cikupa@example.com"):
        clients[email] = Client(app.test_client())
        assert clients[email].login(email, DEMO_PASSWORD).status_code == 302
    with app.app_context():
        demo.values["today"] = today_wib()
    return demo, clients["manajer@example.com"], clients["nyai.cikupa@example.com"]


def documents(demo) -> dict[str, tuple[str, str, bool]]:
    """name: (who reads it, path, whether it shows a short date-and-time)."""
    statement = demo.statement_id
    return {
        "counter receipt": ("manager", f"/counter/sales/{demo.sale_id}", True),
        "counter receipt PDF": ("manager", f"/counter/sales/{demo.sale_id}/receipt.pdf", True),
        "58 mm receipt PDF": (
            "manager",
            f"/counter/sales/{demo.voided_sale_id}/receipt.pdf?paper=58",
            True,
        ),
        "intake receipt": ("manager", f"/manage/stock/intake/{demo.receipt_id}", False),
        "intake receipt PDF": ("manager", f"/manage/stock/intake/{demo.receipt_id}.pdf", True),
        "shelf labels PDF": (
            "manager",
            f"/manage/stock/intake/{demo.receipt_id}/labels.pdf",
            False,
        ),
        "return note": ("manager", f"/manage/stock/returns/{demo.return_note_id}", False),
        "statements of the month": ("manager", "/manage/settlements", False),
        "statement": ("manager", f"/manage/settlements/{statement}", True),
        "statement PDF": ("manager", f"/manage/settlements/{statement}/statement.pdf", True),
        "statement CSV": ("manager", f"/manage/settlements/{statement}/statement.csv", False),
        "vendor's statements": ("vendor", "/vendor/statements", False),
        "vendor's statement": ("vendor", f"/vendor/statements/{statement}", True),
        "vendor's statement PDF": ("vendor", f"/vendor/statements/{statement}/statement.pdf", True),
    }


@pytest.mark.parametrize("lang", ["id", "en"])
def test_receipts_notes_and_statements_show_four_digit_years(readers, lang):
    demo, manager, vendor = readers
    year = demo.today.year
    problems = []
    for name, (who, path, short_time) in documents(demo).items():
        client = manager if who == "manager" else vendor
        client.raw.set_cookie("lang", lang)
        text = text_of(client.get(path))
        if found := TWO_DIGIT_YEAR.findall(text):
            problems.append(f"{name} ({path}) shows two-digit years: {found}")
        if str(year) not in text:
            problems.append(f"{name} ({path}) shows no date of {year}")
        if short_time:
            # A statement closes the day after its period, which may be in the next year.
            years = f"(?:{year}|{year + 1})"
            moment = SHORT_DATE[lang].replace("YEAR", years) + SHORT_TIME[lang]
            if not re.search(moment, text):
                problems.append(f"{name} ({path}) has no time written like {moment!r}")
    assert not problems, "\n".join(problems)


def test_the_csv_statement_writes_iso_dates(readers):
    demo, manager, _ = readers
    rows = text_of(manager.get(f"/manage/settlements/{demo.statement_id}/statement.csv"))
    start = demo.today.replace(day=1)
    assert f"period_start,{start.isoformat()}" in rows.splitlines()
