"""Managers review a size or colour added to an approved product when its price or photos
differ from what was approved (`variants.review_for`); the vendor is told the outcome as for a
product's review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from storefront import audit
from storefront.catalog import variants
from storefront.catalog.models import Product, ProductVariant, VariantReview
from storefront.catalog.products import InvalidTransition, review_reason
from storefront.extensions import db
from storefront.links import external_url
from storefront.vendors.emails import tell_owners


def waiting_variant(product: Product, variant_id: int) -> ProductVariant | None:
    """One of the product's variants that waits for a manager, else None."""
    return next(
        (
            v
            for v in product.variants
            if v.id == variant_id and v.active and v.review == VariantReview.PENDING.value
        ),
        None,
    )


def approve(variant: ProductVariant, manager) -> None:
    _decide(variant, manager, VariantReview.APPROVED, "variant.approve")


def reject(variant: ProductVariant, manager, reason: str) -> None:
    """Refused without a reason (ListingError on `comment`), as a product's rejection is: the
    vendor reads it beside the size and in the email."""
    _decide(variant, manager, VariantReview.REJECTED, "variant.reject", reason)


def _decide(
    variant: ProductVariant,
    manager,
    outcome: VariantReview,
    action: str,
    reason: str | None = None,
) -> None:
    if not variant.active or variant.review != VariantReview.PENDING.value:
        raise InvalidTransition(_l("This size or colour is not waiting for review."))
    # On the product, so the audit log links to the page where variants are reviewed.
    before = {"variant_id": variant.id, "variant": variant.label, "review": variant.review}
    if outcome == VariantReview.APPROVED:
        variants.approve_variant(variant)
        subject = _l("Your new size or colour was approved")
    else:
        variants.reject_variant(variant, review_reason(reason))
        subject = _l("Your new size or colour was not approved")
    product = variant.product
    audit.record(
        manager,
        action,
        product,
        before=before,
        after={
            "variant_id": variant.id,
            "review": variant.review,
            "reason": variant.review_comment,
        },
    )
    tell_owners(
        product.vendor,
        "catalog/email/variant_decision.txt",
        subject,
        event=f"variant_{variant.review}",
        key=None,
        whatsapp_params=[product.name, variant.label],
        product=product,
        variant=variant,
        link=external_url("catalog.edit_product", product_id=product.id),
    )


def products_waiting(limit: int = 50) -> list[tuple[Product, int]]:
    """Products with sizes or colours waiting for review, with how many, oldest first."""
    waiting: dict[int, list[ProductVariant]] = {}
    for variant in variants.pending_variants(page_size=limit):
        waiting.setdefault(variant.product_id, []).append(variant)
    if not waiting:
        return []
    products = db.session.scalars(select(Product).where(Product.id.in_(waiting))).all()
    by_id = {product.id: product for product in products}
    return [(by_id[pid], len(rows)) for pid, rows in waiting.items() if pid in by_id]
