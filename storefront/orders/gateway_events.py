"""Payments by QRIS, e-wallet and virtual account through the local gateway, applied to orders.

Starting a payment: `prepare` (in the checkout's unit of work) stores a GatewayPayment for the
order under the order's number; the view commits, then `charge` asks the gateway (no lock held
while it answers) and `store_charge` keeps what the shopper needs (QR string, deep link, VA
number) in a second unit. A notification arriving before that second unit finds the payment
already stored, by its reference.

What the gateway says (a notification, or its status API when the poll asks) is stored by event
id before it is acted on, in one transaction, exactly as Stripe's events are
(orders/payment_events.py): a replay fails to insert and changes nothing; two deliveries at
once wait on the unique index and the second is a replay. Each handler looks at the order as it
is now (row lock), so late and out-of-order news is handled: "pending" or "expire" after
"settlement" changes nothing; "settlement" after the hold ran out is a payment after expiry
(docs/decisions.md): the stock is held again when it is still there, else the order is flagged
for a refund.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.database import ensure_write_lock, utcnow
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import notify, services
from storefront.orders.models import Order, OrderStatus, PaidWith, PaymentMethod
from storefront.payments.gateway import (
    GatewayStatus,
    PaymentState,
    channel_kind,
    gateway,
)
from storefront.payments.models import GatewayPayment, PaymentEvent
from storefront.payments.providers import PaymentError
from storefront.settings.services import get_setting
from storefront.stock import ledger


class AlreadyProcessed(Exception):
    """This notification was stored before: answered 200, nothing changes."""


@dataclass
class Outcome:
    text: str
    order: Order | None = None
    payment: GatewayPayment | None = None


POLL_WINDOW = timedelta(days=2)
PAID_WITH = {"qr": PaidWith.QRIS, "wallet": PaidWith.EWALLET, "va": PaidWith.VA}


# --- starting a payment --------------------------------------------------------------------


def payment_of(order: Order) -> GatewayPayment | None:
    return db.session.scalar(select(GatewayPayment).where(GatewayPayment.order_id == order.id))


def prepare(order: Order, channel: str) -> GatewayPayment:
    """The order's payment, before the gateway is asked (in the checkout's transaction)."""
    payment = GatewayPayment(
        provider=gateway_provider_name(),
        reference=order.number,
        purpose="order",
        order_id=order.id,
        channel=channel,
        amount=order.total,
        status=PaymentState.PENDING.value,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def gateway_provider_name() -> str:
    return "midtrans"


def charge(order: Order, payment: GatewayPayment):
    """Ask the gateway for the QR code / link / VA number. No database write: called between
    two units of work. Raises PaymentError (the shopper may try again or pay at the outlet)."""
    minutes = max(1, int((order.reserved_until - utcnow()).total_seconds() // 60))
    return gateway().charge(
        payment.reference,
        payment.amount,
        payment.channel,
        minutes=minutes,
        customer={
            "first_name": order.contact_name[:50],
            "email": order.email,
            "phone": order.phone,
        },
    )


def store_charge(payment: GatewayPayment, answer) -> GatewayPayment:
    ensure_write_lock()
    payment = _lock_payment(GatewayPayment.id == payment.id)
    if payment.transaction_id is None:
        payment.transaction_id = answer.transaction_id or None
    payment.qr_string = answer.qr_string
    payment.deeplink_url = answer.deeplink_url
    payment.va_number = answer.va_number
    payment.biller_code = answer.biller_code
    payment.expires_at = answer.expires_at
    return payment


def switch_to_outlet(order: Order, *, actor=None) -> None:
    """The gateway could not be reached: the shopper pays at the outlet instead, and the goods
    wait as long as for any pay-at-the-outlet order."""
    payment = payment_of(order)
    if (
        order.payment_method != PaymentMethod.GATEWAY
        or order.status != OrderStatus.PENDING_PAYMENT
        or order.is_paid
        or (payment is not None and payment.transaction_id)
    ):
        raise services.OrderError(_l("This order cannot change how it is paid any more."))
    until = utcnow() + timedelta(hours=int(get_setting("reservation_hours_outlet")))
    if order.reservation is not None:
        ledger.extend(order.reservation, until)
    order.reserved_until = until
    order.payment_method = PaymentMethod.OUTLET.value
    if payment is not None:
        payment.status = PaymentState.FAILED.value
    services.note(order, "payment", str(_l("The shopper chose to pay at the outlet.")), actor=actor)


# --- what the gateway says -----------------------------------------------------------------


def receive(status: GatewayStatus, payload: str) -> Outcome:
    """Store the news and act on it. Raises AlreadyProcessed for a replay (nothing changes)."""
    record = PaymentEvent(
        provider=gateway_provider_name(),
        event_id=status.event_id[:255],
        event_type=status.raw_status[:80] or "unknown",
        payload=payload,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        raise AlreadyProcessed(status.event_id) from None
    outcome = apply(status)
    record.outcome = outcome.text[:255]
    record.order_id = outcome.order.id if outcome.order is not None else None
    return outcome


def _lock_payment(*conditions) -> GatewayPayment | None:
    return db.session.scalar(
        select(GatewayPayment)
        .where(*conditions)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _lock_order(order_id: int) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def apply(status: GatewayStatus) -> Outcome:
    payment = _lock_payment(GatewayPayment.reference == status.reference)
    if payment is None:
        return Outcome("unknown payment")
    if payment.transaction_id is None and status.transaction_id:
        payment.transaction_id = status.transaction_id
    if status.fee is not None:
        payment.fee = status.fee
    if payment.purpose == "counter":
        return _counter(payment, status)
    if payment.order_id is None:
        return Outcome(f"ignored: {payment.purpose} payment", payment=payment)
    order = _lock_order(payment.order_id)
    if order is None:
        return Outcome("unknown order", payment=payment)
    handler = {
        PaymentState.PAID: _paid,
        PaymentState.EXPIRED: _closed,
        PaymentState.FAILED: _closed,
    }.get(status.state)
    if handler is None:
        return Outcome(f"noted: {status.raw_status}", order, payment)
    return handler(order, payment, status)


def _paid(order: Order, payment: GatewayPayment, status: GatewayStatus) -> Outcome:
    if order.is_paid:
        return Outcome("already paid", order, payment)
    if status.currency != "IDR" or status.amount != order.total or status.amount != payment.amount:
        paid = (
            format_rupiah(status.amount)
            if status.amount is not None and status.currency == "IDR"
            else f"{status.payload.get('gross_amount')} {status.currency}"
        )
        services.flag(
            order,
            str(
                _l(
                    "The payment gateway reports a payment of %(paid)s but the order total is "
                    "%(total)s; the order is not marked paid. Check transaction %(reference)s "
                    "in the gateway's dashboard.",
                    paid=paid,
                    total=format_rupiah(order.total),
                    reference=status.transaction_id,
                )
            ),
        )
        payment.status = "mismatch"
        payment.paid_amount = status.amount
        return Outcome(f"amount mismatch: {status.payload.get('gross_amount')}: flagged", order)
    was_cancelled = order.status == OrderStatus.CANCELLED
    services.mark_paid(
        order,
        paid_with=PAID_WITH[channel_kind(payment.channel)],
        amount=order.total,
        reference=status.transaction_id,
    )
    payment.status = PaymentState.PAID.value
    payment.paid_at = order.paid_at
    payment.paid_amount = status.amount
    if order.status != OrderStatus.PAID:
        return Outcome("paid after cancellation, goods gone: flagged", order, payment)
    notify.order_paid(order)
    return Outcome("paid after expiry, stock held again" if was_cancelled else "paid", order)


def _closed(order: Order, payment: GatewayPayment, status: GatewayStatus) -> Outcome:
    if payment.status == PaymentState.PENDING:
        payment.status = status.state.value
    if order.is_paid:
        return Outcome("ignored: order already paid", order, payment)
    if order.status == OrderStatus.CANCELLED:
        return Outcome("already cancelled", order, payment)
    if order.status not in services.OPEN_UNPAID or order.payment_method != PaymentMethod.GATEWAY:
        return Outcome(f"ignored: order is {order.status}", order, payment)
    reason = (
        _l("The payment expired before it was paid.")
        if status.state == PaymentState.EXPIRED
        else _l("The payment failed.")
    )
    services.cancel(order, reason=str(reason))
    notify.order_cancelled(order)
    return Outcome("cancelled, stock released", order, payment)


def _counter(payment: GatewayPayment, status: GatewayStatus) -> Outcome:
    """A dynamic QRIS at the counter: the payment is recorded here; the till, which asks for it
    every few seconds, rings the sale up (pos/gateway_sale.py) once it is paid."""
    if status.state == PaymentState.PAID:
        if payment.status == PaymentState.PAID:
            return Outcome("counter payment already paid", payment=payment)
        if status.currency != "IDR" or status.amount != payment.amount:
            payment.status = "mismatch"
            payment.paid_amount = status.amount
            return Outcome(f"counter amount mismatch: {status.amount}", payment=payment)
        payment.status = PaymentState.PAID.value
        payment.paid_at = utcnow()
        payment.paid_amount = status.amount
        return Outcome("counter payment paid", payment=payment)
    closed = status.state in (PaymentState.EXPIRED, PaymentState.FAILED)
    if closed and payment.status == PaymentState.PENDING:
        payment.status = status.state.value
        return Outcome(f"counter payment {status.state.value}", payment=payment)
    return Outcome(f"counter payment: {status.raw_status} noted", payment=payment)


# --- the safety net ------------------------------------------------------------------------


def poll_pending_payments(limit: int = 200) -> dict[str, int]:
    """Ask the gateway's status API about every payment still pending here, and apply what it
    says as if it were a notification (same event ids, so a notification arriving later is a
    replay). For a scheduled job every few minutes; returns counts for its log.

    The gateway is asked first, with no lock held; then each answer is applied in this unit of
    work. A gateway that cannot be reached is logged and left for the next run.
    """
    # Also those whose charge answer never reached us (a timeout): the gateway knows them by
    # reference. Two days back covers the longest hold (a VA, 24 hours) with room to spare.
    pending = db.session.scalars(
        select(GatewayPayment)
        .where(GatewayPayment.status == PaymentState.PENDING.value)
        .where(GatewayPayment.created_at > utcnow() - POLL_WINDOW)
        .order_by(GatewayPayment.id)
        .limit(limit)
    ).all()
    counts = {"asked": 0, "changed": 0, "unreachable": 0}
    answers = []
    for payment in pending:
        counts["asked"] += 1
        try:
            status = gateway().status(payment.reference)
        except PaymentError:
            counts["unreachable"] += 1
            continue
        if status is not None and status.state != PaymentState.PENDING:
            answers.append(status)
    for status in answers:
        try:
            with db.session.begin_nested():
                outcome = receive(status, json.dumps(status.payload, sort_keys=True))
        except AlreadyProcessed:
            continue
        counts["changed"] += 1
        current_app.logger.info("poll %s: %s", status.reference, outcome.text)
    return counts
