"""Printed stock documents: the intake receipt (nota titip) and shelf labels, as PDF (fpdf2).

fpdf2's core fonts speak Latin-1 only, which covers Indonesian; everything else a vendor might
type (dashes, curly quotes, emoji) is folded to its nearest Latin-1 form by `latin1` first, so
the same PDF comes out on any machine without a font file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from storefront.dates import date_text, datetime_text
from storefront.money import format_rupiah

FONT = "Helvetica"
MAX_LABELS = 480  # 20 sheets; more than that is a print shop's job, not the office printer's
LABEL_COLUMNS, LABEL_ROWS = 3, 8
LABEL_W, LABEL_H = 70.0, 37.0  # the common 3 x 8 A4 label sheet (70 x 37 mm)
CODE39 = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")

_REPLACEMENTS = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2022": "\xb7",
    "\u00a0": " ",
    "\u202f": " ",
}


def latin1(text: object) -> str:
    """Text the core fonts can draw: known punctuation mapped, accents kept, the rest dropped."""
    out = []
    for char in str(text or ""):
        char = _REPLACEMENTS.get(char, char)
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            # Accented letters lose the accent; emoji and other symbols are left out.
            out.append(unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode())
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def batch_name(batch) -> str:
    """ "Sandal Kulit — 40 / Coklat": the product and, sold in sizes, the batch's size."""
    return batch.variant.display_name()


def _date(value: date | None) -> str:
    return date_text(value, "short")


class _Document(FPDF):
    """A4 in millimetres; with `footer_text` set, every page says which document it belongs to."""

    footer_text = ""

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.footer_text} - {self.page_no()}/{{nb}}", align=Align.C)


def letterhead(pdf, outlet: dict, title: str) -> None:
    """The outlet's name and address, then the document's title: the top of the statement and
    of the incubator's programme report."""
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 6, latin1(outlet.get("outlet_name", "")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(0, 4.5, latin1(outlet.get("outlet_address", "")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, latin1(title).upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _document() -> _Document:
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.set_creator("Gerai Tangerang Gemilang")
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf


def receipt_pdf(receipt, outlet: dict) -> bytes:
    """The nota titip on A4: who handed over what, at which price, signed by both sides."""
    pdf = _document()
    pdf.set_title(latin1(_("Intake receipt %(number)s", number=receipt.number)))
    pdf.footer_text = latin1(_("Intake receipt %(number)s", number=receipt.number))
    pdf.set_margins(15, 15, 15)
    pdf.add_page()

    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 7, latin1(outlet.get("outlet_name", "")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 4.5, latin1(outlet.get("outlet_address", "")), new_x=XPos.LMARGIN)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 8, latin1(_("Intake receipt (consignment)")).upper(), align=Align.C)
    pdf.ln(10)

    pdf.set_font(FONT, "", 10)
    details = [
        (_("Number"), receipt.number),
        (_("Date"), datetime_text(receipt.created_at, "short")),
        (_("Vendor"), receipt.vendor.name),
        (_("Delivered by"), receipt.delivered_by or "-"),
        (_("Received by"), receipt.received_by.name),
    ]
    for label, value in details:
        pdf.set_font(FONT, "", 10)
        pdf.cell(35, 6, latin1(label))
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    pdf.set_font(FONT, "", 8.5)
    headings = (
        "#",
        _("Product"),
        _("Code"),
        _("Batch"),
        _("Expires"),
        _("Qty"),
        _("Unit price"),
        _("Value"),
    )
    units = value = 0
    with pdf.table(
        col_widths=(7, 48, 22, 20, 24, 11, 22, 26),  # room for "Kedaluwarsa"
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row([latin1(h) for h in headings])
        for number, batch in enumerate(receipt.batches, start=1):
            line_value = batch.received_quantity * batch.unit_price
            units += batch.received_quantity
            value += line_value
            table.row(
                [
                    str(number),
                    latin1(batch_name(batch)),
                    latin1(batch.variant.code),
                    latin1(batch.code or "-"),
                    _date(batch.expires_on) or "-",
                    str(batch.received_quantity),
                    latin1(format_rupiah(batch.unit_price)),
                    latin1(format_rupiah(line_value)),
                ]
            )
    pdf.set_font(FONT, "B", 10)
    pdf.cell(
        0,
        8,
        latin1(_("Total: %(units)d units, %(value)s", units=units, value=format_rupiah(value))),
        align=Align.R,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if receipt.note:
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 5, latin1(_("Note: %(note)s", note=receipt.note)), new_x=XPos.LMARGIN)
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(
        0,
        4,
        latin1(
            _(
                "Goods are received on consignment and remain the vendor's property until sold. "
                "Prices are the shelf prices on the day of delivery."
            )
        ),
        new_x=XPos.LMARGIN,
    )

    # Signatures need about 40 mm; start a new page rather than split them from their labels.
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    half = (pdf.w - 30) / 2
    for column, (label, name) in enumerate(
        [
            (_("Handed over by (vendor)"), receipt.delivered_by or receipt.vendor.name),
            (_("Received by (outlet)"), receipt.received_by.name),
        ]
    ):
        x = 15 + column * half
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "", 10)
        pdf.cell(half - 10, 6, latin1(label), align=Align.C)
        pdf.line(x + 5, top + 30, x + half - 15, top + 30)
        pdf.set_xy(x, top + 31)
        pdf.set_font(FONT, "", 9)
        pdf.cell(half - 10, 5, latin1(name), align=Align.C)
    return bytes(pdf.output())


def _label_copies(
    batches: Iterable, per_unit: bool, units: Mapping[int, int] | None = None
) -> list[tuple[object, int]]:
    """(batch, copies) until MAX_LABELS: one label per unit (received, or `units[batch.id]`
    when given: what is left on the shelf), or one per batch."""
    plan, left = [], MAX_LABELS
    for batch in batches:
        count = units.get(batch.id, 0) if units is not None else batch.received_quantity
        copies = min(count if per_unit else 1, left)
        if copies <= 0:
            break
        plan.append((batch, copies))
        left -= copies
    return plan


def _barcode(pdf: FPDF, code: str, x: float, y: float, width: float, height: float) -> bool:
    """Draw `code` as Code 39, centred in `width`; False when it has characters Code 39 lacks."""
    text = code.upper()
    if not text or not set(text) <= CODE39:
        return False
    framed = f"*{text}*"
    # A Code 39 character is 3 wide + 6 narrow bars (narrow = wide / 3) plus a narrow gap.
    wide = min(0.75, width / (len(framed) * 16 / 3))
    drawn = len(framed) * wide * 16 / 3
    pdf.set_fill_color(0, 0, 0)
    pdf.code39(framed, x=x + (width - drawn) / 2, y=y, w=wide, h=height)
    return True


def labels_pdf(
    batches: Iterable,
    *,
    per_unit: bool = True,
    prices: Mapping[int, int] | None = None,
    units: Mapping[int, int] | None = None,
) -> bytes:
    """Shelf labels, 3 x 8 on A4: name, price, the code as a barcode and in text, expiry.
    The price is the batch's label price at intake, or `prices[batch.id]` (a reprint for a
    price change)."""
    pdf = _document()
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(latin1(_("Shelf labels")))
    top = (pdf.h - LABEL_ROWS * LABEL_H) / 2
    left = (pdf.w - LABEL_COLUMNS * LABEL_W) / 2
    pad = 3.0
    slot = 0
    plan = _label_copies(batches, per_unit, units)
    if not plan:
        pdf.add_page()
    for batch, copies in plan:
        # The size's own code on its label: scanning it at the counter sells that size.
        code = batch.variant.code
        expires = _("Exp. %(date)s", date=_date(batch.expires_on)) if batch.expires_on else ""
        for _copy in range(copies):
            if slot % (LABEL_COLUMNS * LABEL_ROWS) == 0:
                pdf.add_page()
            position = slot % (LABEL_COLUMNS * LABEL_ROWS)
            x = left + (position % LABEL_COLUMNS) * LABEL_W
            y = top + (position // LABEL_COLUMNS) * LABEL_H
            inner = LABEL_W - 2 * pad
            pdf.set_draw_color(200, 200, 200)
            pdf.rect(x, y, LABEL_W, LABEL_H)
            pdf.set_font(FONT, "B", 8.5)
            _name(pdf, batch_name(batch), x + pad, y + pad, inner)
            pdf.set_xy(x + pad, y + 10.5)
            pdf.set_font(FONT, "B", 14)
            price = prices.get(batch.id, batch.unit_price) if prices else batch.unit_price
            pdf.cell(inner, 6, latin1(format_rupiah(price)), align=Align.L)
            if batch.expires_on:
                pdf.set_xy(x + pad, y + 11.5)
                pdf.set_font(FONT, "", 7.5)
                pdf.cell(inner, 4, latin1(expires), align=Align.R)
            _barcode(pdf, code, x + pad, y + 18, inner, 9)
            pdf.set_xy(x + pad, y + 27.5)
            pdf.set_font(FONT, "", 8)
            pdf.cell(inner, 4, latin1(code), align=Align.C)
            slot += 1
    return bytes(pdf.output())


def _name(pdf: FPDF, name: str, x: float, y: float, width: float) -> None:
    """The product name on at most two lines, shortened with '...' when longer."""
    text = latin1(name)
    lines: list[str] = []
    words = text.split()
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if pdf.get_string_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == 2:
            break
    if current and len(lines) < 2:
        lines.append(current)
    if len(lines) == 2 and " ".join(lines) != " ".join(words):
        last = lines[1]
        while last and pdf.get_string_width(last + "...") > width:
            last = last[:-1]
        lines[1] = last.rstrip() + "..."
    for index, line in enumerate(lines[:2]):
        while pdf.get_string_width(line) > width and len(line) > 1:
            line = line[:-1]
        pdf.set_xy(x, y + index * 3.8)
        pdf.cell(width, 3.8, line)
