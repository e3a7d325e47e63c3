"""What is on the shelf and what it is worth: stock at consignment value, sell-through,
inventory ageing, low stock. Quantities come from the stock levels the ledger keeps (DESIGN
invariant 2) and, for a past date, from the movements since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select

from storefront.catalog.models import Product, ProductVariant
from storefront.categories import Category
from storefront.clock import shop_zone, today_wib
from storefront.extensions import db
from storefront.money import BASIS_POINTS, commission_split
from storefront.reports.ranges import DateRange
from storefront.reports.sales import EVERYTHING, SalesFilter, grouped
from storefront.settings.services import get_setting
from storefront.stock import ledger
from storefront.stock.availability import LOW_STOCK
from storefront.stock.models import Batch, StockLevel, StockMovement
from storefront.vendors.models import Vendor


@dataclass(frozen=True)
class ProductRef:
    id: int
    name: str
    code: str
    vendor: str


def _filtered(statement, wanted: SalesFilter):
    if wanted.vendor_id:
        statement = statement.where(Product.vendor_id == wanted.vendor_id)
    if wanted.category_id:
        statement = statement.where(Product.category_id == wanted.category_id)
    return statement


def _rate():
    """The commission rate of each product in SQL: vendor's, else category's, else default
    (catalog/commission.py says the same in Python)."""
    return func.coalesce(
        Vendor.commission_bp, Category.commission_bp, int(get_setting("commission_default_bp"))
    )


@dataclass(frozen=True)
class StockValue:
    product: ProductRef
    on_hand: int
    value: int  # at the prices the batches were taken in at
    vendor_share: int  # what the vendors would be owed if it all sold at those prices
    rate_bp: int
    variant: str = ""  # the size/colour ("40 / Coklat"); empty for a product without options

    @property
    def commission(self) -> int:
        return self.value - self.vendor_share


def stock_value(wanted: SalesFilter = EVERYTHING) -> list[StockValue]:
    """Stock on hand per variant (a product without options: per product) at consignment
    value, largest value first; `product.code` is the variant's code."""
    value = func.sum(StockLevel.on_hand * Batch.unit_price)
    code = func.coalesce(ProductVariant.sku, Product.code)
    statement = (
        select(
            Product.id,
            Product.name,
            code,
            Vendor.name,
            func.sum(StockLevel.on_hand),
            value,
            _rate(),
            ProductVariant.label,
        )
        .join(Batch, Batch.id == StockLevel.batch_id)
        .join(ProductVariant, ProductVariant.id == StockLevel.variant_id)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Vendor, Vendor.id == Product.vendor_id)
        .join(Category, Category.id == Product.category_id)
        .where(StockLevel.on_hand > 0)
        .group_by(
            *(Product.id, Product.name, Product.code, Vendor.name),
            *(Vendor.commission_bp, Category.commission_bp),
            *(ProductVariant.id, ProductVariant.sku, ProductVariant.label),
        )
        .order_by(value.desc(), Product.id, ProductVariant.id)
    )
    result = []
    for pid, name, code, vendor, on_hand, total, rate, label in db.session.execute(
        _filtered(statement, wanted)
    ):
        total = int(total or 0)
        _commission, share = commission_split(total, min(int(rate), BASIS_POINTS))
        result.append(
            StockValue(
                ProductRef(pid, name, code, vendor), int(on_hand), total, share, int(rate), label
            )
        )
    return result


def on_hand_at_end(period: DateRange, wanted: SalesFilter = EVERYTHING) -> dict[int, int]:
    """Units per product on the shelf at the end of the range: today's levels, less what
    moved after the range (nothing to undo when it ends today)."""
    statement = _filtered(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand))
        .join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.on_hand > 0)
        .group_by(StockLevel.product_id),
        wanted,
    )
    result = {pid: int(units) for pid, units in db.session.execute(statement)}
    if period.end < today_wib():
        _start, after = period.utc()
        moved = _filtered(
            select(StockMovement.product_id, func.sum(StockMovement.quantity))
            .join(Product, Product.id == StockMovement.product_id)
            .where(StockMovement.created_at >= after)
            .group_by(StockMovement.product_id),
            wanted,
        )
        for pid, quantity in db.session.execute(moved):
            result[pid] = result.get(pid, 0) - int(quantity or 0)
    return {pid: units for pid, units in result.items() if units > 0}


@dataclass(frozen=True)
class SellThrough:
    product: ProductRef
    sold: int
    on_hand: int

    @property
    def rate_bp(self) -> int:
        """Sold ÷ (sold + still on the shelf at the end), in basis points."""
        offered = self.sold + self.on_hand
        return self.sold * BASIS_POINTS // offered if offered else 0


def sell_through(period: DateRange, wanted: SalesFilter = EVERYTHING) -> list[SellThrough]:
    """Per product: units sold in the range against what was there to sell (sold plus what
    was left at the end). Products that sold or still have stock; best sellers first."""
    sales = grouped(period, "product", wanted)
    left = on_hand_at_end(period, wanted)
    ids = list(dict.fromkeys([*sales.keys, *left]))
    refs = product_refs(ids)
    rows = [
        SellThrough(
            refs[pid], sales.totals[pid].quantity if pid in sales.totals else 0, left.get(pid, 0)
        )
        for pid in ids
        if pid in refs
    ]
    return sorted(rows, key=lambda r: (-r.rate_bp, -r.sold, r.product.name))


def _sold(sales, product_id: int) -> int:
    totals = sales.totals.get(product_id)
    return totals.quantity if totals else 0


def product_refs(ids) -> dict[int, ProductRef]:
    ids = list(ids)
    refs = {}
    for chunk in range(0, len(ids), 500):
        rows = db.session.execute(
            select(Product.id, Product.name, Product.code, Vendor.name)
            .join(Vendor, Vendor.id == Product.vendor_id)
            .where(Product.id.in_(ids[chunk : chunk + 500]))
        )
        refs.update({pid: ProductRef(pid, n, c, v) for pid, n, c, v in rows})
    return refs


AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass
class Ageing:
    product: ProductRef
    units: list[int]  # per AGE_BUCKETS
    value: int
    oldest_days: int

    @property
    def on_hand(self) -> int:
        return sum(self.units)


def inventory_ageing(wanted: SalesFilter = EVERYTHING, today: date | None = None) -> list[Ageing]:
    """Stock on the shelf by days since it was taken in, oldest first."""
    today, zone = today or today_wib(), shop_zone()
    statement = _filtered(
        select(
            Batch.product_id,
            Batch.created_at,
            StockLevel.on_hand,
            Batch.unit_price,
        )
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .join(Product, Product.id == Batch.product_id)
        .where(StockLevel.on_hand > 0),
        wanted,
    )
    per_product: dict[int, Ageing] = {}
    for pid, received, on_hand, price in db.session.execute(statement):
        age = max(0, (today - received.astimezone(zone).date()).days)
        row = per_product.get(pid)
        if row is None:
            row = per_product[pid] = Ageing(None, [0] * len(AGE_BUCKETS), 0, 0)  # type: ignore[arg-type]
        bucket = next(i for i, (low, high) in enumerate(AGE_BUCKETS) if high is None or age <= high)
        row.units[bucket] += on_hand
        row.value += on_hand * price
        row.oldest_days = max(row.oldest_days, age)
    refs = product_refs(per_product)
    rows = []
    for pid, row in per_product.items():
        if pid in refs:
            row.product = refs[pid]
            rows.append(row)
    return sorted(rows, key=lambda r: (-r.oldest_days, r.product.name))


@dataclass(frozen=True)
class LowStock:
    product: ProductRef
    sold: int
    available: int


def low_stock(period: DateRange, limit: int = 10) -> list[LowStock]:
    """Products that sell (sold in the range) with few units left for shoppers, the fastest
    sellers first. Starting from the range's sales keeps it quick at any catalogue size."""
    sales = grouped(period, "product", limit=300)
    return low_stock_of([(pid, sales.totals[pid].quantity) for pid in sales.keys], limit)


def low_stock_of(sold: list[tuple[int, int]], limit: int = 10) -> list[LowStock]:
    """Of (product, units sold) best sellers first, those with LOW_STOCK units or fewer left."""
    available = ledger.available_quantities([pid for pid, _units in sold])
    low = [(pid, units) for pid, units in sold if available.get(pid, 0) <= LOW_STOCK][:limit]
    refs = product_refs(pid for pid, _units in low)
    return [LowStock(refs[pid], units, available.get(pid, 0)) for pid, units in low if pid in refs]


def batches_near_expiry(today: date | None = None) -> tuple[int, int]:
    """(expired with stock, expiring within the warning window) batch counts."""
    today = today or today_wib()
    days = int(get_setting("expiry_warning_days"))
    with_stock = (
        select(func.count())
        .select_from(Batch)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(StockLevel.on_hand > 0, Batch.expires_on.is_not(None))
    )
    expired = db.session.scalar(with_stock.where(Batch.expires_on < today)) or 0
    soon = (
        db.session.scalar(
            with_stock.where(
                and_(Batch.expires_on >= today, Batch.expires_on <= today + timedelta(days=days))
            )
        )
        or 0
    )
    return int(expired), int(soon)
