"""A dynamic QRIS for a counter sale, from the same payment gateway as the web shop.

The cashier asks for a QR code for the running sale's total (`prepare`, then `charge` between
two units of work, then `store`); the till shows it and asks every few seconds whether it is
paid. The gateway's notification (orders/gateway_events.py) marks the payment paid; the till
then rings the sale up (`complete`) as a QRIS payment whose reference is the gateway's
transaction id, through the same `selling.ring_up` as every sale. Until then nothing is booked:
the goods are on the counter, in front of the buyer.

Today's static QRIS with a reference typed by the cashier stays beside it (the payment form).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront import audit
from storefront.database import ensure_write_lock
from storefront.extensions import db
from storefront.payments.gateway import Channel, PaymentState, gateway
from storefront.payments.models import GatewayPayment
from storefront.pos import selling
from storefront.pos.models import CounterSale, Shift
from storefront.pos.selling import RunningSale
from storefront.pos.services import PosError

# How long the QR code can be paid; the buyer is standing at the counter.
QR_MINUTES = 15


def _total(sale: RunningSale) -> int:
    return sum(line.amount for line in selling.lines_of(sale))


def prepare(shift: Shift, cashier, sale: RunningSale) -> GatewayPayment:
    """The payment, stored before the gateway is asked. Each attempt has its own reference
    (the gateway refuses a reference twice)."""
    total = _total(sale)
    if total <= 0:
        raise PosError(_l("The sale is empty: scan a product first."), "code")
    prefix = f"KSQ-{shift.id}-{sale.key[:12]}"
    tries = db.session.scalar(
        select(func.count())
        .select_from(GatewayPayment)
        .where(GatewayPayment.reference.like(f"{prefix}-%"))
    )
    payment = GatewayPayment(
        provider="midtrans",
        reference=f"{prefix}-{tries + 1}",
        purpose="counter",
        channel=Channel.QRIS.value,
        amount=total,
        status=PaymentState.PENDING.value,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(
        cashier,
        "counter_sale.qris_start",
        payment,
        after={"reference": payment.reference, "amount": total},
    )
    return payment


def charge(payment: GatewayPayment):
    """Ask the gateway for the QR code (no database write). Raises PaymentError."""
    return gateway().charge(
        payment.reference, payment.amount, payment.channel, minutes=QR_MINUTES, customer={}
    )


def store(payment_id: int, answer) -> GatewayPayment:
    ensure_write_lock()
    payment = _locked(payment_id)
    payment.transaction_id = payment.transaction_id or answer.transaction_id or None
    payment.qr_string = answer.qr_string
    payment.expires_at = answer.expires_at
    return payment


def _locked(payment_id: int) -> GatewayPayment:
    payment = db.session.scalar(
        select(GatewayPayment)
        .where(GatewayPayment.id == payment_id, GatewayPayment.purpose == "counter")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise PosError(_l("This QRIS payment is not known."))
    return payment


def payment_for(payment_id: int | None) -> GatewayPayment | None:
    if not payment_id:
        return None
    return db.session.scalar(
        select(GatewayPayment).where(
            GatewayPayment.id == payment_id, GatewayPayment.purpose == "counter"
        )
    )


def complete(shift: Shift, cashier, sale: RunningSale, payment_id: int) -> CounterSale:
    """Ring the sale up once its QRIS payment is paid; twice gives the same sale."""
    ensure_write_lock()
    payment = _locked(payment_id)
    if payment.counter_sale_id is not None:
        return db.session.get(CounterSale, payment.counter_sale_id)
    if payment.status != PaymentState.PAID:
        raise PosError(_l("The QRIS payment has not arrived yet."), "qris")
    if payment.amount != _total(sale):
        raise PosError(
            _l(
                "The sale changed after the QR code was made. Cancel it and make a new one; "
                "the buyer has paid the old amount, so refund it if needed."
            ),
            "qris",
        )
    record = selling.ring_up(
        shift,
        cashier,
        sale,
        selling.PaymentInput(qris=payment.amount, qris_reference=payment.transaction_id or ""),
    )
    payment.counter_sale_id = record.id
    return record


def cancel(cashier, payment_id: int) -> GatewayPayment:
    """The buyer pays another way: the QR code is closed (after the commit, by the view)."""
    ensure_write_lock()
    payment = _locked(payment_id)
    if payment.status == PaymentState.PAID:
        raise PosError(_l("This QRIS payment is already paid: finish the sale."), "qris")
    payment.status = PaymentState.FAILED.value
    audit.record(cashier, "counter_sale.qris_cancel", payment, after={"status": payment.status})
    return payment
