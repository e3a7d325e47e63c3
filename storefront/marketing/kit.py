"""What a marketing kit shows, and where its files are kept.

A kit is made for a product or for a vendor (their page, for their stall's poster). Its share
images and poster are made on demand and kept on disk under a name made from everything they
show — photo, name, price, halal state, vendor name, link, the outlet's name — so a change to
any of them makes a new file at the next request, and the file it replaces is deleted then.
Nothing has to remember to clear the cache; an edit cannot be missed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale

from storefront.catalog.models import PermitKind, Product
from storefront.catalog.permits import non_halal_label
from storefront.catalog.share_links import DEFAULT_CAMPAIGN, Campaign, short_code
from storefront.links import external_url
from storefront.settings.services import get_setting
from storefront.uploads import public_path
from storefront.vendors.models import Vendor

# Raise when the drawing changes, so every kept file is made again.
DESIGN_VERSION = "1"
KIT_LANGUAGE = "id"  # shoppers read the kit in Indonesian, whatever the vendor's screen says


@dataclass(frozen=True)
class KitSubject:
    kind: str  # "product" or "vendor"
    id: int
    title: str  # the product's or the vendor's name
    vendor_name: str
    page_url: str  # the shop page the QR code and links lead to, without campaign
    price: int | None = None
    unit: str = ""
    net_content: str = ""
    category: str = ""
    halal_number: str = ""  # a halal certificate's number: the badge
    non_halal_note: str = ""  # "Tidak halal: babi", where the vendor declared it
    place: str = ""  # the vendor's kecamatan or city
    photo_key: str = ""  # the stored photo's variant path, "" for none
    outlet_name: str = ""

    def link(self, source: str) -> str:
        """The page's address with the kit's campaign parameters for `source`."""
        return f"{self.page_url}?{urlencode(Campaign(source, DEFAULT_CAMPAIGN).params())}"

    def short_link(self, source: str) -> str:
        return external_url("shop.short_link", code=short_code(self.kind, self.id, source))

    def photo_file(self) -> Path | None:
        if not self.photo_key:
            return None
        try:
            return public_path(self.photo_key)
        except FileNotFoundError:
            return None

    def fingerprint(self, what: str) -> str:
        parts = [DESIGN_VERSION, what, *(str(v) for v in self.__dict__.values())]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def _largest_variant(photo) -> str:
    widths = [int(w) for w in str(photo.widths).split(",") if w.strip().isdigit()]
    return f"{photo.image_key}-{max(widths)}.webp" if widths else ""


def product_subject(product: Product) -> KitSubject:
    halal = next((p for p in product.permits if p.kind == PermitKind.HALAL), None)
    vendor = product.vendor
    with force_locale(KIT_LANGUAGE):
        non_halal = non_halal_label(product) if product.non_halal else ""
        category = product.category.display_name if product.category else ""
    return KitSubject(
        kind="product",
        id=product.id,
        title=product.name,
        vendor_name=vendor.name,
        page_url=external_url("shop.product", slug=product.slug),
        price=product.price,
        unit=product.unit,
        net_content=product.net_content,
        category=category,
        halal_number=halal.number if halal is not None and not product.non_halal else "",
        non_halal_note=non_halal,
        place=vendor.kecamatan or vendor.city or "",
        photo_key=_largest_variant(product.photos[0]) if product.photos else "",
        outlet_name=get_setting("outlet_name"),
    )


def vendor_subject(vendor: Vendor) -> KitSubject:
    return KitSubject(
        kind="vendor",
        id=vendor.id,
        title=vendor.name,
        vendor_name=vendor.name,
        page_url=external_url("shop.vendor_page", slug=vendor.slug),
        place=vendor.kecamatan or vendor.city or "",
        photo_key=_largest_variant(vendor.photos[0]) if vendor.photos else "",
        outlet_name=get_setting("outlet_name"),
    )


def kit_dir() -> Path:
    return Path(current_app.config["MARKETING_KIT_DIR"])


def kept_file(subject: KitSubject, what: str, suffix: str, make: Callable[[], bytes]) -> Path:
    """The file `what` ("square", "story", "poster") of `subject`, made by `make()` unless a
    file made from the same facts is kept already. Older files of the same kind are removed."""
    folder = kit_dir() / f"{subject.kind}-{subject.id}"
    stem = f"{what}-"
    target = folder / f"{stem}{subject.fingerprint(what)}.{suffix}"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    data = make()
    # Written beside and renamed: two requests at once each write whole files, one wins.
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=f".{suffix}")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)
    for old in folder.glob(f"{stem}*.{suffix}"):
        if old != target:
            old.unlink(missing_ok=True)
    return target
