"""Catalogue queries used by shop pages."""

from __future__ import annotations

from functools import cache

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased, joinedload

from storefront.catalog.models import Product, ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.vendors.models import Vendor, VendorStatus


@cache
def _product_vendor():
    """Made once (after the mappers are configured): an alias proxies every vendor column,
    which cost more than the query it is for."""
    return aliased(Vendor, name="product_vendor")


def from_approved_vendor():
    """EXISTS (the product's vendor is approved), correlated to `Product` only: it reads its own
    alias of `vendors`, so it also works inside a query that is itself correlated to `Vendor`
    (the spotlight in shop/browse.py)."""
    vendor = _product_vendor()
    return exists().where(
        vendor.id == Product.vendor_id, vendor.status == VendorStatus.APPROVED.value
    )


def visible_products():
    """Products a shopper may see (DESIGN invariant 8): approved, not hidden, from an approved
    vendor, with the permits their category needs present and not expired today (WIB).

    The expiry is checked here, when read, so a permit that lapsed at midnight hides the
    product at once even before `flask check-permits` runs.

    The vendor is tested with a correlated EXISTS, not a JOIN nor `vendor_id IN (...)`: with
    either of those SQLite starts from `ix_products_vendor_status`, reads every approved
    product and sorts them all to keep 24; with the EXISTS it walks
    `ix_products_status_created` / `ix_products_category_created` newest first and stops after
    one page (docs/performance.md). Callers that need vendor columns join `Vendor` themselves.
    """
    return select(Product).where(
        Product.status == ProductStatus.APPROVED.value,
        Product.hidden.is_(False),
        from_approved_vendor(),
        Product.permits_complete.is_(True),
        or_(
            Product.permits_valid_until.is_(None),
            Product.permits_valid_until >= today_wib(),
        ),
    )


def visible_product_by_slug(slug: str) -> Product | None:
    return db.session.scalar(
        visible_products()
        .options(joinedload(Product.vendor), joinedload(Product.category))
        .where(Product.slug == slug)
    )


def approved_vendor_by_slug(slug: str) -> Vendor | None:
    return db.session.scalar(
        select(Vendor).where(Vendor.slug == slug, Vendor.status == VendorStatus.APPROVED.value)
    )
