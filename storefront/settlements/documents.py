"""The vendor statement as PDF and CSV, and the payout file for the bank transfer."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import pgettext
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from storefront.csv_export import CsvWriter
from storefront.dates import datetime_text
from storefront.money import format_rupiah
from storefront.settlements import figures
from storefront.settlements import services as service
from storefront.settlements.models import FIGURES, SettlementStatus
from storefront.stock.documents import FONT, _date, _document, latin1, letterhead
from storefront.vendors.services import bank_display_name

# The words for a statement's stored status (the pages and the PDF say the same).
status_label = SettlementStatus.label_of


def _period(settlement) -> str:
    return f"{_date(settlement.period_start)} - {_date(settlement.period_end)}"


def summary_rows(settlement) -> list[tuple[str, int]]:
    """The money part of a statement, top to bottom, as (label, amount), in words a vendor
    reads without an accountant: lines that are zero and rarely used are left out."""
    rows = [
        (_("Online sales (gross)"), settlement.gross_online),
        (_("Counter sales (gross)"), settlement.gross_counter),
        (_("Refunds and voided counter sales"), -settlement.refunds),
        (_("Outlet commission"), -settlement.commission),
        (_("Vendor share this period"), settlement.vendor_share),
    ]
    if settlement.compensation:
        rows.append(
            (
                _("Compensation for goods lost or damaged in the outlet's care"),
                settlement.compensation,
            )
        )
    rows.append((_("Carried from earlier periods"), settlement.carried_in))
    if settlement.difference_in > 0:
        rows.append((_("Still owed from an earlier payment (paid less)"), settlement.difference_in))
    elif settlement.difference_in < 0:
        rows.append((_("Overpaid earlier, deducted now"), settlement.difference_in))
    if settlement.advances:
        rows.append((_("Advances already paid for this period"), -settlement.advances))
    rows += [
        (_("Carried to the next period"), -settlement.carried_out),
        (_("Net payable"), settlement.net_payable),
    ]
    return rows


def payment_rows(settlement) -> list[tuple[str, int]]:
    """After the transfer: what was paid and what the next statement carries because of it."""
    if settlement.paid_amount is None:
        return []
    rows = [(pgettext("statement", "Paid"), settlement.paid_amount)]
    difference = settlement.payment_difference or 0
    if difference > 0:
        rows.append((_("Paid less: added to the next statement"), difference))
    elif difference < 0:
        rows.append((_("Paid more: deducted from the next statement"), difference))
    return rows


def compensation_lines(settlement) -> list:
    return [line for line in settlement.lines if line.compensation]


def statement_pdf(settlement, outlet: dict) -> bytes:
    """The statement on A4 landscape: stock and money per product, totals, signatures."""
    vendor = settlement.vendor
    title = _("Settlement statement")
    pdf = _document()
    pdf.set_title(latin1(f"{title} {vendor.name} {_period(settlement)}"))
    pdf.footer_text = latin1(f"{title} - {vendor.name} - {_period(settlement)}")
    pdf.set_margins(12, 12, 12)
    pdf.add_page(orientation="L")

    letterhead(pdf, outlet, title)
    if settlement.is_draft:
        pdf.set_font(FONT, "B", 10)
        pdf.set_text_color(180, 0, 0)
        pdf.cell(
            0,
            5,
            latin1(_("DRAFT - figures may still change")),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    details = [
        (_("Vendor"), vendor.name),
        (_("Period"), _period(settlement)),
        (_("Status"), status_label(settlement.status)),
        (_("Statement no."), f"ST-{settlement.id:06d}"),
        (_("Bank"), bank_display_name(vendor) or "-"),
        (_("Account holder"), vendor.bank_holder or "-"),
    ]
    if settlement.closed_at:
        details.append((_("Closed"), datetime_text(settlement.closed_at, "short")))
    if settlement.paid_on:
        paid = f"{_date(settlement.paid_on)} ({settlement.paid_reference})"
        details.append((pgettext("statement", "Paid"), paid))
    half = (pdf.w - 24) / 2
    top = pdf.get_y()
    for index, (label, value) in enumerate(details):
        pdf.set_xy(12 + (index % 2) * half, top + (index // 2) * 5.5)
        pdf.set_font(FONT, "", 9)
        pdf.cell(42, 5.5, latin1(label))
        pdf.set_font(FONT, "B", 9)
        pdf.cell(half - 44, 5.5, latin1(value))
    pdf.set_xy(12, top + ((len(details) + 1) // 2) * 5.5 + 3)

    headings = (
        _("Product"),
        _("Code"),
        _("Opening"),
        _("Received"),
        _("Sold online"),
        _("Sold at counter"),
        pgettext("statement", "Refunded"),
        _("Returned"),
        _("Adjusted"),
        _("Closing"),
        _("Gross"),
        _("Refunds"),
        _("Commission"),
        _("Vendor share"),
    )
    pdf.set_font(FONT, "", 7.5)
    with pdf.table(
        # Wide enough for the Indonesian headings to break between words ("Penyesuaian").
        col_widths=(35, 22, 13, 15, 14, 15, 15, 15, 19, 13, 22, 24, 22, 24),
        text_align=("LEFT", "LEFT", *(["RIGHT"] * 12)),
        line_height=4.2,
        first_row_as_headings=True,
    ) as table:
        table.row([latin1(h) for h in headings])
        for product in settlement.products:
            if not product.has_variants:
                table.row(_pdf_cells(product.product_name, product.lines[0].product_code, product))
                continue
            table.row(
                _pdf_cells(product.product_name, _("Subtotal"), product),
                style=FontFace(emphasis="BOLD"),
            )
            for line in product.lines:
                # Marked as under the product (the table trims leading spaces).
                table.row(_pdf_cells(f"» {line.variant_label}", line.product_code, line))
    pdf.set_font(FONT, "I", 7)
    pdf.multi_cell(
        0,
        3.5,
        latin1(
            _(
                "Refunded: units refunded to buyers, and counter sales cancelled at the till "
                "(voided) after they were rung up (in brackets: put back on the shelf). "
                "Online sales count when paid, counter sales when rung up, refunds and voids "
                "when they happen (a card refund when the card company confirms it). "
                "Commission is rounded half-up to whole rupiah on each sale line; a refund gives "
                "back at most the commission its line was charged."
            )
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    _extra_sections(pdf, settlement)
    _markdowns_section(
        pdf, figures.markdowns(vendor.id, settlement.period_start, settlement.period_end)
    )
    _pending_refunds_section(pdf, service.pending_refunds(settlement))

    if pdf.get_y() > pdf.h - 75:
        pdf.add_page(orientation="L")
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(110, 6, latin1(_("Summary")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for label, amount in summary_rows(settlement):
        strong = label == _("Net payable")
        pdf.set_font(FONT, "B" if strong else "", 10 if strong else 9)
        if strong:
            pdf.line(12, pdf.get_y(), 122, pdf.get_y())
        pdf.cell(75, 5.5, latin1(label))
        pdf.cell(35, 5.5, latin1(format_rupiah(amount)), align=Align.R)
        pdf.ln(5.5)
    for label, amount in payment_rows(settlement):
        pdf.set_font(FONT, "", 9)
        pdf.cell(75, 5.5, latin1(label))
        pdf.cell(35, 5.5, latin1(format_rupiah(amount)), align=Align.R)
        pdf.ln(5.5)
    if settlement.carried_out and not settlement.final:
        pdf.set_font(FONT, "I", 8)
        pdf.multi_cell(
            110,
            4,
            latin1(
                _(
                    "Below the minimum payout of %(minimum)s: the balance is carried to the "
                    "next statement.",
                    minimum=format_rupiah(settlement.minimum_payout),
                )
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    # Signatures beside the summary: the vendor agrees the figures, the outlet approves.
    sign_left, sign_width = 140, (pdf.w - 12 - 140) / 2
    for column, (label, name) in enumerate(
        [
            (_("Agreed by (vendor)"), vendor.owner_name or vendor.name),
            (_("Approved by (outlet)"), outlet.get("outlet_name", "")),
        ]
    ):
        x = sign_left + column * sign_width
        pdf.set_xy(x, top + 2)
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(sign_width - 6, 5, latin1(label), align=Align.C)
        pdf.line(x + 6, top + 32, x + sign_width - 12, top + 32)
        pdf.set_xy(x, top + 33)
        pdf.set_font(FONT, "", 8.5)
        pdf.cell(sign_width - 6, 5, latin1(name), align=Align.C)
        pdf.set_xy(x, top + 38)
        pdf.cell(sign_width - 6, 5, latin1(_("Date: ..................")), align=Align.C)
    return bytes(pdf.output())


def _pdf_cells(name: str, code: str, line) -> list[str]:
    """A statement table row: a product without options, a product's subtotal or a variant."""
    return [
        latin1(name),
        latin1(code),
        str(line.opening),
        str(line.received),
        str(line.sold_online),
        str(line.sold_counter),
        f"{line.refunded} (+{line.restocked})" if line.restocked else str(line.refunded),
        str(line.returned),
        f"{line.adjusted:+d}" if line.adjusted else "0",
        str(line.closing),
        latin1(format_rupiah(line.gross)),
        latin1(format_rupiah(line.refunds)),
        latin1(format_rupiah(line.commission)),
        latin1(format_rupiah(line.vendor_share)),
    ]


def _extra_sections(pdf, settlement) -> None:
    """Compensation, advances and the final statement, each in a sentence or two."""
    notes = []
    for line in compensation_lines(settlement):
        notes.append(
            _(
                "Compensation: %(units)d x %(product)s lost or damaged while in the outlet's "
                "care, paid at your share of the selling price: %(amount)s.",
                units=line.compensated,
                product=line.display_name,
                amount=format_rupiah(line.compensation),
            )
        )
    for advance in settlement.advance_payments:
        notes.append(
            _(
                "Advance paid on %(date)s (transfer %(reference)s): %(amount)s, deducted from "
                "this statement.",
                date=_date(advance.paid_on),
                reference=advance.reference,
                amount=format_rupiah(advance.amount),
            )
        )
    if settlement.difference_in:
        notes.append(
            _(
                "An earlier transfer differed from its statement (a bank fee, a partial or an "
                "extra payment): the difference is settled here."
            )
        )
    if settlement.final:
        notes.append(_("Final statement: everything due is paid, whatever the minimum payout."))
    if not notes:
        return
    pdf.set_font(FONT, "", 8.5)
    for note in notes:
        pdf.multi_cell(0, 4.2, latin1("- " + note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _section_heading(pdf, text: str, rows: int, explanation: str = "") -> None:
    """A bold heading kept on the page with its first rows, and the paragraph that explains
    the section to the vendor, if any."""
    if pdf.get_y() > pdf.h - 30 - 4.5 * min(rows, 3):
        pdf.add_page(orientation="L")
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if explanation:
        pdf.set_font(FONT, "", 8.5)
        pdf.multi_cell(0, 4.2, latin1(explanation), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)


def _markdowns_section(pdf, markdowns) -> None:
    """Near-expiry markdowns (settlements.figures.markdowns): what was sold for less, already
    inside the figures above, and who bore the reduction."""
    if not markdowns:
        return
    _section_heading(
        pdf,
        _("Near-expiry markdowns"),
        len(markdowns),
        _(
            "Items close to their expiry date were sold at a reduced price, as agreed with "
            "you. This is already counted in the sales above: your part of the reduction "
            "lowered your share; the outlet's part came out of its commission, so for that "
            "part you were paid as if sold at the full price."
        ),
    )
    rows = [
        (m.display_name, m.quantity, m.discount, m.vendor_part, m.outlet_part) for m in markdowns
    ]
    if len(rows) > 1:
        rows.append(
            (
                _("Total"),
                *(sum(row[i] for row in rows) for i in range(1, 5)),
            )
        )
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(95, 35, 45, 45, 45),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.5,
        width=265,
        align="LEFT",
        first_row_as_headings=True,
    ) as table:
        table.row(
            [
                latin1(h)
                for h in (
                    _("Product"),
                    _("Units sold for less"),
                    _("Price reduction"),
                    _("Borne by you"),
                    _("Borne by the outlet"),
                )
            ]
        )
        for name, units, discount, vendor_part, outlet_part in rows:
            table.row(
                [
                    latin1(name),
                    str(units),
                    latin1(format_rupiah(discount)),
                    latin1(format_rupiah(vendor_part)),
                    latin1(format_rupiah(outlet_part)),
                ]
            )
    pdf.ln(3)


def _pending_refunds_section(pdf, pending) -> None:
    """Card or payment-gateway refunds asked for and not yet confirmed by the provider
    (`service.pending_refunds`): listed apart, in no statement until confirmed."""
    if not pending:
        return
    _section_heading(
        pdf,
        _("Card refunds waiting for confirmation (not counted)"),
        len(pending),
        _(
            "Not counted until confirmed: a buyer is being refunded by card or online "
            "payment and the payment company has not confirmed it yet. These amounts are "
            "not deducted in this statement; each is deducted in the statement of the "
            "period it is confirmed in."
        ),
    )
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(40, 45, 110, 25, 45),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        line_height=4.5,
        width=265,
        align="LEFT",
        first_row_as_headings=True,
    ) as table:
        table.row(
            [latin1(h) for h in (_("Order"), _("Asked"), _("Product"), _("Quantity"), _("Amount"))]
        )
        for refund_line, refund, order_line, order in pending:
            table.row(
                [
                    latin1(order.number),
                    latin1(datetime_text(refund.created_at, "short")),
                    latin1(order_line.display_name),
                    str(refund_line.quantity),
                    latin1(format_rupiah(refund_line.amount)),
                ]
            )
    pdf.ln(3)


CSV_FIELDS = ("product_code", "product_name", "variant_label", *FIGURES)


def statement_csv(settlement) -> str:
    """One row per variant (a product without options: per product, its label empty), a
    product with sizes or colours followed by its subtotal row ("subtotal" in the label
    column, so a sum over the label-less and variant rows alone never counts it twice), then
    the totals as label/amount rows (spreadsheet-friendly)."""
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(CSV_FIELDS)
    for product in settlement.products:
        for line in product.lines:
            writer.writerow([getattr(line, name) for name in CSV_FIELDS])
        if product.has_variants:
            writer.writerow(
                ["", product.product_name, "subtotal"]
                + [getattr(product, name) for name in FIGURES]
            )
    writer.writerow([])
    writer.writerow(["vendor", settlement.vendor.name])
    writer.writerow(["period_start", settlement.period_start.isoformat()])
    writer.writerow(["period_end", settlement.period_end.isoformat()])
    writer.writerow(["status", settlement.status])
    for name in (
        "gross_online",
        "gross_counter",
        "refunds",
        "commission",
        "vendor_share",
        "compensation",
        "carried_in",
        "difference_in",
        "advances",
        "carried_out",
        "net_payable",
        "paid_amount",
        "payment_difference",
    ):
        writer.writerow([name, getattr(settlement, name)])
    return out.getvalue()


def payout_csv(statements) -> str:
    """The bank's bulk-transfer sheet: full account numbers (personal data; the caller audits)."""
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(
        ["statement", "vendor", "bank", "account", "holder", "amount", "period", "description"]
    )
    for settlement in statements:
        vendor = settlement.vendor
        writer.writerow(
            [
                f"ST-{settlement.id:06d}",
                vendor.name,
                vendor.bank_code,
                vendor.bank_account,
                vendor.bank_holder,
                settlement.net_payable,
                f"{settlement.period_start.isoformat()}/{settlement.period_end.isoformat()}",
                f"Konsinyasi {settlement.period_start:%m/%Y} ST-{settlement.id:06d}",
            ]
        )
    return out.getvalue()
