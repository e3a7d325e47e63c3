"""The payment-provider interface. Stripe lives in payments/stripe.py; another Indonesian
gateway (Midtrans, Xendit…) would be a second class beside it, registered in `provider()`.

Pay-at-the-outlet needs no provider: the order waits, and a manager records the payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from storefront.errors import DomainError


class PaymentError(DomainError):
    """The provider refused or could not be reached; `message` is safe to show."""


@dataclass(frozen=True)
class CheckoutStart:
    """Where to send the shopper to pay, and the provider's id for this payment."""

    redirect_url: str
    session_id: str


class PaymentProvider(Protocol):
    name: str

    def start_checkout(self, order, *, success_url: str, cancel_url: str) -> CheckoutStart:
        """Create the hosted payment page for `order` (idempotent per order)."""

    def expire_checkout(self, order) -> None:
        """Close the payment page so it can no longer be paid (order cancelled)."""

    def refund(self, order, amount: int, *, idempotency_key: str) -> str:
        """Give `amount` rupiah back; returns the provider's refund id."""


def card_payments_enabled() -> bool:
    """Card payment is offered only when the Stripe keys are configured."""
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def provider(name: str = "stripe") -> PaymentProvider:
    if name != "stripe" or not card_payments_enabled():
        raise PaymentError(f"payment provider {name!r} is not configured")
    from storefront.payments.stripe import StripeProvider

    return StripeProvider.from_config(current_app.config)
