"""Who may open a product page the shop does not list.

Shoppers get a 404 for a hidden, unapproved or unpermitted product (DESIGN invariant 8), as if
it did not exist. Its own vendor's members and the outlet's managers may still open it, to see
what shoppers will see, with a banner saying why it is not in the shop.
"""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.auth.models import Role
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.services import visible_product_by_slug
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.vendors.models import VendorStatus
from storefront.vendors.services import membership


class ProductForViewer(NamedTuple):
    product: Product
    # Why shoppers cannot see it; empty when the shop lists it.
    unlisted: list[str]


def product_for_viewer(slug: str, user) -> ProductForViewer | None:
    """The product at `slug` as `user` may see it, or None (the view answers 404)."""
    product = visible_product_by_slug(slug)
    if product is not None:
        return ProductForViewer(product, [])
    if user is None or not user.is_authenticated:
        return None
    product = db.session.scalar(
        select(Product)
        .options(joinedload(Product.vendor), joinedload(Product.category))
        .where(Product.slug == slug)
    )
    if product is None or not may_preview(user, product):
        return None
    return ProductForViewer(product, unlisted_reasons(product))


def may_preview(user, product: Product) -> bool:
    """Managers (and admins), and members of the product's own vendor."""
    if user.has_role(Role.MANAGER):
        return True
    member = membership(user)
    return member is not None and member.vendor_id == product.vendor_id


def unlisted_reasons(product: Product) -> list[str]:
    """The rules of `services.visible_products()` that this product fails, in words. For the
    preview banner only: whether shoppers see a product is decided by that query alone."""
    reasons = []
    if product.status != ProductStatus.APPROVED:
        reasons.append(ProductStatus.label_of(product.status))
    if product.hidden:
        reasons.append(
            _("hidden because a permit expired")
            if product.hidden_reason == "permit_expired"
            else _("hidden by hand")
        )
    if product.vendor.status != VendorStatus.APPROVED:
        reasons.append(_("vendor: %(status)s", status=VendorStatus.label_of(product.vendor.status)))
    if not product.permits_complete:
        reasons.append(_("required permits are missing"))
    elif product.permits_valid_until is not None and product.permits_valid_until < today_wib():
        reasons.append(_("a permit has expired"))
    return reasons
