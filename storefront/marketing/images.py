"""The kit's share images: a square post (1080 × 1080) and a story (1080 × 1920), as PNG.

The photo on top (a designed placeholder when there is none), then the name, the price, the
vendor, the halal badge or the vendor's non-halal note, and a QR code to the page with the
kit's campaign parameters. Fonts are shipped in `fonts/` (DejaVu Sans) so every server draws
the same picture. Text is in Indonesian: the people who see a status are shoppers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from storefront.marketing.kit import KIT_LANGUAGE, KitSubject
from storefront.money import format_rupiah

FONTS = Path(__file__).parent / "fonts"
TEAL = (15, 118, 110)
TEAL_DARK = (11, 84, 78)
GOLD = (251, 191, 36)
CREAM = (253, 248, 238)
INK = (28, 25, 23)
MUTED = (87, 83, 78)
HALAL_GREEN = (21, 128, 61)
NOT_HALAL_RED = (153, 27, 27)
WHITE = (255, 255, 255)
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    photo_height: int
    name_sizes: tuple[int, ...]
    name_lines: int
    price_size: int
    qr_size: int
    band: int  # the outlet's band at the bottom


SQUARE = Layout(1080, 1080, 600, (60, 52, 46), 2, 72, 270, 84)
STORY = Layout(1080, 1920, 880, (72, 62, 54), 3, 96, 340, 120)
SIZES = {"square": SQUARE, "story": STORY}


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size
    )


def _shorten(text: str, fits, ellipsis: str = ELLIPSIS) -> str:
    """The longest start of `text` that fits with an ellipsis, cut at a word where possible."""
    words = text.split()
    while words:
        candidate = " ".join(words) + ellipsis
        if fits(candidate):
            return candidate
        if len(words) == 1:
            word = words[0]
            while word and not fits(word + ellipsis):
                word = word[:-1]
            return word + ellipsis
        words.pop()
    return ellipsis


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """`text` in lines no wider than `width`, at most `max_lines`; the last one shortened with
    an ellipsis when the text does not fit. A word too long for a line is cut."""

    def fits(line: str) -> bool:
        return face.getlength(line) <= width

    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        if not fits(line):
            cut = len(line)
            while cut > 1 and not fits(line[:cut]):
                cut -= 1
            line, rest = line[:cut], line[cut:]
            words.insert(0, rest)
        while words and fits(f"{line} {words[0]}"):
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = _shorten(f"{lines[-1]} {' '.join(words)}", fits)
    return lines


def fitted_name(text: str, sizes: tuple[int, ...], width: int, max_lines: int):
    """The largest of `sizes` at which `text` fits in `max_lines`, else the smallest, shortened."""
    for size in sizes:
        face = font(size, bold=True)
        lines = wrap(text, face, width, max_lines)
        if not lines or not lines[-1].endswith(ELLIPSIS) or text.endswith(ELLIPSIS):
            return face, lines
    return face, lines


def cover(photo: Image.Image, width: int, height: int) -> Image.Image:
    return ImageOps.fit(photo.convert("RGB"), (width, height), Image.Resampling.LANCZOS)


def placeholder(subject: KitSubject, width: int, height: int) -> Image.Image:
    """For a product without a photo: the outlet's teal with a gold seal holding the name's
    initials, and the category, so the post still looks made on purpose."""
    image = Image.new("RGB", (width, height), TEAL)
    draw = ImageDraw.Draw(image)
    for offset in range(-height, width, 90):  # soft diagonal stripes
        draw.line([(offset, height), (offset + height, 0)], fill=TEAL_DARK, width=28)
    initials = "".join(word[0] for word in subject.title.split()[:2] if word[:1].isalnum())
    radius = min(width, height) // 4
    cx, cy = width // 2, height // 2 - radius // 4
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=GOLD)
    draw.ellipse(
        [cx - radius + 14, cy - radius + 14, cx + radius - 14, cy + radius - 14],
        outline=TEAL,
        width=6,
    )
    draw.text(
        (cx, cy), (initials or "?").upper(), font=font(radius, bold=True), fill=TEAL, anchor="mm"
    )
    label = subject.category or subject.vendor_name
    if label:
        face = font(40, bold=True)
        label = wrap(label, face, width - 160, 1)[0]
        draw.text((cx, cy + radius + 60), label, font=face, fill=CREAM, anchor="mm")
    return image


def qr_image(url: str, size: int) -> Image.Image:
    """The QR code of `url`, black on white with its quiet zone, `size` pixels square."""
    code = segno.make(url, error="m")
    out = io.BytesIO()
    modules = code.symbol_size(scale=1, border=4)[0]
    code.save(out, kind="png", scale=max(1, size // modules), border=4)
    out.seek(0)
    image = Image.open(out).convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def _pill(draw, xy, text: str, face, fill, color=WHITE, padding=(26, 14)) -> int:
    """A rounded label at `xy` (top left); returns its width."""
    x, y = xy
    width = int(face.getlength(text)) + 2 * padding[0]
    height = face.size + 2 * padding[1]
    draw.rounded_rectangle([x, y, x + width, y + height], radius=height // 2, fill=fill)
    draw.text((x + padding[0], y + height // 2), text, font=face, fill=color, anchor="lm")
    return width


def share_image(subject: KitSubject, size: str) -> bytes:
    """The share image `size` ("square" or "story") as PNG bytes."""
    layout = SIZES[size]
    with force_locale(KIT_LANGUAGE):
        return _draw(subject, layout)


def _photo(subject: KitSubject, width: int, height: int) -> Image.Image:
    path = subject.photo_file()
    if path is not None:
        try:
            with Image.open(path) as photo:
                return cover(photo, width, height)
        except OSError:
            pass
    return placeholder(subject, width, height)


def _draw(subject: KitSubject, layout: Layout) -> bytes:
    width, margin = layout.width, 60
    image = Image.new("RGB", (width, layout.height), CREAM)
    image.paste(_photo(subject, width, layout.photo_height), (0, 0))
    draw = ImageDraw.Draw(image)

    badge_face = font(34 if layout is SQUARE else 40, bold=True)
    if subject.non_halal_note:
        note = wrap(subject.non_halal_note, badge_face, width - 2 * margin - 60, 1)[0]
        _pill(draw, (margin, margin), note, badge_face, NOT_HALAL_RED)
    elif subject.halal_number:
        _pill(draw, (margin, margin), _("HALAL"), badge_face, HALAL_GREEN)

    qr_size = layout.qr_size
    # The square keeps the QR code beside the text; the story puts it below.
    text_width = width - 2 * margin - (qr_size + 64 if layout is SQUARE else 0)

    y = layout.photo_height + 44
    face, lines = fitted_name(subject.title, layout.name_sizes, text_width, layout.name_lines)
    for line in lines:
        draw.text((margin, y), line, font=face, fill=INK)
        y += int(face.size * 1.18)
    y += 10
    if subject.price is not None:
        price_face = font(layout.price_size, bold=True)
        draw.text((margin, y), format_rupiah(subject.price), font=price_face, fill=TEAL)
        y += int(layout.price_size * 1.2)
    small = font(34 if layout is SQUARE else 42)
    if subject.kind == "product":
        by = _("by %(vendor)s", vendor=subject.vendor_name)
    else:
        by = subject.place or subject.outlet_name
    for line in wrap(by, small, text_width, 1 if layout is SQUARE else 2):
        draw.text((margin, y), line, font=small, fill=MUTED)
        y += int(small.size * 1.3)

    scan_face = font(25 if layout is SQUARE else 38, bold=True)
    if layout is SQUARE:
        qr_x, qr_y = width - margin - qr_size - 24, layout.photo_height + 40
    else:
        # Below the text, as large as the room left above the band allows.
        room = layout.height - layout.band - (y + 30) - 24 - scan_face.size - 40
        qr_size = max(240, min(qr_size, room))
        qr_x, qr_y = (width - qr_size - 24) // 2, y + 30
    qr_card = qr_size + 24
    draw.rounded_rectangle(
        [qr_x, qr_y, qr_x + qr_card, qr_y + qr_card], radius=18, fill=WHITE, outline=TEAL, width=4
    )
    image.paste(qr_image(subject.link("qr"), qr_size), (qr_x + 12, qr_y + 12))
    scan = _("Scan to order") if subject.kind == "product" else _("Scan to see our products")
    draw.text(
        (qr_x + qr_card // 2, qr_y + qr_card + 16), scan, font=scan_face, fill=TEAL, anchor="mt"
    )
    if layout is STORY:
        host = subject.page_url.split("://", 1)[-1].split("/", 1)[0]
        draw.text(
            (width // 2, qr_y + qr_card + 26 + scan_face.size),
            host,
            font=font(34),
            fill=MUTED,
            anchor="mt",
        )

    top = layout.height - layout.band
    draw.rectangle([0, top, width, layout.height], fill=TEAL)
    band_face = font(34 if layout is SQUARE else 44, bold=True)
    outlet = wrap(subject.outlet_name, band_face, width - 2 * margin - 60, 1)[0]
    draw.text((margin, top + layout.band // 2), "\u2605", font=band_face, fill=GOLD, anchor="lm")
    draw.text(
        (margin + 56, top + layout.band // 2), outlet, font=band_face, fill=WHITE, anchor="lm"
    )

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
