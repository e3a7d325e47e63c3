"""Which goods may be sold (DESIGN invariant 8, and the halal rule since 17 October 2026).

A food or drink product needs a food-safety permit (P-IRT or BPOM MD/ML) that has not expired,
and either a halal certificate or an explicit non-halal declaration. Crafts, batik and footwear
need none. The result is kept on the product (`permits_complete`, `permits_valid_until`) so the
shop can filter on it in SQL; it is recomputed whenever a permit or the category changes.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from storefront.catalog.models import PermitKind, Product

WARN_DAYS = 30


def today_wib() -> date:
    """Permits expire by the calendar in Tangerang, not in UTC."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    return datetime.now(zone).date()


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
