"""The kit's printable A5 poster (PDF) for a vendor's stall or market table: the photo, the name,
the price, the halal badge, and a large QR code to the page with the poster's campaign, with
the short link printed under it for anyone who would rather type it.

Drawn with the statement PDFs' fonts (fpdf2's core Helvetica, text folded to Latin-1 by
`stock.documents.latin1`), so no font file is embedded and it prints the same everywhere.
"""

from __future__ import annotations

import io

from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from PIL import Image

from storefront.marketing import images
from storefront.marketing.captions import short_name
from storefront.marketing.kit import KIT_LANGUAGE, KitSubject
from storefront.money import format_rupiah
from storefront.stock.documents import FONT, latin1

WIDTH, HEIGHT = 148.0, 210.0  # A5, millimetres
MARGIN = 12.0
PHOTO_H = 60.0
QR_MM = 60.0


def _jpeg(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=88)
    out.seek(0)
    return out


def _photo(subject: KitSubject) -> Image.Image:
    # 10 pixels a millimetre: sharp enough for an office printer at 250 dpi.
    width, height = int((WIDTH - 2 * MARGIN) * 10), int(PHOTO_H * 10)
    path = subject.photo_file()
    if path is not None:
        try:
            with Image.open(path) as photo:
                return images.cover(photo, width, height)
        except OSError:
            pass
    return images.placeholder(subject, width, height)


def poster_pdf(subject: KitSubject) -> bytes:
    with force_locale(KIT_LANGUAGE):
        return _draw(subject)


def _draw(subject: KitSubject) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format=(WIDTH, HEIGHT))
    pdf.set_creator("Gerai Tangerang Gemilang")
    pdf.set_title(latin1(subject.title))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()
    inner = WIDTH - 2 * MARGIN

    pdf.set_fill_color(*images.TEAL)
    pdf.rect(0, 0, WIDTH, 18, style="F")
    pdf.set_fill_color(*images.GOLD)
    pdf.rect(0, 18, WIDTH, 1.6, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 15)
    pdf.set_xy(MARGIN, 5)
    pdf.cell(inner, 8, latin1(subject.outlet_name), align=Align.C)

    top = 25.0
    pdf.image(_jpeg(_photo(subject)), x=MARGIN, y=top, w=inner, h=PHOTO_H)
    if subject.non_halal_note or subject.halal_number:
        label = latin1(subject.non_halal_note or _("HALAL"))
        pdf.set_font(FONT, "B", 11)
        badge_w = min(pdf.get_string_width(label) + 8, inner - 8)
        color = images.NOT_HALAL_RED if subject.non_halal_note else images.HALAL_GREEN
        pdf.set_fill_color(*color)
        pdf.set_text_color(255, 255, 255)
        pdf.set_xy(MARGIN + 4, top + 4)
        pdf.cell(badge_w, 8, label, align=Align.C, fill=True)

    pdf.set_text_color(*images.INK)
    pdf.set_font(FONT, "B", 20)
    pdf.set_xy(MARGIN, top + PHOTO_H + 5)
    pdf.multi_cell(
        inner, 8.5, latin1(short_name(subject.title, 52)), align=Align.C, max_line_height=8.5
    )
    pdf.set_x(MARGIN)
    if subject.price is not None:
        pdf.set_font(FONT, "B", 22)
        pdf.set_text_color(*images.TEAL)
        pdf.cell(inner, 10, latin1(format_rupiah(subject.price)), align=Align.C)
        pdf.ln(10)
    pdf.set_font(FONT, "", 10.5)
    pdf.set_text_color(*images.MUTED)
    if subject.kind == "product":
        by = _("by %(vendor)s", vendor=subject.vendor_name)
    else:
        by = subject.place
    if by:
        pdf.set_x(MARGIN)
        pdf.cell(inner, 5, latin1(by), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text_bottom = pdf.get_y()

    pdf.set_fill_color(*images.TEAL)
    pdf.rect(0, HEIGHT - 11, WIDTH, 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 10)
    pdf.set_xy(MARGIN, HEIGHT - 8.5)
    pdf.cell(
        inner,
        6,
        latin1(_("Order online: pick up at the outlet or have it delivered")),
        align=Align.C,
    )

    # As large as the room under the text allows (a two-line name leaves less).
    qr_mm = min(QR_MM, HEIGHT - 32 - (text_bottom + 2))
    qr_top = HEIGHT - 32 - qr_mm
    qr = images.qr_image(subject.link("poster"), 600)
    pdf.image(_png(qr), x=(WIDTH - qr_mm) / 2, y=qr_top, w=qr_mm, h=qr_mm)
    pdf.set_text_color(*images.TEAL)
    pdf.set_font(FONT, "B", 12)
    pdf.set_xy(MARGIN, qr_top + qr_mm + 1)
    scan = _("Scan to order") if subject.kind == "product" else _("Scan to see our products")
    pdf.cell(inner, 6, latin1(scan), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(*images.INK)
    link = subject.short_link("poster").split("://", 1)[-1]
    pdf.cell(inner, 5, latin1(link), align=Align.C)
    return bytes(pdf.output())


def _png(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return out
