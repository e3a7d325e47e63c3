"""The counter receipt as a PDF on till paper (58 or 80 mm wide), in the house style of
stock/documents.py (fpdf2 core fonts, Latin-1 text)."""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from storefront.dates import datetime_text
from storefront.money import format_rupiah
from storefront.stock.documents import FONT, latin1


def method_label(method: str) -> str:
    return {"cash": _("Cash"), "qris": "QRIS", "debit": _("Debit card")}.get(method, method)


def receipt_pdf(sale, outlet: dict, paper_mm: int = 80) -> bytes:
    """One strip as long as its content: outlet, number and time, lines, total, payments,
    change. Drawn twice: once to measure the length, once on a page of exactly that length."""
    draft = _draw(sale, outlet, paper_mm, 1000)
    return bytes(_draw(sale, outlet, paper_mm, draft.get_y() + 6).output())


def _draw(sale, outlet: dict, paper_mm: int, height: float) -> FPDF:
    margin = 3.0 if paper_mm <= 58 else 4.0
    width = paper_mm - 2 * margin
    size = 7.5 if paper_mm <= 58 else 8.5
    pdf = FPDF(orientation="P", unit="mm", format=(paper_mm, height))
    pdf.set_creator("Gerai Tangerang Gemilang")
    pdf.set_title(latin1(_("Receipt %(number)s", number=sale.number)))
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    below = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def row(left: str, right: str, bold: bool = False) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.cell(width * 0.6, 4, latin1(left))
        pdf.cell(width * 0.4, 4, latin1(right), align=Align.R, **below)

    def rule() -> None:
        pdf.ln(1)
        y = pdf.get_y()
        pdf.set_draw_color(0, 0, 0)
        pdf.set_dash_pattern(dash=0.8, gap=0.6)
        pdf.line(margin, y, margin + width, y)
        pdf.set_dash_pattern()
        pdf.ln(1.5)

    pdf.set_font(FONT, "B", size + 2)
    pdf.multi_cell(width, 5, latin1(outlet.get("outlet_name", "")), align=Align.C, **below)
    pdf.set_font(FONT, "", size - 1)
    pdf.multi_cell(width, 3.5, latin1(outlet.get("outlet_address", "")), align=Align.C, **below)
    rule()
    # The same three lines as the HTML receipt; on its own line an English date fits 58 mm too.
    row(_("Number"), sale.number)
    row(_("Date"), datetime_text(sale.created_at, "short"))
    row(_("Cashier"), sale.cashier.name)
    if sale.is_voided:
        pdf.set_font(FONT, "B", size + 2)
        pdf.cell(width, 6, latin1(_("VOIDED")), align=Align.C, **below)
    rule()
    for line in sale.lines:
        pdf.set_font(FONT, "", size)
        pdf.multi_cell(width, 4, latin1(line.display_name), align=Align.L, **below)
        row(f"{line.quantity} x {format_rupiah(line.unit_price)}", format_rupiah(line.gross))
        if line.discount:
            # The list price is struck through on screen; on paper it is said in words.
            row(_("Near expiry, was %(price)s", price=format_rupiah(line.list_price)), "")
    rule()
    row(_("Total"), format_rupiah(sale.total), bold=True)
    for payment in sale.payments:
        label = method_label(payment.method)
        if payment.reference:
            label = f"{label} {payment.reference}"
        row(label, format_rupiah(payment.tendered))
    row(_("Change"), format_rupiah(sale.change))
    rule()
    pdf.set_font(FONT, "", size - 0.5)
    pdf.multi_cell(
        width,
        3.5,
        latin1(_("Thank you for supporting Tangerang's local producers.")),
        align=Align.C,
        **below,
    )
    return pdf
