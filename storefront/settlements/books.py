"""`flask verify-books`: vendor money is conserved (DESIGN invariant 12).

For every vendor, from the books themselves (sale lines, refunds, voids, losses), not from the
statements:

    vendor shares of every sale line − refunds − voids + compensations
        = paid + advances + the open balance

where the open balance is what closed statements still owe (net payable not yet paid, the
amount carried below the minimum, payment differences not yet carried) plus everything earned
after the last closed statement, less the advances paid against it. It holds only when the
closed statements follow each other without gap or overlap, each still equals the books of its
period, and every carried amount lands somewhere. The command also checks those directly, so
a mismatch says where it is:

- every closed statement equals its period's figures computed again from the books;
- the statements of a vendor follow each other day after day;
- every statement's stock line balances (opening + received − sold + refunded − returned
  ± adjusted = closing).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from storefront.clock import start_of_day
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders.models import OrderLine, Refund, RefundLine
from storefront.pos.models import CounterSale, CounterSaleLine, SaleStatus
from storefront.settlements.figures import compute
from storefront.settlements.models import (
    FIGURES,
    Settlement,
    SettlementAdvance,
    SettlementStatus,
)
from storefront.stock.models import Responsibility, StockLoss
from storefront.vendors.models import Vendor

# The figures a closed statement freezes that the books can compute again.
RECOMPUTED = ("gross_online", "gross_counter", "refunds", "commission", "compensation")
# What a frozen line must still equal (its vendor share follows from them).
LINE_FIGURES = tuple(name for name in FIGURES if name != "vendor_share")


@dataclass
class VendorBooks:
    vendor_id: int
    name: str
    earned: int = 0
    paid: int = 0
    advances: int = 0
    open_balance: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.earned - (self.paid + self.advances + self.open_balance)


def earned(vendor_id: int, start: datetime | None = None, end: datetime | None = None) -> int:
    """What the vendor earned in [start, end) by the books: the vendor share of every sale line
    when it was sold, less a voided sale's when it was voided, less each refund's share when it
    was made, plus the outlet's compensation for losses in its care."""

    def within(column):
        conditions = []
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
        return conditions

    total = 0
    total += db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.vendor_share), 0)).where(
            OrderLine.vendor_id == vendor_id,
            OrderLine.sold_at.is_not(None),
            *within(OrderLine.sold_at),
        )
    )
    total += db.session.scalar(
        select(func.coalesce(func.sum(CounterSaleLine.vendor_share), 0)).where(
            CounterSaleLine.vendor_id == vendor_id, *within(CounterSaleLine.sold_at)
        )
    )
    total -= db.session.scalar(
        select(func.coalesce(func.sum(CounterSaleLine.vendor_share), 0))
        .join(CounterSale, CounterSale.id == CounterSaleLine.sale_id)
        .where(
            CounterSaleLine.vendor_id == vendor_id,
            CounterSale.status == SaleStatus.VOIDED.value,
            *within(CounterSale.voided_at),
        )
    )
    # A refund counts once confirmed, giving back its stored commission (at most what the
    # line took), and only of a line that was sold: a payment after cancellation whose goods
    # had gone never reached the vendor (figures.refund_lines_of_period, the same rule).
    total -= db.session.scalar(
        select(func.coalesce(func.sum(RefundLine.amount - RefundLine.commission), 0))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(
            OrderLine.vendor_id == vendor_id,
            OrderLine.sold_at.is_not(None),
            Refund.confirmed_at.is_not(None),
            *within(Refund.confirmed_at),
        )
    )
    total += db.session.scalar(
        select(func.coalesce(func.sum(StockLoss.compensation), 0)).where(
            StockLoss.vendor_id == vendor_id,
            StockLoss.responsible == Responsibility.OUTLET.value,
            *within(StockLoss.created_at),
        )
    )
    return int(total)


def _check_lines(books: VendorBooks, statement: Settlement) -> None:
    for line in statement.lines:
        if not line.balances:
            books.problems.append(
                f"statement ST-{statement.id:06d} ({statement.period_start}–"
                f"{statement.period_end}), {line.product_code} {line.display_name}: stock does "
                f"not balance (opening {line.opening} + received {line.received} − sold "
                f"{line.sold} + refunded {line.restocked} − returned {line.returned} + "
                f"adjusted {line.adjusted} = {line.expected_closing}, closing {line.closing})"
            )


def _check_frozen(books: VendorBooks, statement: Settlement, figures) -> None:
    """A closed statement must still equal what the books say of its period."""
    lines = figures.lines if figures is not None else {}
    computed = {key: sum(getattr(ln, key) for ln in lines.values()) for key in RECOMPUTED}
    for key, value in computed.items():
        if getattr(statement, key) != value:
            books.problems.append(
                f"closed statement ST-{statement.id:06d} ({statement.period_start}–"
                f"{statement.period_end}): {key} frozen at "
                f"{format_rupiah(getattr(statement, key))}, the books now say "
                f"{format_rupiah(value)}"
            )
    frozen = {line.variant_id: line for line in statement.lines}
    for variant_id, line in lines.items():
        if line.is_empty():
            continue
        kept = frozen.get(variant_id)
        changed = [
            name
            for name in LINE_FIGURES
            if (getattr(kept, name) if kept is not None else 0) != getattr(line, name)
        ]
        if changed:
            books.problems.append(
                f"closed statement ST-{statement.id:06d}: variant {variant_id} differs from the "
                f"books in {', '.join(changed)}"
            )


def _check_sequence(books: VendorBooks, statements: list[Settlement]) -> None:
    for before, after in itertools.pairwise(statements):
        if after.period_start != before.period_end + timedelta(days=1):
            what = "overlap" if after.period_start <= before.period_end else "leave a gap"
            books.problems.append(
                f"statements ST-{before.id:06d} ({before.period_start}–{before.period_end}) "
                f"and ST-{after.id:06d} ({after.period_start}–{after.period_end}) {what}"
            )


def _check_vendor(
    vendor: Vendor, statements: list[Settlement], advances: dict, figures
) -> VendorBooks:
    books = VendorBooks(vendor.id, vendor.name)
    _check_sequence(books, statements)
    closed = [s for s in statements if not s.is_draft]
    for statement in statements:
        _check_lines(books, statement)
    for statement in closed:
        _check_frozen(
            books,
            statement,
            figures[(statement.period_start, statement.period_end)].get(vendor.id),
        )
    books.earned = earned(vendor.id)
    books.advances = sum(advances.get(s.id, 0) for s in statements)
    books.paid = sum(s.paid_amount or 0 for s in closed if s.status == SettlementStatus.PAID)
    unpaid = sum(s.net_payable for s in closed if s.status == SettlementStatus.CLOSED)
    not_carried = sum(
        s.payment_difference or 0
        for s in closed
        if s.difference_carried_to_id is None
        or s.difference_carried_to_id not in {c.id for c in closed}
    )
    last = closed[-1] if closed else None
    since = start_of_day(last.period_end + timedelta(days=1)) if last else None
    on_drafts = sum(advances.get(s.id, 0) for s in statements if s.is_draft)
    books.open_balance = (
        unpaid
        + (last.carried_out if last else 0)
        + not_carried
        + earned(vendor.id, start=since)
        - on_drafts
    )
    if books.difference:
        books.problems.append(
            f"earned {format_rupiah(books.earned)} by the books, but paid "
            f"{format_rupiah(books.paid)} + advances {format_rupiah(books.advances)} + open "
            f"balance {format_rupiah(books.open_balance)} = "
            f"{format_rupiah(books.earned - books.difference)}: "
            f"{format_rupiah(books.difference)} unaccounted for"
        )
    return books


def verify_books() -> list[VendorBooks]:
    """Every vendor with statements or sales, checked; `problems` empty when its books hold."""
    statements: dict[int, list[Settlement]] = defaultdict(list)
    for statement in db.session.scalars(
        select(Settlement).order_by(Settlement.vendor_id, Settlement.period_start)
    ):
        statements[statement.vendor_id].append(statement)
    advances = dict(
        db.session.execute(
            select(SettlementAdvance.settlement_id, func.sum(SettlementAdvance.amount)).group_by(
                SettlementAdvance.settlement_id
            )
        ).all()
    )
    advances = {key: int(value) for key, value in advances.items()}
    periods: dict[tuple, list[int]] = defaultdict(list)
    for vendor_id, rows in statements.items():
        for statement in rows:
            if not statement.is_draft:
                periods[(statement.period_start, statement.period_end)].append(vendor_id)
    figures = {
        (start, end): compute(start, end, sorted(set(vendor_ids)))
        for (start, end), vendor_ids in periods.items()
    }
    vendor_ids = set(statements)
    for model in (OrderLine, CounterSaleLine, StockLoss):
        vendor_ids.update(db.session.scalars(select(model.vendor_id).distinct()))
    vendors = db.session.scalars(
        select(Vendor).where(Vendor.id.in_(sorted(vendor_ids))).order_by(Vendor.id)
    ).all()
    return [_check_vendor(v, statements.get(v.id, []), advances, figures) for v in vendors]
