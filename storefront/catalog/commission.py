"""Which commission rate applies to a sale: the most specific one wins.

A vendor's own rate (negotiated with that producer) beats a category's rate, which beats the
outlet's default (setting `commission_default_bp`). The rate found here is snapshotted on every
sale line (DESIGN invariant 1), so changing a rate later never rewrites past sales.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.categories import Category
from storefront.extensions import db
from storefront.money import BASIS_POINTS, commission_split, percent_off
from storefront.vendors.services import default_commission_bp


def commission_rate_bp(product) -> int:
    """The rate in basis points for selling `product` now (2000 = 20 %)."""
    if product.vendor.commission_bp is not None:
        return product.vendor.commission_bp
    if product.category.commission_bp is not None:
        return product.category.commission_bp
    return default_commission_bp()


@dataclass(frozen=True)
class RateInEffect:
    """A rate a vendor's sales get today and where it comes from: "vendor" (its own),
    "category" (`category` names it) or "default" (the outlet's, for its other products)."""

    rate_bp: int
    source: str
    category: str = ""


def rates_in_effect(vendors) -> dict[int, list[RateInEffect]]:
    """For the rate screen: what each vendor's products are actually sold at, by the same
    rule as `commission_rate_bp`. One query for the categories the vendors' products are in."""
    default = default_commission_bp()
    categories: dict[int, set[tuple[str, int | None]]] = defaultdict(set)
    ids = [v.id for v in vendors if v.commission_bp is None]
    if ids:
        for vendor_id, name, rate in db.session.execute(
            select(Product.vendor_id, Category.name, Category.commission_bp)
            .join(Category, Category.id == Product.category_id)
            .where(Product.vendor_id.in_(ids))
            .distinct()
        ):
            categories[vendor_id].add((name, rate))
    found: dict[int, list[RateInEffect]] = {}
    for vendor in vendors:
        if vendor.commission_bp is not None:
            found[vendor.id] = [RateInEffect(vendor.commission_bp, "vendor")]
            continue
        own = sorted((name, rate) for name, rate in categories[vendor.id] if rate is not None)
        rates = [RateInEffect(rate, "category", name) for name, rate in own]
        if not own or len(own) < len(categories[vendor.id]):
            rates.append(RateInEffect(default, "default"))
        found[vendor.id] = rates
    return found


def sale_snapshot(
    product,
    quantity: int,
    *,
    markdown_bp: int = 0,
    vendor_part_bp: int = BASIS_POINTS,
    variant=None,
) -> dict:
    """The columns every sale line (online or counter) freezes at the moment of sale: what was
    sold, at today's price (`Product.current_price`, a scheduled change counting from its date),
    with the commission rate that applies now and the split it gives.

    A near-expiry markdown (`markdown_bp` off, the vendor bearing `vendor_part_bp` of the
    discount) lowers the price charged. The vendor's share is computed on the price less the
    vendor's part of the discount: on the reduced price when the vendor bears it all, on the
    list price (paid as if undiscounted) when the outlet does, whose commission absorbs the
    discount — below zero if the markdown is deeper than the commission.

    `variant` is the size/colour sold (its price difference counts); a product without
    options may leave it out."""
    if variant is None:
        variant = product.default_variant
        if variant is None:
            raise ValueError(f"product {product.id} has options: the sale must name a variant")
    list_price = variant.current_price
    unit_price = percent_off(list_price, markdown_bp) if markdown_bp else list_price
    gross = unit_price * quantity
    discount = (list_price - unit_price) * quantity
    vendor_discount = (discount * vendor_part_bp + BASIS_POINTS // 2) // BASIS_POINTS
    rate = commission_rate_bp(product)
    _commission, share = commission_split(gross + discount - vendor_discount, rate)
    return {
        "product_id": product.id,
        "variant_id": variant.id,
        "variant_label": variant.label,
        "vendor_id": product.vendor_id,
        "product_name": product.name,
        "product_code": variant.code,
        "unit_price": unit_price,
        "quantity": quantity,
        "gross": gross,
        "commission_bp": rate,
        "commission": gross - share,
        "vendor_share": share,
        "discount": discount,
        "vendor_discount": vendor_discount,
    }


def refund_commission(line, refunded_before: int, quantity: int) -> int:
    """The commission a sale line gives back when `quantity` more of its units are refunded
    (`refunded_before` were already). Counted on the units refunded so far, so the line never
    gives back more than it took: three one-unit refunds of a 3-unit line give back exactly
    its commission, where rounding each unit's share half-up would return Rp1 too much."""

    def given_back(units: int) -> int:
        if units >= line.quantity:
            return line.commission
        if line.discount:
            # A marked-down line's commission is not its rate on the price charged (the outlet
            # may have absorbed the discount): give back the line's own, in proportion.
            return line.commission * units // line.quantity
        commission, _share = commission_split(line.unit_price * units, line.commission_bp)
        return min(commission, line.commission)

    return given_back(refunded_before + quantity) - given_back(refunded_before)
