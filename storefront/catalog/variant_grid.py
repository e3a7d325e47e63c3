"""The vendor's grid of variants saved in one step, and photos of one size or colour.

The rules for one variant live in `variants.py`; here the grid as a whole: every row is
checked, and one refused row refuses the grid (the action's unit of work rolls back).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storefront.catalog import variants
from storefront.catalog.models import Product, ProductPhoto, ProductVariant
from storefront.catalog.variants import VariantError
from storefront.extensions import db


class GridRefused(VariantError):
    """Some rows were refused: `rows` is {variant id: (field, message)}. Nothing may be
    saved."""

    def __init__(self, rows: dict[int, tuple[str, str]]):
        super().__init__(_l("Nothing was saved: check the rows marked below."), field="rows")
        self.rows = rows


def grid(product: Product) -> list[ProductVariant]:
    """The combinations of the product's options, on offer or switched off; variants retired
    with a removed value (they no longer name every option) are left out."""
    if not product.options:
        return []
    size = len(product.options)
    return [v for v in product.variants if v.values and len(v.values) == size]


def save_grid(product: Product, changes: dict[int, tuple[str, int, bool]]) -> int:
    """Apply {variant id: (code, price difference, on offer)} to the product's grid; returns
    how many rows changed. Every row is tried so the vendor sees every problem at once; if
    any is refused, GridRefused names them and the caller rolls the whole grid back."""
    rows = {v.id: v for v in grid(product)}
    refused: dict[int, tuple[str, str]] = {}
    waiting: list[ProductVariant] = []
    changed = 0
    for variant_id, (sku, price_delta, active) in changes.items():
        variant = rows.get(variant_id)
        if variant is None:
            continue  # not this product's: never touched, whatever was posted
        if (sku.strip().upper(), price_delta, active) == (
            variant.sku or "",
            variant.price_delta,
            variant.active,
        ):
            continue
        try:
            if variants.update_variant(variant, sku=sku, price_delta=price_delta, active=active):
                waiting.append(variant)
        except VariantError as exc:
            refused[variant_id] = (exc.field or "sku", str(exc.message))
        else:
            changed += 1
    if refused:
        raise GridRefused(refused)
    variants.tell_managers(product, waiting)
    db.session.flush()
    return changed


def assign_photo(product: Product, photo_id: int, variant_id: int | None) -> ProductPhoto:
    """Say which size or colour a photo shows (None: the whole product). A variant of an
    approved product with a photo of its own waits for a manager (`variants.rereview`); the
    variant the photo leaves is re-checked as when the photo is deleted
    (`variants.photo_removed`)."""
    photo = next((p for p in product.photos if p.id == photo_id), None)
    if photo is None:
        raise VariantError(_l("Photo not found."), field="variant_id")
    variant = variants.variant_for(product, variant_id) if variant_id else None
    previous = photo.variant
    if previous is variant:
        return photo
    photo.variant = variant
    db.session.flush()
    waiting = []
    if previous is not None and variants.photo_removed(previous):
        waiting.append(previous)
    if variant is not None and variant.active and variants.rereview(variant):
        waiting.append(variant)
    variants.tell_managers(product, waiting)
    return photo
