"""What payment providers told us, stored by their event id so a replay changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db


class PaymentEvent(db.Model):
    """One webhook event (DESIGN invariant 6). The unique (provider, event id) pair is the
    guard: a second delivery of the same event fails to insert and is answered 200 unchanged."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="one_row_per_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(String(80), nullable=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class GatewayPayment(db.Model):
    """One payment through the local gateway (QRIS, e-wallet, VA), for an order or a counter
    sale. `reference` is the id the gateway knows it by (the order or sale number); what the
    shopper needs to pay (QR string, deep link, VA number) is kept to show again."""

    __tablename__ = "gateway_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    reference: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(10), nullable=False, default="order")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    counter_sale_id: Mapped[int | None] = mapped_column(ForeignKey("counter_sales.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    transaction_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    qr_string: Mapped[str] = mapped_column(Text, nullable=False, default="")
    deeplink_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    va_number: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    biller_code: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    fee: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
