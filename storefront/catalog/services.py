"""Catalogue queries used by shop pages."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from storefront.catalog.models import Category, Product, ProductStatus
from storefront.catalog.permits import today_wib
from storefront.extensions import db
from storefront.vendors.models import Vendor, VendorStatus


def visible_products():
    """Products a shopper may see (DESIGN invariant 8): approved, not hidden, from an approved
    vendor, with the permits their category needs present and not expired today (WIB).

    The expiry is checked here, when read, so a permit that lapsed at midnight hides the
    product at once even before `flask check-permits` runs.
    """
    return (
        select(Product)
        .join(Vendor, Product.vendor_id == Vendor.id)
        .where(
            Product.status == ProductStatus.APPROVED.value,
            Product.hidden.is_(False),
            Vendor.status == VendorStatus.APPROVED.value,
            Product.permits_complete.is_(True),
            or_(
                Product.permits_valid_until.is_(None),
                Product.permits_valid_until >= today_wib(),
            ),
        )
    )


def newest_products(limit: int = 8) -> list[Product]:
    query = (
        visible_products()
        .options(joinedload(Product.vendor), joinedload(Product.category))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def search_products(
    query: str = "", category_slug: str | None = None, page: int = 1, per_page: int = 24
):
    """Visible products whose name, description or vendor contains every word of `query`.

    A plain LIKE search for now; the catalogue issue replaces it with full-text search
    behind this same function.
    """
    statement = visible_products().options(joinedload(Product.vendor), joinedload(Product.category))
    for word in query.split()[:8]:
        pattern = f"%{word.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Product.name).like(pattern),
                func.lower(Product.description).like(pattern),
                func.lower(Vendor.name).like(pattern),
            )
        )
    if category_slug:
        statement = statement.join(Category, Product.category_id == Category.id).where(
            Category.slug == category_slug
        )
    statement = statement.order_by(Product.name, Product.id)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


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


def vendor_listing(vendor: Vendor, page: int = 1):
    statement = (
        visible_products()
        .options(joinedload(Product.category))
        .where(Product.vendor_id == vendor.id)
        .order_by(Product.name, Product.id)
    )
    return db.paginate(statement, page=page, per_page=24, error_out=False)
