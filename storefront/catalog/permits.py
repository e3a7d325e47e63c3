"""Which goods may be sold (DESIGN invariant 8, and the halal rule since 17 October 2026).

A food or drink product needs a food-safety permit (P-IRT or BPOM MD/ML) that has not expired,
and either a halal certificate or an explicit non-halal declaration. Crafts, batik and footwear
need none. The result is kept on the product (`permits_complete`, `permits_valid_until`) so the
shop can filter on it in SQL; it is recomputed whenever a permit or the category changes.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.catalog.models import PermitKind, Product, ProductStatus
from storefront.extensions import db
from storefront.links import external_url
from storefront.mail import send_mail
from storefront.vendors.services import owner_emails

WARN_DAYS = 30


def needs_permits(product: Product) -> bool:
    return bool(product.category and product.category.is_food)


def refresh_permit_status(product: Product) -> None:
    if not needs_permits(product):
        product.permits_complete = True
        product.permits_valid_until = None
        return
    by_kind = {p.kind: p for p in product.permits}
    safety = [by_kind[k] for k in (PermitKind.PIRT, PermitKind.BPOM) if k in by_kind]
    halal_ok = PermitKind.HALAL in by_kind or product.non_halal
    product.permits_complete = bool(safety) and halal_ok
    # Any one valid food-safety permit is enough, so the product is sellable until the last
    # of them expires; a halal certificate has no expiry (PP 42/2024).
    expiries = [p.expires_on for p in safety]
    if not safety or any(e is None for e in expiries):
        product.permits_valid_until = None
    else:
        product.permits_valid_until = max(expiries)
    halal = by_kind.get(PermitKind.HALAL)
    if halal is not None and halal.expires_on is not None and product.permits_valid_until:
        product.permits_valid_until = min(product.permits_valid_until, halal.expires_on)


def permits_expired(product: Product, today: date) -> bool:
    return product.permits_valid_until is not None and product.permits_valid_until < today


def permits_expiring(product: Product, today: date) -> bool:
    until = product.permits_valid_until
    return until is not None and today <= until <= date.fromordinal(today.toordinal() + WARN_DAYS)


def check_permits(today: date) -> tuple[list[Product], list[Product]]:
    """Hide listed products whose permits have expired; warn vendors of those expiring within
    WARN_DAYS (once per expiry date). Returns (hidden, warned); the caller commits."""
    listed = (
        select(Product)
        .options(joinedload(Product.vendor))
        .where(
            Product.status == ProductStatus.APPROVED.value,
            Product.hidden.is_(False),
            Product.permits_valid_until.is_not(None),
        )
    )
    hidden = list(db.session.scalars(listed.where(Product.permits_valid_until < today)))
    for product in hidden:
        product.hidden = True
        product.hidden_reason = "permit_expired"
    horizon = date.fromordinal(today.toordinal() + WARN_DAYS)
    warned = [
        product
        for product in db.session.scalars(
            listed.where(
                Product.permits_valid_until >= today, Product.permits_valid_until <= horizon
            )
        )
        if product.permit_warned_for != product.permits_valid_until
    ]
    for product in warned:
        product.permit_warned_for = product.permits_valid_until
    for product in hidden + warned:
        _email_vendor(product, expired=product in hidden)
    return hidden, warned


def _email_vendor(product: Product, *, expired: bool) -> None:

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = (
            _l("A permit has expired: %(name)s is hidden from the shop", name=product.name)
            if expired
            else _l("A permit expires soon: %(name)s", name=product.name)
        )
        link = external_url("catalog.edit_product", product_id=product.id)
        body = render_template(
            "catalog/email/permit.txt", product=product, expired=expired, link=link
        )
        for email in owner_emails(product.vendor):
            send_mail(email, str(subject), body)
