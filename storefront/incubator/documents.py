"""The cohort's programme report as a one-page PDF for the regency, in the statement PDF's
fonts and layout (stock/documents.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf.enums import XPos, YPos

from storefront.dates import date_text
from storefront.incubator.cohorts import CohortReport
from storefront.money import format_rupiah
from storefront.stock.documents import FONT, _document, latin1, letterhead


def cohort_pdf(found: CohortReport, outlet: dict, today) -> bytes:
    cohort = found.cohort
    title = _("Incubator programme report")
    pdf = _document()
    pdf.set_title(latin1(f"{title} {cohort.name}"))
    pdf.footer_text = latin1(f"{title} - {cohort.name}")
    pdf.set_margins(12, 12, 12)
    pdf.add_page()

    letterhead(pdf, outlet, title)
    pdf.ln(2)
    details = [
        (_("Cohort"), cohort.name),
        (_("Started"), date_text(cohort.starts_on, "short")),
        (_("Mentor"), cohort.mentor.name if cohort.mentor else "-"),
        (_("Members"), str(len(found.members))),
        (_("Printed"), date_text(today, "short")),
    ]
    for label, value in details:
        pdf.set_font(FONT, "", 9)
        pdf.cell(40, 5.5, latin1(label))
        pdf.set_font(FONT, "B", 9)
        pdf.cell(0, 5.5, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    if found.empty:
        pdf.set_font(FONT, "I", 11)
        pdf.multi_cell(
            0,
            6,
            latin1(_("This cohort has no members yet: there is nothing to report.")),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        return bytes(pdf.output())

    headings = (
        _("Vendor"),
        _("Joined"),
        _("Sales before joining"),
        _("Sales since joining"),
        _("Products listed"),
        _("Permits obtained"),
        _("Active months"),
    )
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(52, 20, 27, 27, 19, 19, 22),
        text_align=("LEFT", "LEFT", *(["RIGHT"] * 5)),
        line_height=4.4,
        first_row_as_headings=True,
    ) as table:
        table.row([latin1(h) for h in headings])
        for m in found.members:
            table.row(
                [
                    latin1(m.vendor.name),
                    latin1(date_text(m.joined_on, "short")),
                    latin1(format_rupiah(m.sales_before)),
                    latin1(format_rupiah(m.sales_since)),
                    str(m.products_listed),
                    str(m.permits_obtained),
                    str(m.active_months),
                ]
            )
        table.row(
            [
                latin1(_("Total")),
                "",
                latin1(format_rupiah(found.total("sales_before"))),
                latin1(format_rupiah(found.total("sales_since"))),
                str(found.total("products_listed")),
                str(found.total("permits_obtained")),
                str(found.total("active_months")),
            ]
        )
    pdf.ln(2)
    pdf.set_font(FONT, "I", 7.5)
    pdf.multi_cell(
        0,
        3.8,
        latin1(
            _(
                "Sales are the gross sales on the vendors' settlement statements: before "
                "joining, the statements that ended before the joining date; since joining, "
                "the rest. Active months: months since joining with sales. Permits obtained: "
                "permits added to the vendor's products since joining."
            )
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())
