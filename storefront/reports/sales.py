"""What sold, from the sale-line snapshots (DESIGN invariant 1): online lines count on the day
their order was paid, counter lines on the day they were rung up (voided sales never), as the
settlements count them. Every query is bounded by time on an indexed column
(`order_lines.sold_at`, `counter_sale_lines.sold_at`), so its cost follows the sales of the
range, not the size of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from storefront.catalog.models import Product, ProductVariant
from storefront.categories import Category
from storefront.clock import shop_zone
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, Refund, RefundLine
from storefront.pos.models import CounterPayment, CounterSale, CounterSaleLine, SaleStatus
from storefront.reports.ranges import DateRange
from storefront.vendors.models import Vendor

CHANNELS = ("online", "counter")


@dataclass(frozen=True)
class SalesFilter:
    vendor_id: int | None = None
    category_id: int | None = None
    channel: str | None = None  # online, counter or None for both


EVERYTHING = SalesFilter()


def wib_day(column) -> ColumnElement:
    """The calendar day in Tangerang of a stored UTC moment, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(shop_zone().key, column))
    hours = int(datetime.now(shop_zone()).utcoffset().total_seconds() // 3600)
    return func.date(column, f"{hours:+d} hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _not_voided():
    """Counter lines of sales that were not voided: the few voided sales come from their
    status index (as the settlements read them), cheaper than joining every sale."""
    voided = select(CounterSale.id).where(CounterSale.status == SaleStatus.VOIDED.value)
    return CounterSaleLine.sale_id.not_in(voided)


def _branches(period: DateRange, wanted: SalesFilter):
    """(channel, line table, its time column, extra conditions) for each channel asked for."""
    start, end = period.utc()
    for channel, table, at in (
        ("online", OrderLine, OrderLine.sold_at),
        ("counter", CounterSaleLine, CounterSaleLine.sold_at),
    ):
        if wanted.channel not in (None, channel):
            continue
        conditions = [at >= start, at < end]
        if table is CounterSaleLine:
            conditions.append(_not_voided())
        if wanted.vendor_id:
            conditions.append(table.vendor_id == wanted.vendor_id)
        if wanted.category_id:
            category = select(Product.id).where(Product.category_id == wanted.category_id)
            conditions.append(table.product_id.in_(category))
        yield channel, table, at, conditions


def sale_lines(period: DateRange, wanted: SalesFilter = EVERYTHING, *, category: bool = False):
    """Every sale line of the range as one subquery: channel, at, product_id, variant_id,
    vendor_id, quantity, gross, commission, vendor_share, and category_id when `category` is
    asked for (the product is joined only then: a union SQLite cannot flatten is joined row by
    row)."""
    parts = []
    for channel, table, at, conditions in _branches(period, wanted):
        columns = [
            literal(channel).label("channel"),
            at.label("at"),
            table.product_id,
            table.variant_id,
            table.vendor_id,
            table.quantity,
            table.gross,
            table.commission,
            table.vendor_share,
        ]
        if category:
            columns.append(Product.category_id)
        branch = select(*columns).where(*conditions)
        if category:
            branch = branch.join(Product, Product.id == table.product_id)
        parts.append(branch)
    return union_all(*parts).subquery("sales")


@dataclass
class Totals:
    quantity: int = 0
    gross: int = 0
    commission: int = 0
    vendor_share: int = 0

    def add(self, quantity, gross, commission, vendor_share) -> None:
        self.quantity += int(quantity or 0)
        self.gross += int(gross or 0)
        self.commission += int(commission or 0)
        self.vendor_share += int(vendor_share or 0)


def _sums(sales):
    return (
        func.sum(sales.c.quantity),
        func.sum(sales.c.gross),
        func.sum(sales.c.commission),
        func.sum(sales.c.vendor_share),
    )


@dataclass
class Grouped:
    """Totals per key, in the order of the query (largest gross first unless by day)."""

    keys: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def total(self) -> Totals:
        result = Totals()
        for t in self.totals.values():
            result.add(t.quantity, t.gross, t.commission, t.vendor_share)
        return result


GROUPS = ("channel", "day", "category", "vendor", "product", "variant")


def grouped(period: DateRange, by: str, wanted: SalesFilter = EVERYTHING, limit=None) -> Grouped:
    """Sales of the range per channel, day, category, vendor, product (its sizes and colours
    rolled up) or variant (each size/colour apart; a product without options has one)."""
    sales = sale_lines(period, wanted, category=by == "category")
    key = {
        "channel": lambda: sales.c.channel,
        "day": lambda: wib_day(sales.c.at),
        "category": lambda: sales.c.category_id,
        "vendor": lambda: sales.c.vendor_id,
        "product": lambda: sales.c.product_id,
        "variant": lambda: sales.c.variant_id,
    }[by]()
    statement = select(key.label("key"), *_sums(sales)).group_by(key)
    if by == "day":
        statement = statement.order_by(key)
    else:
        statement = statement.order_by(func.sum(sales.c.gross).desc(), key)
    if limit:
        statement = statement.limit(limit)
    result = Grouped()
    for row_key, *sums in db.session.execute(statement):
        row_key = _as_date(row_key) if by == "day" else row_key
        result.keys.append(row_key)
        totals = result.totals.setdefault(row_key, Totals())
        totals.add(*sums)
    result.labels = labels(by, result.keys)
    return result


def labels(by: str, keys) -> dict:
    """What a person reads for each key: a category's name, a vendor's, a product's, a
    variant's (product name, variant label, the variant's code, vendor)."""
    ids = [k for k in keys if k is not None]
    if by == "category":
        return {
            c.id: c.display_name
            for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))
        }
    if by == "vendor":
        return dict(
            db.session.execute(select(Vendor.id, Vendor.name).where(Vendor.id.in_(ids))).all()
        )
    if by == "product":
        rows = db.session.execute(
            select(Product.id, Product.name, Product.code, Vendor.name)
            .join(Vendor, Vendor.id == Product.vendor_id)
            .where(Product.id.in_(ids))
        )
        return {pid: (name, code, vendor) for pid, name, code, vendor in rows}
    if by == "variant":
        return variant_labels(ids)
    return {}


def variant_labels(ids) -> dict[int, tuple[str, str, str, str]]:
    """{variant id: (product name, variant label, the variant's code, vendor name)}."""
    ids = list(ids)
    found = {}
    for first in range(0, len(ids), 500):
        rows = db.session.execute(
            select(
                ProductVariant.id,
                Product.name,
                ProductVariant.label,
                func.coalesce(ProductVariant.sku, Product.code),
                Vendor.name,
            )
            .join(Product, Product.id == ProductVariant.product_id)
            .join(Vendor, Vendor.id == Product.vendor_id)
            .where(ProductVariant.id.in_(ids[first : first + 500]))
        )
        found.update({vid: (name, label, code, vendor) for vid, name, label, code, vendor in rows})
    return found


def per_day_and_channel(period: DateRange, wanted: SalesFilter = EVERYTHING):
    """{day: {channel: gross}} for every day of the range (days without sales at 0). One
    grouped query per channel, each on its time index."""
    result = {d: dict.fromkeys(CHANNELS, 0) for d in period.each_day()}
    for channel, table, at, conditions in _branches(period, wanted):
        day = wib_day(at)
        rows = db.session.execute(
            select(day, func.sum(table.gross)).where(*conditions).group_by(day)
        )
        for row_day, gross in rows:
            result.setdefault(_as_date(row_day), dict.fromkeys(CHANNELS, 0))[channel] = int(
                gross or 0
            )
    return result


def product_windows(ranges: dict[str, DateRange], wanted: SalesFilter = EVERYTHING):
    """Quantity and gross per product for nested windows ending on the same day (today, 7
    days, 30 days), in one grouped pass per channel over the widest. Returns
    ({product_id: [vendor_id, quantity, gross, quantity, gross, ...]} with a quantity and a
    gross per window in the order of `ranges`, {channel: {window: Totals}}). Plain lists, not
    objects: a month of a busy outlet is thousands of products."""
    widest = max(ranges.values(), key=lambda r: r.days)
    names = list(ranges)
    width = 2 * len(names)
    products: dict[int, list[int]] = {}
    channels = {c: {name: Totals() for name in ranges} for c in CHANNELS}
    for channel, table, at, conditions in _branches(widest, wanted):
        sums = []
        for window in ranges.values():
            inside = at >= window.utc()[0]
            sums += [
                func.sum(case((inside, table.quantity), else_=0)),
                func.sum(case((inside, table.gross), else_=0)),
            ]
        rows = db.session.execute(
            select(table.product_id, table.vendor_id, *sums)
            .where(*conditions)
            .group_by(table.product_id, table.vendor_id)
        ).all()
        channel_sums = [0] * width
        for product_id, vendor_id, *values in rows:
            entry = products.get(product_id)
            if entry is None:
                products[product_id] = [vendor_id, *values]
            else:
                for index in range(width):
                    entry[index + 1] += values[index]
            for index in range(width):
                channel_sums[index] += values[index]
        for index, name in enumerate(names):
            channels[channel][name].add(channel_sums[2 * index], channel_sums[2 * index + 1], 0, 0)
    return products, channels


def categories_of(product_ids) -> dict[int, int]:
    """Category of each product, by primary key in chunks (cheaper than joining the
    products table row by row in a grouped scan)."""
    ids = list(product_ids)
    found: dict[int, int] = {}
    for first in range(0, len(ids), 900):
        chunk = ids[first : first + 900]
        found.update(
            db.session.execute(
                select(Product.id, Product.category_id).where(Product.id.in_(chunk))
            ).all()
        )
    return found


# --- refunds, voids, commission, takings -------------------------------------------------------


@dataclass(frozen=True)
class MoneyBack:
    when: datetime
    kind: str  # refund or void
    number: str
    method: str
    amount: int
    reason: str
    by: str


def refunds_and_voids(period: DateRange, vendor_id: int | None = None) -> list[MoneyBack]:
    start, end = period.utc()
    refunds = select(Refund).where(Refund.created_at >= start, Refund.created_at < end)
    if vendor_id:
        refunds = refunds.where(
            Refund.id.in_(
                select(RefundLine.refund_id)
                .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
                .where(OrderLine.vendor_id == vendor_id)
            )
        )
    result = [
        MoneyBack(
            r.created_at,
            "refund",
            r.order.number,
            r.method,
            r.amount,
            r.reason,
            r.actor.name if r.actor else "",
        )
        for r in db.session.scalars(refunds.order_by(Refund.created_at))
    ]
    voids = select(CounterSale).where(
        CounterSale.status == SaleStatus.VOIDED.value,
        CounterSale.voided_at >= start,
        CounterSale.voided_at < end,
    )
    if vendor_id:
        voids = voids.where(
            CounterSale.id.in_(
                select(CounterSaleLine.sale_id).where(CounterSaleLine.vendor_id == vendor_id)
            )
        )
    for sale in db.session.scalars(voids.order_by(CounterSale.voided_at)):
        methods = ", ".join(sorted({p.method for p in sale.payments}))
        result.append(
            MoneyBack(
                sale.voided_at,
                "void",
                sale.number,
                methods,
                sale.total,
                sale.void_reason,
                sale.void_approved_by.name if sale.void_approved_by else "",
            )
        )
    return sorted(result, key=lambda m: m.when)


@dataclass
class CommissionMonth:
    month: date
    gross: int = 0
    commission: int = 0
    refunded: int = 0
    commission_returned: int = 0

    @property
    def net(self) -> int:
        return self.commission - self.commission_returned


def commission_by_month(
    period: DateRange, wanted: SalesFilter = EVERYTHING
) -> list[CommissionMonth]:
    """Commission earned per calendar month: on sales, less what refunds gave back (the same
    half-up split as the sale, mirrored; docs/decisions.md, settlements)."""
    months: dict[date, CommissionMonth] = {}

    def month_of(day: date) -> CommissionMonth:
        first = day.replace(day=1)
        return months.setdefault(first, CommissionMonth(first))

    sales = sale_lines(period, wanted)
    day = wib_day(sales.c.at)
    for row_day, gross, commission in db.session.execute(
        select(day, func.sum(sales.c.gross), func.sum(sales.c.commission)).group_by(day)
    ):
        month = month_of(_as_date(row_day))
        month.gross += int(gross or 0)
        month.commission += int(commission or 0)
    start, end = period.utc()
    refund_lines = (
        select(Refund.confirmed_at, RefundLine.amount, RefundLine.commission)
        .join(RefundLine, RefundLine.refund_id == Refund.id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(Refund.confirmed_at >= start, Refund.confirmed_at < end)
    )
    if wanted.vendor_id:
        refund_lines = refund_lines.where(OrderLine.vendor_id == wanted.vendor_id)
    if wanted.category_id:
        refund_lines = refund_lines.join(Product, Product.id == OrderLine.product_id).where(
            Product.category_id == wanted.category_id
        )
    if wanted.channel != "counter":
        zone = shop_zone()
        for confirmed_at, amount, commission in db.session.execute(refund_lines):
            month = month_of(confirmed_at.astimezone(zone).date())
            month.refunded += amount
            month.commission_returned += commission
    return [months[key] for key in sorted(months)]


TAKING_METHODS = ("cash", "qris", "debit", "card")


@dataclass
class Takings:
    day: date
    counter: dict = field(default_factory=lambda: dict.fromkeys(TAKING_METHODS, 0))
    online: dict = field(default_factory=lambda: dict.fromkeys(TAKING_METHODS, 0))
    cash_refunded: int = 0

    def method(self, name: str) -> int:
        return self.counter[name] + self.online[name]

    @property
    def total(self) -> int:
        return sum(self.method(m) for m in TAKING_METHODS)

    @property
    def cash_to_deposit(self) -> int:
        """The cash that should go to the bank: taken in cash, less cash given back."""
        return self.method("cash") - self.cash_refunded


def daily_takings(period: DateRange) -> list[Takings]:
    """Money taken per day and payment method (the setoran): counter sales that were not
    voided, online orders when paid (at the outlet in cash, QRIS or debit; by card through
    Stripe), and cash refunds handed back."""
    start, end = period.utc()
    days = {d: Takings(d) for d in period.each_day()}
    counter_day = wib_day(CounterSale.created_at)
    for row_day, method, amount in db.session.execute(
        select(counter_day, CounterPayment.method, func.sum(CounterPayment.amount))
        .join(CounterSale, CounterSale.id == CounterPayment.sale_id)
        .where(
            CounterSale.created_at >= start,
            CounterSale.created_at < end,
            CounterSale.status == SaleStatus.COMPLETED.value,
        )
        .group_by(counter_day, CounterPayment.method)
    ):
        days[_as_date(row_day)].counter[method] += int(amount or 0)
    order_day = wib_day(Order.paid_at)
    for row_day, paid_with, amount in db.session.execute(
        select(order_day, Order.paid_with, func.sum(Order.paid_amount))
        .where(and_(Order.paid_at >= start, Order.paid_at < end))
        .group_by(order_day, Order.paid_with)
    ):
        key = paid_with if paid_with in TAKING_METHODS else "card"
        days[_as_date(row_day)].online[key] += int(amount or 0)
    refund_day = wib_day(Refund.created_at)
    for row_day, amount in db.session.execute(
        select(refund_day, func.sum(Refund.amount))
        .where(Refund.created_at >= start, Refund.created_at < end, Refund.method == "cash")
        .group_by(refund_day)
    ):
        days[_as_date(row_day)].cash_refunded += int(amount or 0)
    return [days[d] for d in sorted(days)]
