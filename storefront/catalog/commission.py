"""Which commission rate applies to a sale: the most specific one wins.

A vendor's own rate (negotiated with that producer) beats a category's rate, which beats the
outlet's default (setting `commission_default_bp`). The rate found here is snapshotted on every
sale line (DESIGN invariant 1), so changing a rate later never rewrites past sales.
"""

from __future__ import annotations

from storefront.money import commission_split
from storefront.vendors.services import default_commission_bp


def commission_rate_bp(product) -> int:
    """The rate in basis points for selling `product` now (2000 = 20 %)."""
    if product.vendor.commission_bp is not None:
        return product.vendor.commission_bp
    if product.category.commission_bp is not None:
        return product.category.commission_bp
    return default_commission_bp()


def sale_snapshot(product, quantity: int) -> dict:
    """The columns every sale line (online or counter) freezes at the moment of sale: what was
    sold, at today's price, with the commission rate that applies now and the split it gives."""
    gross = product.price * quantity
    rate = commission_rate_bp(product)
    commission, share = commission_split(gross, rate)
    return {
        "product_id": product.id,
        "vendor_id": product.vendor_id,
        "product_name": product.name,
        "product_code": product.code,
        "unit_price": product.price,
        "quantity": quantity,
        "gross": gross,
        "commission_bp": rate,
        "commission": commission,
        "vendor_share": share,
    }
