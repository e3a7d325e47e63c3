"""Carts, orders, their lines (with the money snapshot of the sale) and their event timeline."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.sale_lines import SaleLine
from storefront.crypto import EncryptedString
from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db
from storefront.indonesia.identifiers import mask
from storefront.states import LabelledEnum, check_in


class OrderStatus(LabelledEnum):
    PENDING_PAYMENT = "pending_payment", _l("Waiting for payment")
    PAID = "paid", _l("Paid")
    PACKED = "packed", _l("Packed")
    READY_FOR_PICKUP = "ready_for_pickup", _l("Ready for pickup")
    OUT_FOR_DELIVERY = "out_for_delivery", _l("Out for delivery")
    COMPLETED = "completed", _l("Completed")
    CANCELLED = "cancelled", _l("Cancelled")
    REFUNDED = "refunded", _l("Refunded")


class Fulfilment(LabelledEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


class PaymentMethod(LabelledEnum):
    """How the shopper chose to pay at checkout."""

    OUTLET = "outlet"  # cash, QRIS or debit when collecting (or to the outlet's courier)
    STRIPE = "stripe"  # card (and other Stripe methods) online, before packing
    GATEWAY = "gateway"  # QRIS, e-wallet or virtual account through the local gateway


# Paid online before the order is prepared.
ONLINE_METHODS = (PaymentMethod.STRIPE, PaymentMethod.GATEWAY)


class PaidWith(LabelledEnum):
    """How the money actually came in, recorded when the order is marked paid."""

    CASH = "cash", _l("Cash")
    QRIS = "qris", _l("QRIS")
    DEBIT = "debit", _l("Debit card")
    CARD = "card", _l("Card (online)")
    EWALLET = "ewallet", _l("E-wallet (online)")
    VA = "va", _l("Virtual account (bank transfer)")


class RefundMethod(LabelledEnum):
    """How money goes back: through the provider to the card, in cash at the outlet, or by a
    bank transfer the manager sends to the shopper's account."""

    STRIPE = "stripe", _l("Back to the card (Stripe)")
    CASH = "cash", _l("Cash at the counter")
    TRANSFER = "transfer", _l("Bank transfer")
    GATEWAY = "gateway", _l("Back to the e-wallet (payment gateway)")


# Refunds that go back through a provider: stored first, counted once the provider confirms.
PROVIDER_REFUNDS = (RefundMethod.STRIPE.value, RefundMethod.GATEWAY.value)


class CartItem(db.Model):
    """A signed-in shopper's cart, kept between visits. Guests keep theirs in the session."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "variant_id", name="one_line_per_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE"), nullable=False
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        check_in("status", OrderStatus, name="status_known"),
        check_in("fulfilment", Fulfilment, name="fulfilment_known"),
        check_in("payment_method", PaymentMethod, name="payment_method_known"),
        CheckConstraint("subtotal > 0 AND delivery_fee >= 0", name="amounts_valid"),
        CheckConstraint("total = subtotal + delivery_fee", name="total_adds_up"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= total", name="refund_within_total"
        ),
        Index("ix_orders_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=OrderStatus.PENDING_PAYMENT.value
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="id")
    # Chosen at checkout: email, whatsapp or both (order news; storefront/outbox.py).
    message_channel: Mapped[str] = mapped_column(
        String(10), nullable=False, default="email", server_default="email"
    )
    fulfilment: Mapped[str] = mapped_column(String(10), nullable=False)
    delivery_kecamatan: Mapped[str | None] = mapped_column(String(60))
    delivery_address: Mapped[str | None] = mapped_column(Text)
    delivery_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payment_method: Mapped[str] = mapped_column(String(10), nullable=False)
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False)
    delivery_fee: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Six digits the shopper shows when collecting; checked at hand-over.
    pickup_code: Mapped[str] = mapped_column(String(6), nullable=False)
    # An unguessable key for the guest's order link in the confirmation email.
    access_key: Mapped[str] = mapped_column(String(43), unique=True, nullable=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_with: Mapped[str | None] = mapped_column(String(10))
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    payment_reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Set when something needs a manager's eyes (amount mismatch, paid after cancellation...).
    attention: Mapped[str] = mapped_column(Text, nullable=False, default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    reservation = relationship("Reservation")
    user = relationship("User")

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def refundable_amount(self) -> int:
        return (self.paid_amount or 0) - self.refunded_amount if self.is_paid else 0


class OrderLine(SaleLine, db.Model):
    """What was bought, frozen at the moment of sale (DESIGN invariant 1): later price or
    commission changes never rewrite it. `sold_at` is the order's payment time, copied when
    it is paid."""

    __tablename__ = "order_lines"
    __table_args__ = (
        *SaleLine.snapshot_checks(),
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_within_line"
        ),
        Index("ix_order_lines_vendor", "vendor_id", "order_id"),
        # A vendor's sales of one settlement period, without reading the year's lines.
        Index("ix_order_lines_vendor_sold", "vendor_id", "sold_at"),
        # The whole outlet's sales of a range (dashboard, reports), read by time alone.
        Index("ix_order_lines_sold", "sold_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    unit: Mapped[str] = mapped_column(String(30), nullable=False, default="pcs")
    refunded_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    """The order's timeline: every status move, payment, refund and note, with who and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="status")
    from_status: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    to_status: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    actor = relationship("User")


class Refund(db.Model):
    """Money given back, through the provider (card), in cash at the outlet or by transfer.

    `confirmed_at` is when the money certainly went back: at once for cash and transfer, when
    the provider answers for a card. Statements count a refund in the period it was confirmed,
    never before (a crash between asking Stripe and its answer leaves an unconfirmed row)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        check_in("method", RefundMethod, name="method_known"),
        CheckConstraint(
            f"method <> '{RefundMethod.TRANSFER.value}' OR (transfer_account IS NOT NULL "
            "AND transfer_reference <> '')",
            name="transfer_has_account",
        ),
        Index("ix_refunds_confirmed", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    restocked: Mapped[bool] = mapped_column(nullable=False, default=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Sent to the provider so a retried request never refunds twice.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A transfer refund: the shopper's account as the manager entered it (the number encrypted
    # like a vendor's, DESIGN invariant 9) and the bank's reference of the transfer sent.
    transfer_bank_code: Mapped[str | None] = mapped_column(String(20))
    transfer_bank_name: Mapped[str | None] = mapped_column(String(80))
    transfer_account: Mapped[str | None] = mapped_column(EncryptedString)
    transfer_holder: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    transfer_reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")

    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan"
    )
    order = relationship("Order")
    actor = relationship("User")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def transfer_account_masked(self) -> str:
        return mask(self.transfer_account)


class RefundLine(db.Model):
    __tablename__ = "refund_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND amount > 0", name="positive"),
        CheckConstraint("commission <= amount", name="commission_within"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), nullable=False, index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id"), nullable=False, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The commission given back, fixed when the refund is made (catalog.commission.
    # refund_commission): never more than is left of the line's commission.
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    refund: Mapped[Refund] = relationship(back_populates="lines")
    order_line = relationship("OrderLine")
