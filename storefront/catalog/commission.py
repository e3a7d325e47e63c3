"""Which commission rate applies to a sale: the most specific one wins.

A vendor's own rate (negotiated with that producer) beats a category's rate, which beats the
outlet's default (setting `commission_default_bp`). The rate found here is snapshotted on every
sale line (DESIGN invariant 1), so changing a rate later never rewrites past sales.
"""

from __future__ import annotations

from storefront.money import BASIS_POINTS, commission_split, percent_off
from storefront.vendors.services import default_commission_bp


def commission_rate_bp(product) -> int:
    """The rate in basis points for selling `product` now (2000 = 20 %)."""
    if product.vendor.commission_bp is not None:
        return product.vendor.commission_bp
    if product.category.commission_bp is not None:
        return product.category.commission_bp
    return default_commission_bp()


def sale_snapshot(
    product, quantity: int, *, markdown_bp: int = 0, vendor_part_bp: int = BASIS_POINTS
) -> dict:
    """The columns every sale line (online or counter) freezes at the moment of sale: what was
    sold, at today's price (`Product.current_price`, a scheduled change counting from its date),
    with the commission rate that applies now and the split it gives.

    A near-expiry markdown (`markdown_bp` off, the vendor bearing `vendor_part_bp` of the
    discount) lowers the price charged. The vendor's share is computed on the price less the
    vendor's part of the discount: on the reduced price when the vendor bears it all, on the
    list price (paid as if undiscounted) when the outlet does, whose commission absorbs the
    discount — below zero if the markdown is deeper than the commission."""
    list_price = product.current_price
    unit_price = percent_off(list_price, markdown_bp) if markdown_bp else list_price
    gross = unit_price * quantity
    discount = (list_price - unit_price) * quantity
    vendor_discount = (discount * vendor_part_bp + BASIS_POINTS // 2) // BASIS_POINTS
    rate = commission_rate_bp(product)
    _commission, share = commission_split(gross + discount - vendor_discount, rate)
    return {
        "product_id": product.id,
        "vendor_id": product.vendor_id,
        "product_name": product.name,
        "product_code": product.code,
        "unit_price": unit_price,
        "quantity": quantity,
        "gross": gross,
        "commission_bp": rate,
        "commission": gross - share,
        "vendor_share": share,
        "discount": discount,
        "vendor_discount": vendor_discount,
    }
