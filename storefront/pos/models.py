"""Counter shifts, counter sales with the money snapshot of each line, and how they were paid."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.sale_lines import SaleLine
from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.states import LabelledEnum, StatusChange, check_in


class ShiftStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


class SaleStatus(LabelledEnum):
    COMPLETED = "completed", _l("Completed")
    VOIDED = "voided", _l("Voided")


class PayMethod(LabelledEnum):
    CASH = "cash", _l("Cash")
    QRIS = "qris", _l("QRIS")
    DEBIT = "debit", _l("Debit card")


class Shift(db.Model):
    """One cashier's time at the till, from the opening float to the cash count."""

    __tablename__ = "shifts"
    __table_args__ = (
        check_in("status", ShiftStatus, name="status_known"),
        CheckConstraint("opening_float >= 0", name="float_not_negative"),
        CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="count_not_negative"),
        # One open shift per person, whatever two browser tabs try at the same moment.
        Index(
            "uq_shifts_one_open_per_person",
            "opened_by_id",
            unique=True,
            sqlite_where=text(f"status = '{ShiftStatus.OPEN.value}'"),
            postgresql_where=text(f"status = '{ShiftStatus.OPEN.value}'"),
        ),
        Index("ix_shifts_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    opening_float: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_cash: Mapped[int | None] = mapped_column(BigInteger)
    expected_cash: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ShiftStatus.OPEN.value)

    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    sales: Mapped[list[CounterSale]] = relationship(
        back_populates="shift", order_by="CounterSale.id"
    )
    history: Mapped[list[ShiftStatusChange]] = relationship(order_by="ShiftStatusChange.id")

    @property
    def is_open(self) -> bool:
        return self.status == ShiftStatus.OPEN

    @property
    def difference(self) -> int | None:
        """Counted minus expected: negative when cash is missing."""
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class CounterSale(db.Model):
    """A sale rung up at the counter. `created_at` is when it was rung up (the settlement
    period it belongs to); a void keeps the row and records who approved it."""

    __tablename__ = "counter_sales"
    __table_args__ = (
        check_in("status", SaleStatus, name="status_known"),
        CheckConstraint("subtotal > 0 AND total = subtotal", name="amounts_valid"),
        CheckConstraint(
            f"(status = '{SaleStatus.VOIDED.value}') = (voided_at IS NOT NULL)",
            name="voided_when_void_recorded",
        ),
        Index("ix_counter_sales_created", "created_at"),
        # Settlements leave out the few voided sales by this index, not by joining every sale.
        Index("ix_counter_sales_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), nullable=False, index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=SaleStatus.COMPLETED.value
    )
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The running sale's key: a double-clicked "Pay" cannot ring the same sale up twice.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    shift: Mapped[Shift] = relationship(back_populates="sales")
    cashier = relationship("User", foreign_keys=[cashier_id])
    voided_by = relationship("User", foreign_keys=[voided_by_id])
    void_approved_by = relationship("User", foreign_keys=[void_approved_by_id])
    lines: Mapped[list[CounterSaleLine]] = relationship(
        back_populates="sale", cascade="all, delete-orphan", order_by="CounterSaleLine.id"
    )
    payments: Mapped[list[CounterPayment]] = relationship(
        back_populates="sale", cascade="all, delete-orphan", order_by="CounterPayment.id"
    )
    history: Mapped[list[CounterSaleStatusChange]] = relationship(
        order_by="CounterSaleStatusChange.id"
    )
    # The ledger lines of the sale (a reference, not a foreign key: the ledger points at many
    # kinds of documents). Adding movements here fills in their reference_id on insert.
    movements = relationship(
        "StockMovement",
        primaryjoin="and_(CounterSale.id == foreign(StockMovement.reference_id), "
        "StockMovement.reference_type == 'counter_sale')",
        order_by="StockMovement.id",
        passive_deletes="all",
    )

    @property
    def is_voided(self) -> bool:
        return self.status == SaleStatus.VOIDED

    @property
    def change(self) -> int:
        return sum(p.change for p in self.payments)

    @property
    def tendered(self) -> int:
        return sum(p.tendered for p in self.payments)


class CounterSaleLine(SaleLine, db.Model):
    """What was sold, frozen at the moment of sale (DESIGN invariant 1), like `OrderLine`.
    `sold_at` is when the sale was rung up (the sale's created_at)."""

    __tablename__ = "counter_sale_lines"
    __table_args__ = (
        *SaleLine.snapshot_checks(),
        Index("ix_counter_sale_lines_vendor", "vendor_id", "sale_id"),
        # A vendor's sales of one settlement period, without reading the year's lines.
        Index("ix_counter_sale_lines_vendor_sold", "vendor_id", "sold_at"),
        # The whole outlet's sales of a range (dashboard, reports), read by time alone.
        Index("ix_counter_sale_lines_sold", "sold_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("counter_sales.id"), nullable=False, index=True)

    sale: Mapped[CounterSale] = relationship(back_populates="lines")


class CounterPayment(db.Model):
    """Money taken for a sale. `amount` is what it pays of the total; for cash `tendered` is
    what the buyer handed over and `change` what went back, so the drawer gains `amount`."""

    __tablename__ = "counter_payments"
    __table_args__ = (
        check_in("method", PayMethod, name="method_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("change >= 0 AND tendered = amount + change", name="change_adds_up"),
        CheckConstraint(
            f"method = '{PayMethod.CASH.value}' OR change = 0", name="change_only_in_cash"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("counter_sales.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tendered: Mapped[int] = mapped_column(BigInteger, nullable=False)
    change: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")

    sale: Mapped[CounterSale] = relationship(back_populates="payments")


class ShiftStatusChange(StatusChange, db.Model):
    """A shift's close (who closed it, the note on the count), through pos.services.transition."""

    __tablename__ = "shift_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), nullable=False, index=True)


class CounterSaleStatusChange(StatusChange, db.Model):
    """A counter sale's void (who voided it and why), through pos.services.transition."""

    __tablename__ = "counter_sale_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("counter_sales.id"), nullable=False, index=True)


class PickupPayment(db.Model):
    """Money a cashier took at the till when handing over an online pickup order that was to
    be paid at the outlet: it belongs to the open shift, so the drawer count expects it. The
    order itself records the payment (orders.fulfilment); this row says which drawer has it."""

    __tablename__ = "pickup_payments"
    __table_args__ = (
        check_in("method", PayMethod, name="method_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("change >= 0 AND tendered = amount + change", name="change_adds_up"),
        CheckConstraint(
            f"method = '{PayMethod.CASH.value}' OR change = 0", name="change_only_in_cash"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), nullable=False, index=True)
    # One hand-over per order: a second click cannot take the money twice.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, unique=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tendered: Mapped[int] = mapped_column(BigInteger, nullable=False)
    change: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    order = relationship("Order")
    cashier = relationship("User")
