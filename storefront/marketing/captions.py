"""Three ready-to-copy captions for a WhatsApp status (or a post), in Indonesian, made from the
product's (or the vendor's) facts: short, ending in a short link and a few hashtags."""

from __future__ import annotations

import re

from flask_babel import force_locale
from flask_babel import gettext as _

from storefront.marketing.kit import KIT_LANGUAGE, KitSubject
from storefront.money import format_rupiah

# A status is read in a few seconds: a long product name is cut, at a word, to this.
NAME_CHARS = 60
MAX_HASHTAGS = 4


def short_name(name: str, limit: int = NAME_CHARS) -> str:
    name = " ".join(name.split())
    if len(name) <= limit:
        return name
    cut = name[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.-–—") + "\u2026"


def hashtag(text: str) -> str:
    """`Dapur Nyai Ratna` -> `#DapurNyaiRatna`; "" when nothing of it can be a hashtag."""
    words = re.findall(r"[0-9A-Za-zÀ-ÿ]+", text)
    tag = "".join(w[:1].upper() + w[1:] for w in words)[:30]
    return f"#{tag}" if tag else ""


def _hashtags(subject: KitSubject) -> str:
    tags = [
        hashtag(subject.vendor_name),
        hashtag(subject.category),
        "#UMKMTangerang",
        hashtag(subject.outlet_name),
    ]
    kept = list(dict.fromkeys(t for t in tags if t))
    return " ".join(kept[:MAX_HASHTAGS])


def captions(subject: KitSubject) -> list[str]:
    """Three captions, each with the kit's short link for WhatsApp statuses."""
    link = subject.short_link("status")
    tags = _hashtags(subject)
    with force_locale(KIT_LANGUAGE):
        lines = _vendor_lines(subject) if subject.kind == "vendor" else _product_lines(subject)
    return [f"{text}\n{link}\n{tags}" for text in lines]


def _product_lines(subject: KitSubject) -> list[str]:
    name = short_name(subject.title)
    price = format_rupiah(subject.price)
    halal = ""
    if subject.halal_number:
        halal = " " + _("Halal certified.")
    elif subject.non_halal_note:
        halal = f" ({subject.non_halal_note})"
    size = f" {subject.net_content}" if subject.net_content else ""
    return [
        _("%(name)s%(size)s, only %(price)s!", name=name, size=size, price=price)
        + halal
        + " "
        + _("Order now:"),
        _(
            "Looking for something local? %(name)s from %(vendor)s is at %(outlet)s, only "
            "%(price)s.",
            name=name,
            vendor=subject.vendor_name,
            outlet=subject.outlet_name,
            price=price,
        )
        + halal,
        _(
            "Made by a Tangerang UMKM: %(name)s, %(price)s. Pick up at the outlet or have it "
            "delivered.",
            name=name,
            price=price,
        )
        + halal,
    ]


def _vendor_lines(subject: KitSubject) -> list[str]:
    place = f" ({subject.place})" if subject.place else ""
    return [
        _("Our products are now at %(outlet)s!", outlet=subject.outlet_name)
        + " "
        + _("See them all and order online:"),
        _(
            "%(vendor)s%(place)s: local products, made with care. Order from home:",
            vendor=subject.vendor_name,
            place=place,
        ),
        _(
            "Support local UMKM! Find %(vendor)s at %(outlet)s.",
            vendor=subject.vendor_name,
            outlet=subject.outlet_name,
        ),
    ]
