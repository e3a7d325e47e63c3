"""Putting stock on the shelf in tests, through the real ledger."""

from __future__ import annotations

import uuid
from datetime import date

from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.models import Batch, IntakeReceipt
from tests.factories import CategoryFactory, ProductFactory, VendorFactory


def receive(
    product, quantity: int, *, expires_on: date | None = None, actor=None, code="", variant=None
):
    """Receive `quantity` units of `product` (of `variant`, for a product with options) in a
    new batch (one receipt per call)."""
    from tests.factories import UserFactory

    actor = actor or UserFactory(role="manager")
    receipt = IntakeReceipt(
        number=f"NT-TEST-{uuid.uuid4().hex[:8]}",
        vendor_id=product.vendor_id,
        received_by_id=actor.id,
        submission_key=uuid.uuid4().hex,
    )
    db.session.add(receipt)
    db.session.flush()
    batch = Batch(
        product_id=product.id,
        variant_id=variant.id if variant is not None else None,
        vendor_id=product.vendor_id,
        receipt_id=receipt.id,
        code=code or f"B{uuid.uuid4().hex[:6]}",
        expires_on=expires_on,
        received_quantity=quantity,
        unit_price=product.price,
    )
    ledger.receive_batch(batch, actor_id=actor.id)
    db.session.commit()
    return batch


def with_sizes(product, sizes: str, option: str = "Ukuran") -> dict:
    """Give `product` one option ("Ukuran" with "39, 40, 41") and its grid of variants;
    returns {label: variant}."""
    from storefront.catalog import variants

    variants.set_options(product, [variants.OptionSpec.parse(option, sizes)])
    db.session.commit()
    return {variant.label: variant for variant in product.active_variants}


# What the page-cache tests browse (test_page_cache, test_signed_in_pages, test_front_door).
KEPT_PAGES = {"CATALOG_CACHE_SECONDS": 60, "CATALOG_LIST_CACHE_SECONDS": 60}


def coffee_on_the_shelf(units: int):
    """ "Kopi Robusta Bubuk" (Rp45.000) of the maker Dapur Nyai in "Makanan & Minuman", with
    `units` in stock."""
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman")
    maker = VendorFactory(slug="dapur-nyai", name="Dapur Nyai")
    product = ProductFactory(name="Kopi Robusta Bubuk", price=45000, category=food, vendor=maker)
    receive(product, units)
    return product
