"""A vendor's insights: how their goods sell, what is on the shelf, who looks at them (counted
without personal data, catalog/interest.py). Every figure is scoped to one vendor."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from storefront.catalog import interest
from storefront.catalog.models import Product, ProductStatus, ProductVariant
from storefront.extensions import db
from storefront.reports import sales, stock
from storefront.reports.ranges import DateRange
from storefront.reports.sales import SalesFilter
from storefront.settlements import services as settlements
from storefront.stock import ledger
from storefront.stock.models import Batch, StockLevel
from storefront.stock.operations import expiry_list

PERIODS = (30, 90, 365)


@dataclass
class VariantInsight:
    label: str
    code: str
    sold: int = 0
    gross: int = 0
    available: int = 0


@dataclass
class ProductInsight:
    product: stock.ProductRef
    sold: int = 0
    gross: int = 0
    views: int = 0
    add_to_carts: int = 0
    available: int = 0
    # A product with sizes or colours: each one's sales and stock (views are per product).
    variants: list[VariantInsight] = field(default_factory=list)


@dataclass
class Insights:
    period: DateRange
    totals: sales.Totals
    per_day: dict
    products: list[ProductInsight] = field(default_factory=list)
    sell_through: list = field(default_factory=list)
    on_shelf: int = 0
    sold_out: int = 0
    listed: int = 0
    expired: int = 0
    expiring: int = 0
    expiry_days: int = 30
    statements: list = field(default_factory=list)
    # What each shared link (source and campaign) brought: visits, add-to-carts, orders.
    links: list[interest.LinkFigures] = field(default_factory=list)


def build(vendor_id: int, period: DateRange) -> Insights:
    wanted = SalesFilter(vendor_id=vendor_id)
    per_product = sales.grouped(period, "product", wanted)
    result = Insights(period, per_product.total(), sales.per_day_and_channel(period, wanted))

    listed = list(
        db.session.scalars(
            select(Product.id).where(
                Product.vendor_id == vendor_id, Product.status == ProductStatus.APPROVED.value
            )
        )
    )
    ids = list(dict.fromkeys([*per_product.keys, *listed]))
    refs = stock.product_refs(ids)
    seen = interest.totals(ids, period.start, period.end)
    available = ledger.available_quantities(ids)
    for pid in ids:
        if pid not in refs:
            continue
        row = ProductInsight(refs[pid], available=available.get(pid, 0))
        if pid in per_product.totals:
            row.sold = per_product.totals[pid].quantity
            row.gross = per_product.totals[pid].gross
        row.views, row.add_to_carts = seen.get(pid, (0, 0))
        result.products.append(row)
    _variants(result.products, period, wanted)
    result.products.sort(key=lambda r: (-r.gross, -r.views, r.product.name))
    result.sell_through = stock.sell_through(period, wanted)[:10]

    result.listed = len(listed)
    result.sold_out = sum(1 for pid in listed if available.get(pid, 0) <= 0)
    result.on_shelf = int(
        db.session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0))
            .join(Batch, Batch.id == StockLevel.batch_id)
            .where(Batch.vendor_id == vendor_id)
        )
        or 0
    )
    expiry = expiry_list(vendor_id)
    result.expired, result.expiring = len(expiry.expired), len(expiry.expiring)
    result.expiry_days = expiry.days
    result.statements = settlements.vendor_statements(vendor_id)[:3]
    result.links = interest.link_figures(vendor_id, period.start, period.end)[0]
    return result


def _variants(rows: list[ProductInsight], period: DateRange, wanted: SalesFilter) -> None:
    """Each size/colour of the products that have them: the ones on offer, and any that sold
    in the period (retired since or not), in the grid's order."""
    by_product = {row.product.id: row for row in rows}
    sold = sales.grouped(period, "variant", wanted)
    available = ledger.variant_quantities(by_product)
    variants = db.session.scalars(
        select(ProductVariant)
        .where(
            ProductVariant.product_id.in_(list(by_product)),
            ProductVariant.label != "",
            ProductVariant.active | ProductVariant.id.in_(list(sold.totals)),
        )
        .order_by(ProductVariant.product_id, ProductVariant.position, ProductVariant.id)
    )
    for variant in variants:
        totals = sold.totals.get(variant.id)
        by_product[variant.product_id].variants.append(
            VariantInsight(
                variant.label,
                variant.code,
                totals.quantity if totals else 0,
                totals.gross if totals else 0,
                available.get(variant.id, 0),
            )
        )
