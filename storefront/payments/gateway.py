"""The local payment gateway interface: QRIS, e-wallets and bank virtual accounts.

The store shows the QR code, the e-wallet link or the VA number on its own order page (the
gateway's "Core API" style, not a hosted page), so a gateway must return them from `charge`.
Midtrans lives in payments/midtrans.py; Xendit would be a second class with the same methods,
chosen in `gateway()` (docs/decisions.md, "Local payment gateway").

Everything the gateway says about a payment, from a notification or from its status API, is
turned into one `GatewayStatus`: the order side (orders/gateway_events.py) never sees the
gateway's own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from storefront.payments.providers import PaymentError


class Channel(StrEnum):
    """How the shopper pays through the gateway (what they choose at checkout)."""

    QRIS = "qris"
    GOPAY = "gopay"
    SHOPEEPAY = "shopeepay"
    BCA = "bca"
    BNI = "bni"
    BRI = "bri"
    MANDIRI = "mandiri"


QR_CHANNELS = (Channel.QRIS,)
WALLET_CHANNELS = (Channel.GOPAY, Channel.SHOPEEPAY)
VA_CHANNELS = (Channel.BCA, Channel.BNI, Channel.BRI, Channel.MANDIRI)

CHANNEL_LABELS = {
    Channel.QRIS: _l("QRIS (any bank or e-wallet app)"),
    Channel.GOPAY: _l("GoPay"),
    Channel.SHOPEEPAY: _l("ShopeePay"),
    Channel.BCA: _l("BCA virtual account"),
    Channel.BNI: _l("BNI virtual account"),
    Channel.BRI: _l("BRI virtual account"),
    Channel.MANDIRI: _l("Mandiri virtual account (bill payment)"),
}


def channel_kind(channel: str) -> str:
    """qr, wallet or va: decides the hold time, the order page and how refunds go."""
    if channel in VA_CHANNELS:
        return "va"
    if channel in WALLET_CHANNELS:
        return "wallet"
    return "qr"


class PaymentState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"
    REFUNDED = "refunded"


class BadNotification(Exception):
    """Not a genuine notification (bad signature, not JSON, fields missing)."""


@dataclass(frozen=True)
class Charge:
    """What the gateway answered to a new payment; shown on the order page."""

    transaction_id: str
    qr_string: str = ""
    deeplink_url: str = ""
    va_number: str = ""
    biller_code: str = ""  # Mandiri bill payment: company code + bill key
    expires_at: datetime | None = None


@dataclass(frozen=True)
class GatewayStatus:
    """One thing the gateway said about one payment, in the store's words."""

    reference: str  # our id for the payment at the gateway (the order or sale number)
    transaction_id: str
    state: PaymentState
    raw_status: str  # the gateway's own status word, kept in the event log
    amount: int | None  # whole rupiah; None when the gateway sent a fraction or nothing
    currency: str = "IDR"
    channel: str = ""
    fee: int | None = None
    event_id: str = ""  # unique per (payment, status): a replay has the same id
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    confirmed: bool  # False: the gateway accepted it but has not paid it out yet


class GatewayProvider(Protocol):
    name: str

    def charge(
        self, reference: str, amount: int, channel: str, *, minutes: int, customer: dict
    ) -> Charge:
        """Create the payment; the same reference twice must not create two payments."""

    def status(self, reference: str) -> GatewayStatus | None:
        """What the gateway knows of the payment now; None when it knows nothing."""

    def expire(self, reference: str) -> None:
        """Close an unpaid payment (the order was cancelled)."""

    def refund(self, reference: str, amount: int, *, idempotency_key: str, reason: str):
        """Give `amount` back through the gateway; returns a RefundResult."""

    def parse_notification(self, body: bytes) -> GatewayStatus:
        """Verify (constant time) and read a notification; raises BadNotification."""

    def refundable(self, channel: str) -> bool:
        """Whether money paid this way can go back through the gateway."""


def gateway_name() -> str:
    return (current_app.config.get("PAYMENT_GATEWAY") or "").strip().lower()


def gateway_enabled() -> bool:
    """QRIS, e-wallets and VA are offered only when a gateway is configured."""
    name = gateway_name()
    if name == "fake":
        return current_app.config.get("STOREFRONT_ENV") != "production"
    return name == "midtrans" and bool(current_app.config.get("MIDTRANS_SERVER_KEY"))


def gateway() -> GatewayProvider:
    if not gateway_enabled():
        raise PaymentError(_l("Payment by QRIS, e-wallet or virtual account is not available."))
    from storefront.payments.midtrans import MidtransGateway

    # The fake gateway speaks Midtrans, so the real client is what talks to it.
    return MidtransGateway.from_config(current_app.config)
