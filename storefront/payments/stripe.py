"""Card payment through Stripe Checkout (the hosted payment page), behind PaymentProvider.

Facts this file is built on (docs/decisions.md, "Card payments (Stripe)"):
- IDR is not a zero-decimal currency for Stripe: the API amount is rupiah × 100.
- A Checkout Session's `expires_at` must be 30 minutes to 24 hours after it is created.
- stripe-python 16 returns objects, not dicts: attribute access, `to_dict()`.
- Every call that creates something carries an idempotency key, so a retried request (ours or the
  library's network retry) never makes a second payment page or a second refund.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import stripe
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from storefront.database import utcnow
from storefront.money import format_rupiah
from storefront.payments.providers import CheckoutStart, PaymentError
from storefront.settings.services import get_setting

CURRENCY = "idr"
# Stripe accepts expires_at between 30 minutes and 24 hours ahead; a minute of margin each side
# covers the time between computing it and Stripe receiving the request.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
SESSION_MAX_LIFETIME = timedelta(hours=23, minutes=59)
# A shopper waits on these calls at checkout; Stripe's default of 80 seconds is far too long.
TIMEOUT_SECONDS = 20


def to_stripe_amount(rupiah: int) -> int:
    """IDR has two decimals at Stripe even though rupiah are never split: Rp85.000 → 8500000."""
    return int(rupiah) * 100


def from_stripe_amount(amount: int) -> int:
    return int(amount) // 100


def session_expiry(reserved_until: datetime | None, now: datetime | None = None) -> datetime:
    """When the payment page closes: when the stock hold ends, moved into Stripe's window.

    The card hold is 30 minutes by default, so by the time the page is created it is a few
    seconds short of Stripe's minimum; the page then outlives the hold by about a minute. A
    payment made in that minute still counts: mark_paid holds the stock again, or flags the
    order for a refund when it has been sold meanwhile.
    """
    now = now or utcnow()
    wanted = reserved_until or now + SESSION_MIN_LIFETIME
    return min(max(wanted, now + SESSION_MIN_LIFETIME), now + SESSION_MAX_LIFETIME)


def payment_method_types() -> list[str]:
    value = get_setting("stripe_payment_method_types")
    types = [part for part in re.split(r"[\s,]+", value.strip().lower()) if part]
    return types or ["card"]


_HTTP = {}


def _http_client() -> stripe.HTTPClient:
    """One client per process: its connections are kept alive between payments (one
    requests.Session per thread inside it)."""
    if "client" not in _HTTP:
        _HTTP["client"] = stripe.RequestsClient(timeout=TIMEOUT_SECONDS)
    return _HTTP["client"]


class StripeProvider:
    name = "stripe"

    def __init__(self, secret_key: str, *, api_base: str = ""):
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=_http_client(),
            # One retry of a dropped connection; the idempotency keys make it safe.
            max_network_retries=1,
        )

    @classmethod
    def from_config(cls, config) -> StripeProvider:
        return cls(config["STRIPE_SECRET_KEY"], api_base=config.get("STRIPE_API_BASE") or "")

    # --- PaymentProvider ---------------------------------------------------------------------

    def start_checkout(self, order, *, success_url: str, cancel_url: str) -> CheckoutStart:
        """Create the order's payment page; the caller commits the stored session id."""
        params = {
            "mode": "payment",
            "line_items": self._line_items(order),
            "client_reference_id": order.number,
            "metadata": {"order_number": order.number},
            # Copied to the payment, so its charge and refund events name the order too.
            "payment_intent_data": {"metadata": {"order_number": order.number}},
            "customer_email": order.email,
            # Anchored to the order, not to this call: pressing "Pay" again sends the very same
            # parameters, so Stripe replays the first page under the idempotency key instead of
            # refusing a second request that differs by a second.
            "expires_at": int(
                session_expiry(order.reserved_until, now=order.created_at).timestamp()
            ),
            "payment_method_types": payment_method_types(),
            "locale": "en" if order.locale == "en" else "id",
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": f"checkout-{order.number}"},
        )
        order.provider_session_id = session.id
        return CheckoutStart(redirect_url=session.url, session_id=session.id)

    def expire_checkout(self, order) -> None:
        """Close the payment page; one already paid or expired is left as it is."""
        if not order.provider_session_id:
            return
        try:
            self.client.v1.checkout.sessions.expire(order.provider_session_id)
        except stripe.InvalidRequestError:
            # Stripe only expires open sessions; find out whether this one is simply closed.
            session = self._call(
                self.client.v1.checkout.sessions.retrieve, order.provider_session_id
            )
            if session.status != "open":
                return
            raise PaymentError(_l("The card payment page could not be closed.")) from None
        except stripe.StripeError as error:
            raise _payment_error(error) from error

    def refund(self, order, amount: int, *, idempotency_key: str) -> str:
        """Give `amount` rupiah of the card payment back; returns Stripe's refund id.

        Checked here before calling Stripe: Stripe (and the test fake) would otherwise be the
        only guard against refunding more than was paid.
        """
        if amount <= 0:
            raise PaymentError(_l("The refund amount must be more than zero."))
        if amount > order.refundable_amount:
            raise PaymentError(
                _l(
                    "Only %(left)s of this order can still be refunded.",
                    left=format_rupiah(order.refundable_amount),
                )
            )
        if not order.provider_payment_id:
            raise PaymentError(_l("This order has no card payment to refund."))
        refund = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": order.provider_payment_id,
                "amount": to_stripe_amount(amount),
                # Tells the charge.refunded webhook this refund is the store's own, recorded by
                # the store, even if the webhook arrives before the store's transaction commits.
                "metadata": {"order_number": order.number, "source": "store"},
            },
            options={"idempotency_key": idempotency_key},
        )
        if refund.status == "failed":
            raise PaymentError(_l("Stripe could not refund this payment."))
        return refund.id

    # --- used by the webhook -----------------------------------------------------------------

    def refunds_of_charge(self, charge_id: str) -> list[dict]:
        page = self._call(self.client.v1.refunds.list, params={"charge": charge_id, "limit": 100})
        return [refund.to_dict() for refund in page.data]

    # --- helpers -----------------------------------------------------------------------------

    def _line_items(self, order) -> list[dict]:
        items = [
            {
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": to_stripe_amount(line.unit_price),
                    "product_data": {"name": f"{line.display_name} ({line.unit})"},
                },
                "quantity": line.quantity,
            }
            for line in order.lines
        ]
        if order.delivery_fee > 0:
            with force_locale(order.locale or "id"):
                name = str(_l("Delivery to %(kecamatan)s", kecamatan=order.delivery_kecamatan))
            items.append(
                {
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": to_stripe_amount(order.delivery_fee),
                        "product_data": {"name": name},
                    },
                    "quantity": 1,
                }
            )
        return items

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except stripe.StripeError as error:
            raise _payment_error(error) from error


def _payment_error(error: stripe.StripeError) -> PaymentError:
    """A message safe to show for any Stripe failure; the details go to the log."""
    current_app.logger.warning(
        "Stripe call failed: %s %s (request %s)",
        type(error).__name__,
        error.user_message or str(error),
        getattr(error, "request_id", None),
    )
    if isinstance(error, stripe.APIConnectionError):
        return PaymentError(_l("The card payment service could not be reached."))
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentError(_l("The card payment service is not set up correctly."))
    if isinstance(error, stripe.RateLimitError):
        return PaymentError(_l("The card payment service is busy; try again in a minute."))
    reason = error.user_message or str(error) or type(error).__name__
    return PaymentError(_l("The card payment service refused: %(reason)s", reason=reason))
