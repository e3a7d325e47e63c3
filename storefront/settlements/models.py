"""Vendor settlements (DESIGN invariant 7): one statement per vendor and period.

A draft statement is recomputed from the books whenever it is opened; closing freezes every
figure on the row and its lines, and the database itself refuses to change a closed statement's
figures or lines (triggers below), so "why was I paid this?" always has the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.sale_lines import variant_name
from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.states import LabelledEnum, StatusChange, check_in

# Statements and the month's batch find a period's online sales by payment time.
# Declared here, beside the query that needs it, so the orders model stays the orders' own.
Index("ix_orders_paid_at", Order.__table__.c.paid_at)


# "statement" context: a statement is paid *out* to the vendor ("dicairkan"); orders use the
# same English word for money coming in.
class SettlementStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    CLOSED = "closed", _l("Closed")
    PAID = "paid", lazy_pgettext("statement", "Paid")


class CommentKind(LabelledEnum):
    COMMENT = "comment", _l("Question or comment")
    DISPUTE = "dispute", _l("Dispute a figure")


# The figures frozen at close; the guard triggers refuse to change them afterwards.
FROZEN_COLUMNS = (
    "period_start",
    "period_end",
    "vendor_id",
    "gross_online",
    "gross_counter",
    "refunds",
    "commission",
    "vendor_share",
    "carried_in",
    "net_payable",
    "carried_out",
    "minimum_payout",
    "compensation",
    "advances",
    "difference_in",
    "final",
)


class Settlement(db.Model):
    """A vendor's statement for one period (dates in WIB, both inclusive)."""

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("vendor_id", "period_start", name="uq_settlements_vendor_period"),
        check_in("status", SettlementStatus, name="status_known"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("net_payable >= 0", name="net_payable_not_negative"),
        CheckConstraint(
            "net_payable + carried_out + advances"
            " = vendor_share + compensation + carried_in + difference_in",
            name="payout_adds_up",
        ),
        CheckConstraint(
            "vendor_share = gross_online + gross_counter - refunds - commission",
            name="share_adds_up",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=SettlementStatus.DRAFT.value
    )
    gross_online: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    gross_counter: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Commission on sales less the commission given back with refunds.
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    vendor_share: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Amounts below the minimum payout move from one statement to the next.
    carried_in: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    net_payable: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    carried_out: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    minimum_payout: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Loss and damage in the outlet's care, paid to the vendor at its share of the price.
    compensation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Advances paid against this period before it ended, deducted from what it pays.
    advances: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Earlier payments that differed from their statement's net payable (net payable − paid).
    difference_in: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The last statement of a vendor who left: it pays whatever is due, below the minimum too.
    final: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    proof_key: Mapped[str | None] = mapped_column(String(200))
    proof_mime: Mapped[str | None] = mapped_column(String(60))
    # Set once, when the payment is recorded: net payable − paid (a bank fee, a partial
    # transfer, an overpayment). The next statement to close carries it and points back here.
    payment_difference: Mapped[int | None] = mapped_column(BigInteger)
    difference_carried_to_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"))

    vendor = relationship("Vendor")
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    lines: Mapped[list[SettlementLine]] = relationship(
        back_populates="settlement",
        order_by=lambda: (
            SettlementLine.product_name,
            SettlementLine.product_id,
            SettlementLine.variant_id,
        ),
    )
    history: Mapped[list[SettlementStatusChange]] = relationship(
        order_by="SettlementStatusChange.id"
    )
    comments: Mapped[list[SettlementComment]] = relationship(order_by="SettlementComment.id")
    advance_payments: Mapped[list[SettlementAdvance]] = relationship(
        order_by="SettlementAdvance.id", back_populates="settlement"
    )

    @property
    def gross_sales(self) -> int:
        return self.gross_online + self.gross_counter

    @property
    def products(self) -> list[ProductLines]:
        """The lines rolled up per product, in the lines' order (by product name)."""
        rollup: dict[int, ProductLines] = {}
        for line in self.lines:
            group = rollup.get(line.product_id)
            if group is None:
                group = rollup[line.product_id] = ProductLines(line.product_id, line.product_name)
            group.lines.append(line)
        return list(rollup.values())

    @property
    def is_draft(self) -> bool:
        return self.status == SettlementStatus.DRAFT

    @property
    def due(self) -> int:
        """What the period owes the vendor before the minimum payout decides: this period's
        share and compensation, what earlier periods carried in, less the advances paid."""
        return (
            self.vendor_share
            + self.compensation
            + self.carried_in
            + self.difference_in
            - self.advances
        )


class SettlementAdvance(db.Model):
    """Money paid to a vendor against a period that has not ended yet (a *panjar*): the
    statement of that period shows it and deducts it when it closes."""

    __tablename__ = "settlement_advances"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id"), nullable=False, index=True
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    reference: Mapped[str] = mapped_column(String(120), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    settlement: Mapped[Settlement] = relationship(back_populates="advance_payments")
    created_by = relationship("User")


class StockBalance:
    """The stock arithmetic of a statement line, and of a product's lines summed."""

    @property
    def sold(self) -> int:
        return self.sold_online + self.sold_counter

    @property
    def gross(self) -> int:
        return self.gross_online + self.gross_counter

    @property
    def expected_closing(self) -> int:
        return (
            self.opening
            + self.received
            - self.sold
            + self.restocked
            - self.returned
            + self.adjusted
        )

    @property
    def balances(self) -> bool:
        return self.expected_closing == self.closing


class SettlementLine(StockBalance, db.Model):
    """One variant's figures on a statement (a product without options has one): stock
    movement and money. The statement rolls them up per product."""

    __tablename__ = "settlement_lines"
    __table_args__ = (
        UniqueConstraint("settlement_id", "variant_id", name="uq_settlement_lines_variant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id"), nullable=False, index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    variant_label: Mapped[str] = mapped_column(
        String(120), nullable=False, default="", server_default=""
    )
    product_name: Mapped[str] = mapped_column(String(120), nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    opening: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    received: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sold_online: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    gross_online: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    sold_counter: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    gross_counter: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Refunded units a manager put back on the shelf (customer_return movements).
    restocked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    returned: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Signed: damage, loss, expiry write-offs and stock-count corrections.
    adjusted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closing: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    vendor_share: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Units lost or damaged in the outlet's care, and what the outlet pays for them.
    compensated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    compensation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    settlement: Mapped[Settlement] = relationship(back_populates="lines")

    @property
    def display_name(self) -> str:
        return variant_name(self.product_name, self.variant_label)


# A line's figures, in the statement's (and its CSV's) order; a product's subtotal adds them
# up from its variants' lines.
FIGURES = (
    "opening",
    "received",
    "sold_online",
    "gross_online",
    "sold_counter",
    "gross_counter",
    "refunded",
    "refunds",
    "restocked",
    "returned",
    "adjusted",
    "closing",
    "commission",
    "vendor_share",
    "compensated",
    "compensation",
)


@dataclass
class ProductLines(StockBalance):
    """One product on a statement: its variants' lines and their subtotal (attributes named
    like a line's, so a page prints both the same way). A product without options has one
    line without a label, and shows as that line alone."""

    product_id: int
    product_name: str
    lines: list[SettlementLine] = field(default_factory=list)

    @property
    def has_variants(self) -> bool:
        return any(line.variant_label for line in self.lines)

    def __getattr__(self, name: str) -> int:
        if name in FIGURES:
            return sum(getattr(line, name) for line in self.lines)
        raise AttributeError(name)


class SettlementStatusChange(StatusChange, db.Model):
    __tablename__ = "settlement_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id"), nullable=False, index=True
    )


class SettlementComment(db.Model):
    """A vendor's question or dispute about a statement, and the manager's answer."""

    __tablename__ = "settlement_comments"
    __table_args__ = (check_in("kind", CommentKind, name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="comment")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])


# --- the database's own guard on closed statements -------------------------------------------
# Updates and new lines are refused by triggers. Deleting is refused by the service only: the
# test suite and retention tooling empty the tables children first, which a trigger would block.

_MESSAGE = "a closed settlement cannot change"
_FROZEN_SQL = ", ".join(FROZEN_COLUMNS)

SQLITE_GUARDS = [
    f"""CREATE TRIGGER settlements_frozen BEFORE UPDATE OF {_FROZEN_SQL} ON settlements
    WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
]
for _op, _row in (("INSERT", "NEW"), ("UPDATE", "OLD")):
    SQLITE_GUARDS.append(
        f"""CREATE TRIGGER settlement_lines_frozen_{_op.lower()} BEFORE {_op} ON settlement_lines
        WHEN (SELECT status FROM settlements WHERE id = {_row}.settlement_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""  # noqa: S608  # nosec B608 # DDL of constants, no input
    )

_PG_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
POSTGRES_GUARDS = [
    f"""CREATE OR REPLACE FUNCTION settlements_frozen() RETURNS trigger AS $$
    BEGIN
      IF OLD.status <> 'draft' AND ({_PG_CHANGED}) THEN
        RAISE EXCEPTION '{_MESSAGE}';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER settlements_frozen BEFORE UPDATE ON settlements
    FOR EACH ROW EXECUTE FUNCTION settlements_frozen()""",
    f"""CREATE OR REPLACE FUNCTION settlement_lines_frozen() RETURNS trigger AS $$
    DECLARE parent_status text;
    BEGIN
      SELECT status INTO parent_status FROM settlements
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.settlement_id ELSE OLD.settlement_id END;
      IF parent_status <> 'draft' THEN RAISE EXCEPTION '{_MESSAGE}'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",  # noqa: S608  # nosec B608 # DDL of constants, no input
    """CREATE TRIGGER settlement_lines_frozen BEFORE INSERT OR UPDATE
    ON settlement_lines FOR EACH ROW EXECUTE FUNCTION settlement_lines_frozen()""",
]

for _statement in SQLITE_GUARDS:
    event.listen(
        SettlementLine.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in POSTGRES_GUARDS:
    event.listen(
        SettlementLine.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
