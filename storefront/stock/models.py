"""The stock ledger (DESIGN invariants 2–4).

`StockMovement` rows are append-only: every unit that arrives, sells, goes back or is lost is one
signed row pointing at its batch, its actor and its document. `StockLevel` keeps the running
on-hand and reserved quantities per batch, updated in the same transaction as each movement by
`stock.ledger` (the only writer), and the database refuses negative stock.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.states import LabelledEnum, StatusChange, check_in


class MovementKind(LabelledEnum):
    INTAKE = "intake", _l("Intake")
    ONLINE_SALE = "online_sale", _l("Online sale")
    COUNTER_SALE = "counter_sale", _l("Counter sale")
    RETURN_TO_VENDOR = "return_to_vendor", _l("Return to vendor")
    DAMAGE_LOSS = "damage_loss", _l("Damage or loss")
    EXPIRY_WRITE_OFF = "expiry_write_off", _l("Expiry write-off")
    COUNT_CORRECTION = "count_correction", _l("Count correction")
    # A refunded buyer's goods put back on the shelf (a manager decides they are sellable).
    CUSTOMER_RETURN = "customer_return", _l("Returned by a buyer")


class CountScope(LabelledEnum):
    ALL = "all", _l("Everything")
    VENDOR = "vendor", _l("One vendor")
    CATEGORY = "category", _l("One category")


class Responsibility(LabelledEnum):
    """Who answers for goods lost or damaged on the shelf: the outlet (it had them in its care,
    so it pays the vendor for them) or the vendor (a faulty product, its own expiry date)."""

    OUTLET = "outlet", _l("The outlet (pays the vendor)")
    VENDOR = "vendor", _l("The vendor")


class CountStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    POSTED = "posted", _l("Posted")
    CANCELLED = "cancelled", _l("Cancelled")


class IntakeReceipt(db.Model):
    """A nota titip: the goods a vendor handed over, signed by both sides."""

    __tablename__ = "intake_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # The form's one-time key: submitting the same form twice finds this receipt again.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    delivered_by: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vendor = relationship("Vendor")
    received_by = relationship("User")
    batches: Mapped[list[Batch]] = relationship(back_populates="receipt", order_by="Batch.id")


class Batch(db.Model):
    """Units of one product that arrived together and share a batch code and expiry date."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint("received_quantity > 0", name="received_positive"),
        Index("ix_batches_product_expiry", "product_id", "expires_on"),
        Index("ix_batches_variant_expiry", "variant_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    # The size/colour the units are (a product without options has one variant).
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("intake_receipts.id"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    produced_on: Mapped[date | None] = mapped_column(Date)
    # None only for goods that do not expire (crafts, batik, footwear).
    expires_on: Mapped[date | None] = mapped_column(Date)
    received_quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    # Price on the shelf label when the batch arrived (the product's price may change later).
    unit_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    product = relationship("Product")
    variant = relationship("ProductVariant")
    vendor = relationship("Vendor")
    receipt: Mapped[IntakeReceipt] = relationship(back_populates="batches")
    level: Mapped[StockLevel] = relationship(back_populates="batch", uselist=False)


class StockLevel(db.Model):
    """Running totals of one batch; always equal to the sum of its movements."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_stock_levels_product", "product_id", "on_hand"),
        Index("ix_stock_levels_variant", "variant_id", "on_hand"),
    )

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    # Copied from the batch so availability is one indexed query without a join.
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reserved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    batch: Mapped[Batch] = relationship(back_populates="level")


class StockMovement(db.Model):
    """One append-only line of the ledger. Never updated, never deleted."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        check_in("kind", MovementKind, name="kind_known"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stock_movements_vendor_time", "vendor_id", "created_at"),
        Index("ix_stock_movements_product_time", "product_id", "created_at"),
        Index("ix_stock_movements_reference", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The document behind the movement: ("intake_receipt", id), ("order_line", id), ...
    reference_type: Mapped[str] = mapped_column(String(30), nullable=False)
    reference_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    batch = relationship("Batch")
    product = relationship("Product")
    variant = relationship("ProductVariant")
    actor = relationship("User")


class ReservationStatus(LabelledEnum):
    ACTIVE = "active"
    RELEASED = "released"
    COMMITTED = "committed"


class Reservation(db.Model):
    """Units held for a buyer until they pay, give up, or the hold expires."""

    __tablename__ = "reservations"
    __table_args__ = (
        check_in("status", ReservationStatus, name="status_known"),
        Index("ix_reservations_status_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=ReservationStatus.ACTIVE.value
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reference: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[ReservationLine]] = relationship(
        back_populates="reservation", cascade="all, delete-orphan", order_by="ReservationLine.id"
    )


class ReservationLine(db.Model):
    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id"), nullable=False, index=True
    )
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)

    reservation: Mapped[Reservation] = relationship(back_populates="lines")
    batch = relationship("Batch")


class ReturnNote(db.Model):
    """Goods handed back to their vendor (retur), with the reason, signed by both sides."""

    __tablename__ = "return_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vendor = relationship("Vendor")
    actor = relationship("User")


class StockWriteOff(db.Model):
    """Damage, loss or an expiry write-off recorded by a manager, with an optional photo."""

    __tablename__ = "stock_write_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    photo_key: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    batch = relationship("Batch")


class StockCount(db.Model):
    """A stock opname: counted quantities per batch, posted as corrections."""

    __tablename__ = "stock_counts"
    __table_args__ = (
        check_in("scope", CountScope, name="scope_known"),
        check_in("status", CountStatus, name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), nullable=False)
    scope_id: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=CountStatus.OPEN.value)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", order_by="StockCountLine.id"
    )
    history: Mapped[list[StockCountStatusChange]] = relationship(
        order_by="StockCountStatusChange.id"
    )


class StockCountLine(db.Model):
    __tablename__ = "stock_count_lines"
    __table_args__ = (
        UniqueConstraint("count_id", "batch_id", name="uq_stock_count_lines_count_batch"),
        CheckConstraint("counted IS NULL OR counted >= 0", name="counted_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), nullable=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), nullable=False)
    # On hand when the line was counted; if the batch moved since, posting shows the change.
    expected: Mapped[int] = mapped_column(Integer, nullable=False)
    counted: Mapped[int | None] = mapped_column(Integer)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_movement_id: Mapped[int | None] = mapped_column()

    count: Mapped[StockCount] = relationship(back_populates="lines")
    batch = relationship("Batch")


class StockCountStatusChange(StatusChange, db.Model):
    """A count's posting or cancelling, through stock.counts.transition."""

    __tablename__ = "stock_count_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), nullable=False, index=True)


class MarkdownBearer(LabelledEnum):
    """Who gives up the money a near-expiry markdown takes off the price."""

    VENDOR = "vendor", _l("The vendor")
    OUTLET = "outlet", _l("The outlet")
    SPLIT = "split", _l("Split between them")


class AgreedVia(LabelledEnum):
    WHATSAPP = "whatsapp", _l("WhatsApp")
    PHONE = "phone", _l("Phone call")
    IN_PERSON = "in_person", _l("In person")


class Markdown(db.Model):
    """A near-expiry batch sold for less, as agreed with its vendor: the percentage off, who
    bears it (for a split, the vendor's part of it) and the agreement (who, when, how). The
    batch's newest markdown that has not ended is the one the shop and the till charge."""

    __tablename__ = "markdowns"
    __table_args__ = (
        check_in("bearer", MarkdownBearer, name="bearer_known"),
        check_in("agreed_via", AgreedVia, name="agreed_via_known"),
        CheckConstraint("percent_bp > 0 AND percent_bp < 10000", name="percent_valid"),
        CheckConstraint(
            "vendor_part_bp >= 0 AND vendor_part_bp <= 10000", name="vendor_part_valid"
        ),
        Index("ix_markdowns_batch_ended", "batch_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), nullable=False)
    percent_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    bearer: Mapped[str] = mapped_column(String(10), nullable=False)
    # The vendor's share of the discount: 10000 when the vendor bears it, 0 for the outlet.
    vendor_part_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    agreed_by: Mapped[str] = mapped_column(String(120), nullable=False)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    agreed_via: Mapped[str] = mapped_column(String(10), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    batch = relationship("Batch")
    created_by = relationship("User")


class StockLoss(db.Model):
    """Who is responsible for one write-off or negative count correction, and the compensation
    the outlet owes the vendor for it: the vendor's share of the selling price at that moment
    (the consignment price), for every unit, when the outlet is responsible; else nothing."""

    __tablename__ = "stock_losses"
    __table_args__ = (
        check_in("responsible", Responsibility, name="responsible_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("compensation >= 0", name="compensation_not_negative"),
        Index("ix_stock_losses_vendor_created", "vendor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        ForeignKey("stock_movements.id"), nullable=False, unique=True
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    responsible: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commission_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    compensation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
