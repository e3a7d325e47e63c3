"""What Stripe tells us about payments, applied to orders (DESIGN invariant 6).

Every event is stored by its id before it is acted on, in the webhook's one transaction: a
second delivery of the same event fails to insert and changes nothing, and an event whose
handling fails is not stored either (the whole action rolls back), so Stripe's retry is
processed. Events may arrive late, twice or
out of order (an expiry after the payment, a payment after the expiry), so each handler looks at
the order as it is now rather than assuming what came before.

Outcomes written to PaymentEvent.outcome are for the people reading the event log; problems a
manager must act on go on the order (`services.flag`), in the shop's language.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import notify, services
from storefront.orders.models import Order, OrderStatus, PaidWith, Refund
from storefront.payments.models import PaymentEvent
from storefront.payments.stripe import (
    CURRENCY,
    StripeProvider,
    from_stripe_amount,
    to_stripe_amount,
)

PROVIDER = "stripe"


class BadWebhook(Exception):
    """Not a genuine Stripe event (bad or missing signature, not JSON): answered 400."""


class AlreadyProcessed(Exception):
    """This event id was stored before: answered 200, nothing changes."""


@dataclass
class Outcome:
    text: str
    order: Order | None = None


def verify(payload: bytes, signature: str | None) -> dict:
    """The event as plain dicts, or BadWebhook when Stripe did not sign exactly these bytes."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"]
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadWebhook(str(error)) from error
    data = event.to_dict()
    if not data.get("id") or not data.get("type") or not isinstance(data.get("data"), dict):
        raise BadWebhook("not an event")
    return data


def receive(event: dict, payload: str) -> Outcome:
    """Store the event and act on it. Raises AlreadyProcessed for a replay (nothing changes).

    Any other failure propagates: the webhook's unit of work rolls back, the event with it.
    """
    record = PaymentEvent(
        provider=PROVIDER, event_id=event["id"], event_type=event["type"][:80], payload=payload
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        raise AlreadyProcessed(event["id"]) from None
    handler = HANDLERS.get(event["type"])
    outcome = handler(event["data"].get("object") or {}) if handler else Outcome("ignored")
    record.outcome = outcome.text[:255]
    record.order_id = outcome.order.id if outcome.order is not None else None
    return outcome


# --- finding the order ---------------------------------------------------------------------


def _locked_order(*conditions) -> Order | None:
    return db.session.scalar(
        select(Order).where(*conditions).with_for_update().execution_options(populate_existing=True)
    )


def _order_for_session(session: dict) -> Order | None:
    number = (session.get("metadata") or {}).get("order_number") or session.get(
        "client_reference_id"
    )
    order = _locked_order(Order.number == number) if number else None
    if order is None and session.get("id"):
        order = _locked_order(Order.provider_session_id == session["id"])
    return order


def _order_for_charge(charge: dict) -> Order | None:
    order = None
    if charge.get("payment_intent"):
        order = _locked_order(Order.provider_payment_id == charge["payment_intent"])
    number = (charge.get("metadata") or {}).get("order_number")
    if order is None and number:
        order = _locked_order(Order.number == number)
    return order


# --- checkout sessions ---------------------------------------------------------------------


def session_paid(session: dict) -> Outcome:
    """checkout.session.completed and .async_payment_succeeded: check the amount, then mark
    the order paid, which commits the held stock as online sales."""
    if session.get("payment_status") != "paid":
        # Completed but the money is still on its way (QRIS, bank methods): async event follows.
        return Outcome("payment still pending")
    order = _order_for_session(session)
    if order is None:
        return Outcome("unknown order")
    payment_id = session.get("payment_intent") or ""
    if order.provider_session_id is None:
        order.provider_session_id = session.get("id")
    if order.is_paid:
        if payment_id and order.provider_payment_id and payment_id != order.provider_payment_id:
            services.flag(
                order,
                str(
                    _l(
                        "A second card payment (%(reference)s) arrived for this paid order: "
                        "refund it in the Stripe dashboard.",
                        reference=payment_id,
                    )
                ),
            )
            return Outcome("second payment for a paid order: flagged", order)
        return Outcome("already paid", order)

    expected = to_stripe_amount(order.total)
    currency = (session.get("currency") or "").lower()
    amount = session.get("amount_total")
    if currency != CURRENCY or amount != expected:
        paid = (
            format_rupiah(from_stripe_amount(amount))
            if currency == CURRENCY and isinstance(amount, int)
            else f"{amount} {currency.upper()}"
        )
        services.flag(
            order,
            str(
                _l(
                    "Stripe reports a payment of %(paid)s but the order total is %(total)s; "
                    "the order is not marked paid. Check payment %(reference)s in the Stripe "
                    "dashboard.",
                    paid=paid,
                    total=format_rupiah(order.total),
                    reference=payment_id or session.get("id"),
                )
            ),
        )
        # Kept so a manager can find and refund the payment.
        order.provider_payment_id = payment_id or None
        return Outcome(
            f"amount mismatch: {amount} {currency}, expected {expected} idr: flagged", order
        )

    order.provider_payment_id = payment_id or None
    was_cancelled = order.status == OrderStatus.CANCELLED
    services.mark_paid(order, paid_with=PaidWith.CARD, amount=order.total, reference=payment_id)
    if order.status != OrderStatus.PAID:
        return Outcome("paid after cancellation, goods gone: flagged", order)

    notify.order_paid(order)
    return Outcome("paid after expiry, stock held again" if was_cancelled else "paid", order)


def _session_closed(reason) -> Callable[[dict], Outcome]:
    """checkout.session.expired and .async_payment_failed: cancel the unpaid order."""

    def handle(session: dict) -> Outcome:
        order = _order_for_session(session)
        if order is None:
            return Outcome("unknown order")
        if order.is_paid:
            return Outcome("ignored: order already paid", order)
        if order.provider_session_id and order.provider_session_id != session.get("id"):
            return Outcome("ignored: not the order's payment page", order)
        if order.status == OrderStatus.CANCELLED:
            return Outcome("already cancelled", order)
        if order.status not in services.OPEN_UNPAID:
            return Outcome(f"ignored: order is {order.status}", order)
        services.cancel(order, reason=str(reason))
        notify.order_cancelled(order)
        return Outcome("cancelled, stock released", order)

    return handle


# --- refunds -------------------------------------------------------------------------------


def charge_refunded(charge: dict) -> Outcome:
    """A refund made in the Stripe dashboard is recorded on the order (no goods come back to
    the shelf; a manager decides). The store's own refunds are recorded by the store and
    carry metadata source=store and their refund id, so they are never counted twice."""
    order = _order_for_charge(charge)
    if order is None:
        return Outcome("unknown order")
    if from_stripe_amount(charge.get("amount_refunded") or 0) <= order.refunded_amount:
        return Outcome("refunds already recorded", order)
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:
        # Since API version 2022-11-15 the charge no longer lists its refunds.
        refunds = StripeProvider.from_config(current_app.config).refunds_of_charge(charge["id"])
    recorded = 0
    for refund in sorted(refunds, key=lambda r: r.get("created") or 0):
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        if (refund.get("metadata") or {}).get("source") == "store":
            continue
        if db.session.scalar(select(Refund.id).where(Refund.provider_reference == refund["id"])):
            continue
        amount = min(from_stripe_amount(refund["amount"]), order.total - order.refunded_amount)
        if amount <= 0:
            continue
        db.session.add(
            Refund(
                order_id=order.id,
                amount=amount,
                method="stripe",
                restocked=False,
                reason=str(_l("Refunded in the Stripe dashboard.")),
                idempotency_key=f"stripe-dashboard-{refund['id']}"[:64],
                provider_reference=refund["id"],
            )
        )
        order.refunded_amount += amount
        recorded += amount
        services.note(
            order,
            "refund",
            str(
                _l(
                    "%(amount)s refunded in the Stripe dashboard (%(reference)s).",
                    amount=format_rupiah(amount),
                    reference=refund["id"],
                )
            ),
        )
    if not recorded:
        return Outcome("no refunds from the dashboard", order)
    services.flag(
        order,
        str(_l("Refunded in the Stripe dashboard: decide whether the goods go back on the shelf.")),
    )
    if order.is_paid and order.refunded_amount >= (order.paid_amount or 0):
        # Already refunded (or cancelled): the money is recorded either way.
        with suppress(services.InvalidTransition):
            services.transition(order, OrderStatus.REFUNDED)
    return Outcome(f"dashboard refund of {recorded} recorded", order)


HANDLERS: dict[str, Callable[[dict], Outcome]] = {
    "checkout.session.completed": session_paid,
    "checkout.session.async_payment_succeeded": session_paid,
    "checkout.session.expired": _session_closed(_l("The payment page expired before payment.")),
    "checkout.session.async_payment_failed": _session_closed(_l("The payment failed.")),
    "charge.refunded": charge_refunded,
}
