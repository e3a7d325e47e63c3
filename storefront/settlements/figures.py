"""The figures behind a settlement statement: periods in WIB and one pass over the books.

`compute` answers, for one period and any set of vendors, each variant's stock movement (from
the ledger) and money (from the sale-line snapshots): the rules are described in
`settlements.services`. A product without options has one variant, so its figures are the
product's; the statement rolls a product's variants up under it. Grouped queries, so a
month for 500 vendors is a handful of scans.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal_column, select, union_all

from storefront.catalog.commission import refund_commission
from storefront.catalog.sale_lines import variant_name
from storefront.clock import utc_bounds
from storefront.extensions import db
from storefront.orders.models import OrderLine, Refund, RefundLine
from storefront.pos.models import CounterSale, CounterSaleLine, SaleStatus
from storefront.stock.models import MovementKind, Responsibility, StockLoss, StockMovement
from storefront.vendors.models import SettlementPeriod

# --- periods ---------------------------------------------------------------------------------


def period_containing(kind: str, day: date) -> tuple[date, date]:
    """The (first, last) day of the `kind` period that `day` falls in."""
    last_of_month = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    if kind == SettlementPeriod.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == SettlementPeriod.BIWEEKLY:
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), last_of_month
    return day.replace(day=1), last_of_month


def periods_in_month(kind: str, year: int, month: int) -> list[tuple[date, date]]:
    """The vendor's periods that end in the month (a week belongs to the month it ends in)."""
    day, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    periods = []
    while day <= last:
        start, end = period_containing(kind, day)
        if end <= last and (start, end) not in periods:
            periods.append((start, end))
        day = end + timedelta(days=1)
    return periods


# --- computing the figures -------------------------------------------------------------------


@dataclass
class LineFigures:
    opening: int = 0
    received: int = 0
    sold_online: int = 0
    gross_online: int = 0
    sold_counter: int = 0
    gross_counter: int = 0
    refunded: int = 0
    refunds: int = 0
    restocked: int = 0
    returned: int = 0
    adjusted: int = 0
    closing: int = 0
    commission: int = 0
    compensated: int = 0
    compensation: int = 0

    @property
    def vendor_share(self) -> int:
        return self.gross_online + self.gross_counter - self.refunds - self.commission

    def is_empty(self) -> bool:
        return not any(vars(self).values())


@dataclass
class VendorFigures:
    # Keyed by variant id.
    lines: dict[int, LineFigures] = field(default_factory=lambda: defaultdict(LineFigures))


ADJUSTMENT_KINDS = (
    MovementKind.DAMAGE_LOSS.value,
    MovementKind.EXPIRY_WRITE_OFF.value,
    MovementKind.COUNT_CORRECTION.value,
)


def _vendor_filter(column, vendor_ids):
    return True if vendor_ids is None else column.in_(vendor_ids)


def _stock(figures, start_utc, end_utc, vendor_ids, openings) -> None:
    """Stock figures from the ledger. For vendors in `openings` (their previous statement is
    closed and ends the day before), the opening stock is that statement's closing stock, so only
    the period's movements are read; the others sum their whole history before the period."""
    m = StockMovement
    in_period = m.created_at >= start_utc

    def total(condition):
        return func.coalesce(func.sum(case((condition, m.quantity), else_=0)), 0)

    columns = (
        m.vendor_id,
        m.variant_id,
        total(m.created_at < start_utc),
        total(and_(in_period, m.kind == MovementKind.INTAKE.value)),
        # Refunded goods put back on the shelf, and a voided counter sale's units coming back.
        total(and_(in_period, m.kind == MovementKind.CUSTOMER_RETURN.value)),
        total(and_(in_period, m.kind == MovementKind.RETURN_TO_VENDOR.value)),
        total(and_(in_period, m.kind.in_(ADJUSTMENT_KINDS))),
        func.sum(m.quantity),
    )
    queries = []
    if openings:
        for vendor_id, closings in openings.items():
            for variant_id, closing in closings.items():
                line = figures[vendor_id].lines[variant_id]
                line.opening = line.closing = closing
        queries.append(m.vendor_id.in_(list(openings)) & in_period)
    rest = None if vendor_ids is None else [v for v in vendor_ids if v not in openings]
    if rest is None or rest:
        queries.append(_vendor_filter(m.vendor_id, rest))
    for condition in queries:
        rows = db.session.execute(
            select(*columns)
            .where(m.created_at < end_utc, condition)
            .group_by(m.vendor_id, m.variant_id)
        )
        for vendor_id, variant_id, before, received, restocked, returned, adjusted, moved in rows:
            line = figures[vendor_id].lines[variant_id]
            line.opening += int(before)
            line.closing = line.opening + int(moved) - int(before)
            line.received, line.restocked = int(received), int(restocked)
            line.returned, line.adjusted = -int(returned), int(adjusted)


def _sales(figures, start_utc, end_utc, vendor_ids) -> None:
    _sold(figures, start_utc, end_utc, vendor_ids)
    _refunds(figures, start_utc, end_utc, vendor_ids)
    _voids(figures, start_utc, end_utc, vendor_ids)
    _compensations(figures, start_utc, end_utc, vendor_ids)


def _compensations(figures, start_utc, end_utc, vendor_ids) -> None:
    """Units lost in the outlet's care during the period, and what the outlet pays for them
    (stock/losses.py: the vendor's share of the price at the moment of the loss), on the
    variant whose units the loss's movement took."""
    rows = db.session.execute(
        select(
            StockLoss.vendor_id,
            StockMovement.variant_id,
            func.sum(StockLoss.quantity),
            func.sum(StockLoss.compensation),
        )
        .join(StockMovement, StockMovement.id == StockLoss.movement_id)
        .where(
            StockLoss.responsible == Responsibility.OUTLET.value,
            StockLoss.created_at >= start_utc,
            StockLoss.created_at < end_utc,
            _vendor_filter(StockLoss.vendor_id, vendor_ids),
        )
        .group_by(StockLoss.vendor_id, StockMovement.variant_id)
    )
    for vendor_id, variant_id, quantity, amount in rows:
        line = figures[vendor_id].lines[variant_id]
        line.compensated, line.compensation = int(quantity), int(amount)


ONLINE, COUNTER = "online", "counter"


def _channel_lines(line, channel: str, start_utc, end_utc, vendor_ids):
    """One channel's sale lines of the period. Each line carries the moment it counts
    (`sold_at`, copied when the order is paid or the sale rung up), so a vendor's period is
    one range of its table's (vendor_id, sold_at) index, not a year of lines."""
    return select(
        line.vendor_id,
        line.variant_id,
        literal_column(f"'{channel}'").label("channel"),  # a constant, never input
        line.quantity,
        line.gross,
        line.commission,
    ).where(
        line.sold_at >= start_utc,
        line.sold_at < end_utc,
        _vendor_filter(line.vendor_id, vendor_ids),
    )


def _sold(figures, start_utc, end_utc, vendor_ids) -> None:
    """Both channels' sales in one query: the two tables' sale lines, UNION ALL, summed. A
    counter sale voided later still counts when it was rung up; its void is booked apart,
    when it happens (`_voids`), so a void after the sale's statement closed is reversed."""
    lines = union_all(
        _channel_lines(OrderLine, ONLINE, start_utc, end_utc, vendor_ids),
        _channel_lines(CounterSaleLine, COUNTER, start_utc, end_utc, vendor_ids),
    ).subquery()
    rows = db.session.execute(
        select(
            lines.c.vendor_id,
            lines.c.variant_id,
            lines.c.channel,
            func.sum(lines.c.quantity),
            func.sum(lines.c.gross),
            func.sum(lines.c.commission),
        ).group_by(lines.c.vendor_id, lines.c.variant_id, lines.c.channel)
    )
    for vendor_id, variant_id, channel, quantity, gross, commission in rows:
        line = figures[vendor_id].lines[variant_id]
        if channel == ONLINE:
            line.sold_online, line.gross_online = int(quantity), int(gross)
        else:
            line.sold_counter, line.gross_counter = int(quantity), int(gross)
        line.commission += int(commission)


def refund_lines_of_period(start_utc, end_utc, vendor_ids):
    """The refund lines a period's statements count: confirmed in the period (a card refund
    only once the provider confirmed it), of order lines that were sold (a payment after
    cancellation whose goods had gone never reached a vendor: its refund is not theirs)."""
    return (
        select(RefundLine, Refund, OrderLine)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(
            Refund.confirmed_at >= start_utc,
            Refund.confirmed_at < end_utc,
            OrderLine.sold_at.is_not(None),
            _vendor_filter(OrderLine.vendor_id, vendor_ids),
        )
    )


def _refunds(figures, start_utc, end_utc, vendor_ids) -> None:
    for refund_line, _refund, order_line in db.session.execute(
        refund_lines_of_period(start_utc, end_utc, vendor_ids)
    ):
        line = figures[order_line.vendor_id].lines[order_line.variant_id]
        line.refunded += refund_line.quantity
        line.refunds += refund_line.amount
        line.commission -= refund_line.commission


def void_lines_of_period(start_utc, end_utc, vendor_ids):
    """Counter sale lines voided in the period: booked like a refund of the whole line, at
    the void's time (the sale itself counted when it was rung up)."""
    return (
        select(CounterSaleLine, CounterSale)
        .join(CounterSale, CounterSale.id == CounterSaleLine.sale_id)
        .where(
            CounterSale.status == SaleStatus.VOIDED.value,
            CounterSale.voided_at >= start_utc,
            CounterSale.voided_at < end_utc,
            _vendor_filter(CounterSaleLine.vendor_id, vendor_ids),
        )
    )


def _voids(figures, start_utc, end_utc, vendor_ids) -> None:
    for sale_line, _sale in db.session.execute(
        void_lines_of_period(start_utc, end_utc, vendor_ids)
    ):
        line = figures[sale_line.vendor_id].lines[sale_line.variant_id]
        line.refunded += sale_line.quantity
        line.refunds += sale_line.gross
        line.commission -= refund_commission(sale_line, 0, sale_line.quantity)


def compute(
    start: date, end: date, vendor_ids=None, openings: dict | None = None
) -> dict[int, VendorFigures]:
    """Every vendor's (or the given vendors') per-variant figures for the period.

    `openings`: {vendor id: {variant id: closing stock of its previous, closed statement}}."""
    start_utc, end_utc = utc_bounds(start, end)
    figures: dict[int, VendorFigures] = defaultdict(VendorFigures)
    _stock(figures, start_utc, end_utc, vendor_ids, openings or {})
    _sales(figures, start_utc, end_utc, vendor_ids)
    return figures


# --- near-expiry markdowns (a figure of its own, beside the statement's lines) ----------------


@dataclass(frozen=True)
class MarkdownFigure:
    """What a variant's markdowns gave away in the period: rupiah off the list price, the
    vendor's part (their share was computed on the price less it) and the outlet's (taken from
    its commission: the vendor was paid as if undiscounted). Already inside the sold figures,
    so the statement's net payable needs nothing added; this only shows who bore what."""

    product_id: int
    product_name: str
    quantity: int
    discount: int
    vendor_part: int
    variant_label: str = ""

    @property
    def outlet_part(self) -> int:
        return self.discount - self.vendor_part

    @property
    def display_name(self) -> str:
        return variant_name(self.product_name, self.variant_label)


def markdowns(vendor_id: int, start: date, end: date) -> list[MarkdownFigure]:
    """The vendor's marked-down sale lines of the period (both channels, voided sales left out),
    per variant."""
    start_utc, end_utc = utc_bounds(start, end)
    voided = select(CounterSale.id).where(CounterSale.status == SaleStatus.VOIDED.value)

    def lines(line):
        return select(
            line.product_id,
            line.variant_id,
            line.product_name,
            line.variant_label,
            line.quantity,
            line.discount,
            line.vendor_discount,
        ).where(
            line.vendor_id == vendor_id,
            line.sold_at >= start_utc,
            line.sold_at < end_utc,
            line.discount > 0,
        )

    union = union_all(
        lines(OrderLine), lines(CounterSaleLine).where(CounterSaleLine.sale_id.not_in(voided))
    ).subquery()
    rows = db.session.execute(
        select(
            union.c.product_id,
            func.min(union.c.product_name),
            func.sum(union.c.quantity),
            func.sum(union.c.discount),
            func.sum(union.c.vendor_discount),
            func.min(union.c.variant_label),
        )
        .group_by(union.c.product_id, union.c.variant_id)
        .order_by(func.min(union.c.product_name), union.c.product_id, union.c.variant_id)
    )
    return [
        MarkdownFigure(pid, name, int(quantity), int(discount), int(vendor_part), label or "")
        for pid, name, quantity, discount, vendor_part, label in rows
    ]
