"""QR codes drawn by the shop from the gateway's QR string, as inline SVG (no image from
elsewhere, nothing for the page's CSP to allow)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(text: str, title: str = "QRIS") -> Markup:
    qr = segno.make(text, error="m")
    # segno writes the SVG itself from the QR matrix; `title` is escaped by segno.
    return Markup(qr.svg_inline(scale=5, border=2, title=title, omitsize=True))  # noqa: S704  # nosec B704
