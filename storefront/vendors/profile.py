"""Vendor profile and payout-account rules used by the portal (plain functions, no request).

The views call them and commit. Files are removed only after the commit, so a failed commit
never leaves a row pointing at a deleted image.
"""

from __future__ import annotations

import html

import nh3
from flask_babel import lazy_gettext as _l

from storefront.indonesia.identifiers import mask
from storefront.phones import normalise_phone
from storefront.uploads import delete_after_commit, media_url, save_image
from storefront.vendors import services
from storefront.vendors.models import Vendor, VendorPhoto

MAX_PHOTOS = 6
LOGO_WIDTH = 320
PHOTO_WIDTHS = (320, 640, 1200)


def plain_text(text: str | None) -> str:
    """The story is plain text: tags (and script contents) are dropped, entities read back."""
    return html.unescape(nh3.clean(text or "", tags=set())).strip()


def update_profile(vendor: Vendor, *, story: str, whatsapp: str | None) -> None:
    vendor.story = plain_text(story)
    vendor.whatsapp = normalise_phone(whatsapp) if whatsapp else None


def replace_logo(vendor: Vendor, file) -> str | None:
    """Store a new logo; returns the old one's path for the caller to delete after commit.

    `logo_key` is the stored path of the one logo variant (at most LOGO_WIDTH wide), so a page
    shows it with `media_url(vendor.logo_key)`.
    """
    image = save_image(file, folder=f"vendors/{vendor.id}", sizes=(LOGO_WIDTH,))
    old, vendor.logo_key = vendor.logo_key, image.path_for(image.widths[-1])
    return old


def remove_logo(vendor: Vendor) -> str | None:
    old, vendor.logo_key = vendor.logo_key, None
    return old


def add_photo(vendor: Vendor, file) -> VendorPhoto:
    if len(vendor.photos) >= MAX_PHOTOS:
        raise services.VendorError(
            _l("A profile can have at most %(n)d photos. Delete one first.", n=MAX_PHOTOS),
            field="photo",
        )
    image = save_image(file, folder=f"vendors/{vendor.id}", sizes=PHOTO_WIDTHS)
    photo = VendorPhoto(
        image_key=image.key,
        widths=",".join(str(w) for w in image.widths),
        position=len(vendor.photos),
    )
    vendor.photos.append(photo)
    return photo


def _photo(vendor: Vendor, photo_id: int) -> VendorPhoto:
    photo = next((p for p in vendor.photos if p.id == photo_id), None)
    if photo is None:
        raise services.VendorError(_l("Photo not found."))
    return photo


def move_photo(vendor: Vendor, photo_id: int, offset: int) -> None:
    photos = list(vendor.photos)
    index = photos.index(_photo(vendor, photo_id))
    target = max(0, min(len(photos) - 1, index + offset))
    photos.insert(target, photos.pop(index))
    for position, photo in enumerate(photos):
        photo.position = position


def delete_photo(vendor: Vendor, photo_id: int) -> str:
    """Remove the photo; returns its image key for the caller to delete after commit."""
    photo = _photo(vendor, photo_id)
    vendor.photos.remove(photo)
    for position, remaining in enumerate(vendor.photos):
        remaining.position = position
    return photo.image_key


def photo_sources(photo: VendorPhoto) -> dict[str, str]:
    widths = [int(w) for w in photo.widths.split(",") if w]
    urls = {w: media_url(f"{photo.image_key}-{w}.webp") for w in widths}
    return {
        "src": urls[widths[0]],
        "srcset": ", ".join(f"{url} {w}w" for w, url in urls.items()),
    }


def discard(path_or_key: str | None) -> None:
    """The replaced logo or photo's files go once the action has committed."""
    delete_after_commit(path_or_key)


# --- bank rules ------------------------------------------------------------------------------


def bank_snapshot(vendor: Vendor) -> dict[str, str | None]:
    """What the audit log keeps of the payout account: never the full number, nor the holder's
    name (personal data stays out of the log, UU PDP)."""
    return {"bank_code": vendor.bank_code, "account": mask(vendor.bank_account) or None}
