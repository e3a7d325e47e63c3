"""Each report as a table of typed cells, the one shape the screen, the CSV and the XLSX file
are all written from: a column says whether it holds text, a count, rupiah, a percentage or
a date, so a spreadsheet gets numbers it can sum, never "Rp25.000" as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from storefront.reports import sales, stock
from storefront.reports.labels import CHANNEL_LABELS, METHOD_LABELS
from storefront.reports.ranges import DateRange
from storefront.reports.sales import SalesFilter


@dataclass(frozen=True)
class Column:
    label: object
    kind: str = "text"  # text, count, rupiah, percent, date, datetime


@dataclass
class Table:
    title: object
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)
    totals: tuple | None = None
    note: object = ""


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: object
    description: object
    build: Callable[[DateRange, SalesFilter, str], Table]
    uses_range: bool = True
    uses_channel: bool = False
    groups: tuple[str, ...] = ()


def percent(basis_points: int) -> Decimal:
    """A percentage as the fraction spreadsheets format with `%` (2500 bp -> 0.25)."""
    return Decimal(basis_points) / Decimal(10_000)


SALES_GROUPS = {
    "vendor": _l("Vendor"),
    "product": _l("Product"),
    "variant": _l("Variant"),
    "category": _l("Category"),
    "channel": _l("Channel"),
    "day": _l("Day"),
}


def _sales(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    by = by if by in SALES_GROUPS else "vendor"
    found = sales.grouped(period, by, wanted)
    money = [
        Column(_l("Items sold"), "count"),
        Column(_l("Gross sales"), "rupiah"),
        Column(_l("Commission"), "rupiah"),
        Column(_l("Vendor share"), "rupiah"),
    ]
    if by == "product":
        columns = [Column(_l("Product")), Column(_l("Code")), Column(_l("Vendor")), *money]
    elif by == "variant":
        columns = [
            Column(_l("Product")),
            Column(_l("Variant")),
            Column(_l("Code")),
            Column(_l("Vendor")),
            *money,
        ]
    elif by == "day":
        columns = [Column(_l("Day"), "date"), *money]
    else:
        columns = [Column(SALES_GROUPS[by]), *money]
    rows = []
    for key in found.keys:
        t = found.totals[key]
        figures = (t.quantity, t.gross, t.commission, t.vendor_share)
        if by == "product":
            name, code, vendor = found.labels.get(key, ("—", "", ""))
            rows.append((name, code, vendor, *figures))
        elif by == "variant":
            name, label, code, vendor = found.labels.get(key, ("—", "", "", ""))
            rows.append((name, label, code, vendor, *figures))
        elif by == "channel":
            rows.append((str(CHANNEL_LABELS.get(key, key)), *figures))
        elif by == "day":
            rows.append((key, *figures))
        else:
            rows.append((found.labels.get(key, "—"), *figures))
    total = found.total()
    blanks = ("",) * (len(columns) - 5)
    return Table(
        _l("Sales by %(group)s", group=str(SALES_GROUPS[by]).lower()),
        columns,
        rows,
        (
            str(_l("Total")),
            *blanks,
            total.quantity,
            total.gross,
            total.commission,
            total.vendor_share,
        ),
    )


def _stock_value(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = stock.stock_value(wanted)
    return Table(
        _l("Stock on hand at consignment value"),
        [
            Column(_l("Product")),
            Column(_l("Variant")),
            Column(_l("Code")),
            Column(_l("Vendor")),
            Column(_l("On hand"), "count"),
            Column(_l("Value"), "rupiah"),
            Column(_l("Commission rate"), "percent"),
            Column(_l("Vendor share"), "rupiah"),
        ],
        [
            (
                r.product.name,
                r.variant,
                r.product.code,
                r.product.vendor,
                r.on_hand,
                r.value,
                percent(r.rate_bp),
                r.vendor_share,
            )
            for r in rows
        ],
        (
            str(_l("Total")),
            "",
            "",
            "",
            sum(r.on_hand for r in rows),
            sum(r.value for r in rows),
            "",
            sum(r.vendor_share for r in rows),
        ),
        _l(
            "Today's stock per size or colour, at the prices the goods were taken in at. The "
            "vendor share is what the vendors would be owed if it all sold at those prices."
        ),
    )


def _sell_through(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = stock.sell_through(period, wanted)
    return Table(
        _l("Sell-through per product"),
        [
            Column(_l("Product")),
            Column(_l("Code")),
            Column(_l("Vendor")),
            Column(_l("Sold"), "count"),
            Column(_l("Left at the end"), "count"),
            Column(_l("Sell-through"), "percent"),
        ],
        [
            (
                r.product.name,
                r.product.code,
                r.product.vendor,
                r.sold,
                r.on_hand,
                percent(r.rate_bp),
            )
            for r in rows
        ],
        note=_l("Sell-through: units sold ÷ (units sold + units left on the shelf at the end)."),
    )


def _ageing(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = stock.inventory_ageing(wanted)
    bucket_labels = [
        _l("0–30 days"),
        _l("31–60 days"),
        _l("61–90 days"),
        _l("over 90 days"),
    ]
    return Table(
        _l("Inventory ageing"),
        [
            Column(_l("Product")),
            Column(_l("Code")),
            Column(_l("Vendor")),
            *(Column(label, "count") for label in bucket_labels),
            Column(_l("Oldest (days)"), "count"),
            Column(_l("Value"), "rupiah"),
        ],
        [
            (r.product.name, r.product.code, r.product.vendor, *r.units, r.oldest_days, r.value)
            for r in rows
        ],
        note=_l("Units on the shelf today by days since they were taken in."),
    )


KINDS_OF_MONEY_BACK = {"refund": _l("Refund"), "void": _l("Void")}


def _refunds(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = sales.refunds_and_voids(period, wanted.vendor_id)
    return Table(
        _l("Refunds and voids"),
        [
            Column(_l("When"), "datetime"),
            Column(_l("Kind")),
            Column(_l("Number")),
            Column(_l("Paid back by")),
            Column(_l("Amount"), "rupiah"),
            Column(_l("Reason")),
            Column(_l("By")),
        ],
        [
            (
                r.when,
                str(KINDS_OF_MONEY_BACK[r.kind]),
                r.number,
                ", ".join(str(METHOD_LABELS.get(m.strip(), m)) for m in r.method.split(",")),
                r.amount,
                r.reason,
                r.by,
            )
            for r in rows
        ],
        (str(_l("Total")), "", "", "", sum(r.amount for r in rows), "", ""),
    )


def _commission(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = sales.commission_by_month(period, wanted)
    return Table(
        _l("Commission earned per month"),
        [
            Column(_l("Month"), "month"),
            Column(_l("Gross sales"), "rupiah"),
            Column(_l("Commission on sales"), "rupiah"),
            Column(_l("Refunded"), "rupiah"),
            Column(_l("Commission given back"), "rupiah"),
            Column(_l("Commission earned"), "rupiah"),
        ],
        [(r.month, r.gross, r.commission, r.refunded, r.commission_returned, r.net) for r in rows],
        (
            str(_l("Total")),
            sum(r.gross for r in rows),
            sum(r.commission for r in rows),
            sum(r.refunded for r in rows),
            sum(r.commission_returned for r in rows),
            sum(r.net for r in rows),
        ),
    )


def _takings(period: DateRange, wanted: SalesFilter, by: str) -> Table:
    rows = sales.daily_takings(period)
    methods = sales.TAKING_METHODS
    return Table(
        _l("Daily takings per payment method (setoran)"),
        [
            Column(_l("Day"), "date"),
            *(Column(METHOD_LABELS[m], "rupiah") for m in methods),
            Column(_l("Cash refunded"), "rupiah"),
            Column(_l("Cash to deposit"), "rupiah"),
            Column(_l("Total taken"), "rupiah"),
        ],
        [
            (r.day, *(r.method(m) for m in methods), r.cash_refunded, r.cash_to_deposit, r.total)
            for r in rows
        ],
        (
            str(_l("Total")),
            *(sum(r.method(m) for r in rows) for m in methods),
            sum(r.cash_refunded for r in rows),
            sum(r.cash_to_deposit for r in rows),
            sum(r.total for r in rows),
        ),
        _l(
            "Counter sales that were not voided, on the day they were rung up; online orders "
            "on the day they were paid. Cash to deposit is the cash taken less cash refunds."
        ),
    )


KINDS: dict[str, ReportKind] = {
    kind.key: kind
    for kind in (
        ReportKind(
            "sales",
            _l("Sales"),
            _l("By vendor, product, category, channel or day."),
            _sales,
            uses_channel=True,
            groups=tuple(SALES_GROUPS),
        ),
        ReportKind(
            "stock-value",
            _l("Stock value"),
            _l("Stock on hand at consignment value."),
            _stock_value,
            uses_range=False,
        ),
        ReportKind(
            "sell-through",
            _l("Sell-through"),
            _l("What sold of what was there to sell."),
            _sell_through,
        ),
        ReportKind(
            "ageing",
            _l("Stock ageing"),
            _l("Days since the goods were taken in."),
            _ageing,
            uses_range=False,
        ),
        ReportKind(
            "refunds",
            _l("Refunds and voids"),
            _l("Money given back online and at the counter."),
            _refunds,
        ),
        ReportKind(
            "commission",
            _l("Commission"),
            _l("The outlet's commission per month."),
            _commission,
            uses_channel=True,
        ),
        ReportKind(
            "takings",
            _l("Daily takings"),
            _l("Money taken per payment method: the setoran."),
            _takings,
        ),
    )
}
