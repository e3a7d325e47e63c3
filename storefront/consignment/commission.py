"""Which commission rate applies to a sale: the most specific one wins.

A vendor's own rate (negotiated with that producer) beats a category's rate, which beats the
outlet's default (setting `commission_default_bp`). The rate found here is snapshotted on every
sale line (DESIGN invariant 1), so changing a rate later never rewrites past sales.
"""

from __future__ import annotations

from storefront.money import commission_split
from storefront.settings.services import get_setting


def commission_rate_bp(product) -> int:
    """The rate in basis points for selling `product` now (2000 = 20 %)."""
    if product.vendor.commission_bp is not None:
        return product.vendor.commission_bp
    if product.category.commission_bp is not None:
        return product.category.commission_bp
    return int(get_setting("commission_default_bp"))


def sale_split(product, unit_price: int, quantity: int) -> tuple[int, int, int, int]:
    """(gross, rate, commission, vendor share) for selling `quantity` of `product`."""
    gross = unit_price * quantity
    rate = commission_rate_bp(product)
    commission, share = commission_split(gross, rate)
    return gross, rate, commission, share
