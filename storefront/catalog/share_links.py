"""Links a vendor shares (a WhatsApp status, a Facebook post, the QR code on a poster) and
where a visitor came from, for the per-link figures in catalog/interest.py.

A shared link is the product's (or the vendor's) own page with two campaign parameters,
`utm_source` (where it was shared: whatsapp, facebook, qr…) and `utm_campaign` (the vendor's
name for the push; the marketing kit uses DEFAULT_CAMPAIGN), the convention every analytics
tool reads. A short form, `/s/<code>`, fits in a caption: it redirects to the same long link.
The code is made from the page and the source alone (`p1aw`: product 1a in base 36, from
WhatsApp), so there is no table of codes to fill or guess from.

The "came from" a visitor carries to the cart and the order is kept in their session only,
never in the database: the source, the campaign and the vendor's id, nothing of theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SOURCE_PARAM = "utm_source"
CAMPAIGN_PARAM = "utm_campaign"
DEFAULT_CAMPAIGN = "promosi"
# The session key of the last shared link a visitor arrived by (this module's docstring).
CAME_FROM_KEY = "came_from"

# Where a link was shared, with the letter of its short code. A source outside this list is
# counted as "other", so a stranger typing parameters cannot grow the tables without bound.
SOURCES = {
    "whatsapp": ("w", _l("WhatsApp")),
    "facebook": ("f", _l("Facebook")),
    "instagram": ("i", _l("Instagram")),
    "link": ("l", _l("Copied link")),
    "status": ("s", _l("Caption (WhatsApp status)")),
    "qr": ("q", _l("QR code on a share image")),
    "poster": ("p", _l("QR code on the poster")),
    "other": ("o", _l("Other")),
}
_SOURCE_BY_LETTER = {letter: name for name, (letter, _label) in SOURCES.items()}
_CAMPAIGN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_CODE = re.compile(r"([pv])([0-9a-z]{1,12})([a-z])")


@dataclass(frozen=True)
class Campaign:
    source: str
    campaign: str

    @property
    def label(self) -> str:
        return str(SOURCES[self.source][1])

    def params(self) -> dict[str, str]:
        return {SOURCE_PARAM: self.source, CAMPAIGN_PARAM: self.campaign}


def campaign_from(args) -> Campaign | None:
    """The campaign named by a request's parameters, or None when there is none. A source is
    one of SOURCES (anything else is "other"); a campaign name is a short lower-case slug
    (anything else is the default), so what is counted stays a handful of short words."""
    source = str(args.get(SOURCE_PARAM, "") or "").strip().lower()
    if not source:
        return None
    campaign = str(args.get(CAMPAIGN_PARAM, "") or "").strip().lower()
    return Campaign(
        source if source in SOURCES else "other",
        campaign if _CAMPAIGN.fullmatch(campaign) else DEFAULT_CAMPAIGN,
    )


@dataclass(frozen=True)
class ShortCode:
    kind: str  # "product" or "vendor"
    id: int
    source: str

    @property
    def campaign(self) -> Campaign:
        return Campaign(self.source, DEFAULT_CAMPAIGN)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def short_code(kind: str, id_: int, source: str) -> str:
    return ("p" if kind == "product" else "v") + _base36(id_) + SOURCES[source][0]


def parse_short_code(code: str) -> ShortCode | None:
    """The page and source of a short code, or None if it is not one."""
    found = _CODE.fullmatch(code or "")
    if found is None or found.group(3) not in _SOURCE_BY_LETTER:
        return None
    kind = "product" if found.group(1) == "p" else "vendor"
    number = int(found.group(2), 36)
    if number < 1 or found.group(2) != _base36(number):  # one spelling per page: no "p01aw"
        return None
    return ShortCode(kind, number, _SOURCE_BY_LETTER[found.group(3)])


def came_from(stored) -> tuple[int, Campaign] | None:
    """(vendor id, campaign) of a session's stored "came from", or None if absent or garbled."""
    if not isinstance(stored, dict):
        return None
    vendor_id, source, campaign = stored.get("v"), stored.get("s"), stored.get("c")
    if not isinstance(vendor_id, int) or source not in SOURCES:
        return None
    if not isinstance(campaign, str) or not _CAMPAIGN.fullmatch(campaign):
        return None
    return vendor_id, Campaign(source, campaign)


def came_from_value(vendor_id: int, campaign: Campaign) -> dict:
    return {"v": vendor_id, "s": campaign.source, "c": campaign.campaign}
