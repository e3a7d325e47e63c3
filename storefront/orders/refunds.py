"""Giving money back: the whole order or some of its lines, through the payment provider for
card orders or in cash at the counter; the manager decides whether the goods go back on the
shelf (DESIGN invariant 5).

A card refund is one of the two actions that need two units of work (docs/decisions.md). First
the refund is checked (only paid orders, never more than is left, line by line), written with
its idempotency key and committed (`commit_now`). Then the provider is called with that key,
and only when it confirms are the amounts counted on the order and its lines, in the second
unit. A retry of the same form submission carries the same key (a hidden token in the form),
so it finds the row and, if the provider was not confirmed yet, asks again with the same key:
the provider refunds once. While such a refund waits, no other refund of the order is
accepted, so two managers cannot both refund the last rupiah. If the provider refuses, the row
is removed (and that is committed) and nothing has changed. A cash refund is one unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront import audit
from storefront.catalog.commission import refund_commission
from storefront.database import commit_now, ensure_write_lock, utcnow
from storefront.extensions import db
from storefront.indonesia import banks
from storefront.indonesia.identifiers import InvalidIdentifier, mask
from storefront.money import format_rupiah
from storefront.orders import notify, services
from storefront.orders.models import (
    PROVIDER_REFUNDS,
    Order,
    OrderLine,
    OrderStatus,
    PaidWith,
    PaymentMethod,
    Refund,
    RefundLine,
    RefundMethod,
)
from storefront.orders.services import OrderError
from storefront.payments.gateway import gateway, gateway_enabled
from storefront.payments.models import GatewayPayment
from storefront.payments.providers import PaymentError, provider
from storefront.stock import ledger
from storefront.stock.models import Batch, MovementKind, StockMovement


def methods_for(order: Order) -> list[RefundMethod]:
    """Card orders go back through the provider, e-wallet payments through the gateway (QRIS
    from most issuers and virtual accounts cannot); anything may be given back in cash or by a
    bank transfer (a delivery shopper who paid by QRIS need not travel to the outlet)."""
    if order.paid_with == PaidWith.CARD:
        return [RefundMethod.STRIPE, RefundMethod.CASH, RefundMethod.TRANSFER]
    if order.payment_method == PaymentMethod.GATEWAY and gateway_enabled():
        payment = db.session.scalar(
            select(GatewayPayment).where(GatewayPayment.order_id == order.id)
        )
        if payment is not None and gateway().refundable(payment.channel):
            return [RefundMethod.GATEWAY, RefundMethod.CASH, RefundMethod.TRANSFER]
    return [RefundMethod.CASH, RefundMethod.TRANSFER]


@dataclass(frozen=True)
class TransferAccount:
    """The shopper's account a transfer refund was sent to, as the manager typed it."""

    bank_code: str = ""
    account: str = ""
    holder: str = ""
    reference: str = ""
    other_bank_name: str = ""
    other_bank_code: str = ""


def _transfer_fields(transfer: TransferAccount | None) -> dict:
    """The refund's transfer columns, checked like a vendor's payout account (indonesia.banks):
    a transfer without an account, holder or reference is refused."""
    transfer = transfer or TransferAccount()
    bank_name = None
    bank_code = (transfer.bank_code or "").strip()
    if not bank_code:
        raise OrderError(_l("Choose the shopper's bank for the transfer."), field="bank_code")
    if bank_code == banks.OTHER_BANK:
        bank_name = " ".join((transfer.other_bank_name or "").split())[:80]
        if not bank_name:
            raise OrderError(_l("Enter the name of the shopper's bank."), field="other_bank_name")
        try:
            bank_code = banks.parse_other_bank_code(transfer.other_bank_code)
        except InvalidIdentifier as exc:
            raise OrderError(exc.message, field="other_bank_code") from None
    elif banks.bank_by_code(bank_code) is None:
        raise OrderError(_l("Choose the shopper's bank for the transfer."), field="bank_code")
    if not (transfer.account or "").strip():
        raise OrderError(
            _l("A refund by bank transfer needs the shopper's account number."), field="account"
        )
    try:
        account = banks.parse_bank_account(transfer.account, bank_code).number
    except InvalidIdentifier as exc:
        raise OrderError(exc.message, field="account") from None
    holder = " ".join((transfer.holder or "").split())[:120]
    if not holder:
        raise OrderError(_l("Enter the account holder's name."), field="holder")
    reference = (transfer.reference or "").strip()[:120]
    if not reference:
        raise OrderError(
            _l("Enter the bank's reference of the transfer you sent."), field="reference"
        )
    return {
        "transfer_bank_code": bank_code,
        "transfer_bank_name": bank_name,
        "transfer_account": account,
        "transfer_holder": holder,
        "transfer_reference": reference,
    }


@dataclass(frozen=True)
class _Plan:
    amount: int
    lines: dict[int, int]  # order line id -> quantity
    restock: dict[int, list[tuple[int, int]]]  # order line id -> [(batch id, quantity)]


def refund(
    order: Order,
    *,
    method: str,
    reason: str,
    actor,
    idempotency_key: str,
    lines: dict[int, int] | None = None,
    full: bool = False,
    restock: bool = False,
    transfer: TransferAccount | None = None,
) -> Refund:
    """Refund `lines` ({order line id: quantity}) or, with `full=True`, everything left
    (the delivery fee included); a transfer refund records `transfer`, the account it was sent
    to. Raises OrderError and changes nothing when a rule is broken or the provider refuses."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise OrderError(_l("This form has expired; open the refund page again."))
    # One writer from here (the action's write lock on SQLite, the order's row lock on
    # PostgreSQL): the amounts read to check the refund cannot change before it is written.
    ensure_write_lock()
    order = _lock(order)
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        if existing.order_id != order.id:
            raise OrderError(_l("This form has expired; open the refund page again."))
        if existing.method in PROVIDER_REFUNDS and existing.provider_reference is None:
            return _send_to_provider(order, existing, actor)
        return existing  # the same submission again: it was done already
    plan = _plan(order, method=method, reason=reason, lines=lines, full=full, restock=restock)
    account = _transfer_fields(transfer) if method == RefundMethod.TRANSFER else {}
    record = Refund(
        order_id=order.id,
        amount=plan.amount,
        method=method,
        restocked=restock,
        reason=reason.strip(),
        idempotency_key=key,
        actor_id=getattr(actor, "id", None),
        **account,
    )
    for line_id, quantity in plan.lines.items():
        line = _line(order, line_id)
        record.lines.append(
            RefundLine(
                order_line_id=line_id,
                quantity=quantity,
                amount=line.unit_price * quantity,
                # No other refund of the order is accepted while a card refund waits, so
                # the units refunded so far are settled.
                commission=refund_commission(line, line.refunded_quantity, quantity),
            )
        )
    db.session.add(record)
    db.session.flush()
    if method in PROVIDER_REFUNDS:
        return _send_to_provider(order, record, actor, plan)
    record.confirmed_at = record.created_at
    _finish(order, record, actor, plan)
    return record


def _lock(order: Order) -> Order:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _line(order: Order, line_id: int) -> OrderLine:
    for line in order.lines:
        if line.id == line_id:
            return line
    raise OrderError(_l("That line is not part of this order."), field="lines")


def _plan(order, *, method, reason, lines, full, restock) -> _Plan:
    if not order.is_paid:
        raise OrderError(_l("Only a paid order can be refunded; cancel an unpaid one instead."))
    if method not in methods_for(order):
        raise OrderError(_l("Choose how the money goes back."), field="method")
    if not (reason or "").strip():
        raise OrderError(_l("Say why the order is refunded."), field="reason")
    if db.session.scalar(
        select(func.count())
        .select_from(Refund)
        .where(
            Refund.order_id == order.id,
            Refund.method.in_(PROVIDER_REFUNDS),
            Refund.provider_reference.is_(None),
        )
    ):
        # Its amount is not counted yet; finish it (resend that form) before another refund.
        raise OrderError(_l("A card refund of this order is still waiting for Stripe."))
    left = order.refundable_amount
    if left <= 0:
        raise OrderError(_l("Everything paid for this order has been refunded already."))
    if full:
        wanted = {line.id: line.quantity - line.refunded_quantity for line in order.lines}
        wanted = {line_id: qty for line_id, qty in wanted.items() if qty > 0}
        amount = left  # what is left of the lines, and the delivery fee
    else:
        wanted = {}
        for line_id, quantity in (lines or {}).items():
            if quantity < 0:
                raise OrderError(_l("Quantities cannot be negative."), field="lines")
            if quantity == 0:
                continue
            line = _line(order, line_id)
            remaining = line.quantity - line.refunded_quantity
            if quantity > remaining:
                raise OrderError(
                    _l(
                        "Only %(n)d of %(product)s can still be refunded.",
                        n=remaining,
                        product=line.display_name,
                    ),
                    field="lines",
                )
            wanted[line_id] = quantity
        if not wanted:
            raise OrderError(_l("Choose at least one item to refund."), field="lines")
        amount = sum(_line(order, i).unit_price * q for i, q in wanted.items())
    if amount > left:
        raise OrderError(
            _l(
                "Only %(left)s is left to refund on this order.",
                left=format_rupiah(left),
            ),
            field="lines",
        )
    plan_restock = _restock_plan(order, wanted) if restock else {}
    return _Plan(amount=amount, lines=wanted, restock=plan_restock)


def _restock_plan(order: Order, wanted: dict[int, int]) -> dict[int, list[tuple[int, int]]]:
    """Which batches the refunded units go back to: the batches the order sold them from,
    never more per batch than was sold minus what earlier refunds put back."""
    sold = _per_batch(
        StockMovement.kind == MovementKind.ONLINE_SALE.value,
        StockMovement.reference_type == "order",
        StockMovement.reference_id == order.id,
    )
    refund_ids = select(Refund.id).where(Refund.order_id == order.id).scalar_subquery()
    returned = _per_batch(
        StockMovement.kind == MovementKind.CUSTOMER_RETURN.value,
        StockMovement.reference_type == "refund",
        StockMovement.reference_id.in_(refund_ids),
    )
    # Per variant: a refunded size 40 goes back to a size 40 batch, never to the size 41 the
    # same order also took.
    room: dict[int, list[list[int]]] = defaultdict(list)
    for (variant_id, batch_id), quantity in sorted(sold.items(), key=lambda kv: kv[0][1]):
        free = -quantity - returned.get((variant_id, batch_id), 0)
        if free > 0:
            room[variant_id].append([batch_id, free])
    plan: dict[int, list[tuple[int, int]]] = {}
    for line_id, quantity in wanted.items():
        line = _line(order, line_id)
        left = quantity
        plan[line_id] = []
        for slot in room[line.variant_id]:
            take = min(left, slot[1])
            if take:
                plan[line_id].append((slot[0], take))
                slot[1] -= take
                left -= take
        if left:
            raise OrderError(
                _l(
                    "%(product)s was never taken off the shelf for this order, so it cannot "
                    "go back to stock; refund it without restocking.",
                    product=line.display_name,
                ),
                field="restock",
            )
    return plan


def _per_batch(*conditions) -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        select(StockMovement.variant_id, StockMovement.batch_id, func.sum(StockMovement.quantity))
        .where(*conditions)
        .group_by(StockMovement.variant_id, StockMovement.batch_id)
    )
    return {(variant_id, batch_id): int(total) for variant_id, batch_id, total in rows}


def _send_to_provider(order: Order, record: Refund, actor, plan: _Plan | None = None) -> Refund:
    # The first unit ends here: the refund and its key are stored before Stripe hears of it,
    # so a retry (or a crash after Stripe refunded) asks again with the same key.
    record.lines  # noqa: B018  (loaded now: no query while the provider is asked)
    reference_at_gateway = _gateway_reference(order) if record.method == "gateway" else ""
    commit_now()
    try:
        if record.method == "gateway":
            answer = gateway().refund(
                reference_at_gateway,
                record.amount,
                idempotency_key=record.idempotency_key,
                reason=record.reason,
            )
            if not answer.confirmed:
                # Accepted, not paid out yet: kept uncounted; the same form again asks again
                # with the same key, and counts it once the gateway confirms.
                raise OrderError(
                    _l(
                        "The payment gateway accepted the refund but has not confirmed it yet. "
                        "Send this form again later to count it."
                    )
                )
            reference = f"gateway-{answer.refund_id}"
        else:
            reference = provider("stripe").refund(
                order, record.amount, idempotency_key=record.idempotency_key
            )
    except PaymentError as exc:
        # Nothing was refunded: the stored key goes, and that is kept whatever happens next.
        ensure_write_lock()
        db.session.delete(record)
        commit_now()
        if record.method == "gateway":
            raise OrderError(
                _l(
                    "The payment gateway refused the refund, nothing was refunded: %(error)s. "
                    "Refund by bank transfer or in cash instead.",
                    error=exc.message,
                )
            ) from exc
        raise OrderError(
            _l("The card refund failed, nothing was refunded: %(error)s", error=exc.message)
        ) from exc
    ensure_write_lock()
    record.provider_reference = reference
    record.confirmed_at = utcnow()
    order = _lock(order)
    if plan is None:  # a retried submission: rebuild what the first attempt meant to do
        wanted = {line.order_line_id: line.quantity for line in record.lines}
        plan = _Plan(
            amount=record.amount,
            lines=wanted,
            restock=_restock_plan(order, wanted) if record.restocked else {},
        )
    _finish(order, record, actor, plan)
    return record


def _gateway_reference(order: Order) -> str:
    payment = db.session.scalar(select(GatewayPayment).where(GatewayPayment.order_id == order.id))
    if payment is None or not payment.transaction_id:
        raise OrderError(_l("This order has no payment at the payment gateway to refund."))
    return payment.reference


def _finish(order: Order, record: Refund, actor, plan: _Plan) -> None:
    """Goods back on the shelf, the order's state or timeline, the audit entry, the email."""
    before = {"status": order.status, "refunded_amount": order.refunded_amount}
    for refund_line in record.lines:
        line = _line(order, refund_line.order_line_id)
        line.refunded_quantity += refund_line.quantity
        line.refunded_amount += refund_line.amount
    order.refunded_amount += record.amount
    if plan.restock:
        batches = {
            b.id: b
            for b in db.session.scalars(
                select(Batch).where(
                    Batch.id.in_({b for moves in plan.restock.values() for b, _q in moves})
                )
            )
        }
        for moves in plan.restock.values():
            for batch_id, quantity in moves:
                ledger.return_to_shelf(
                    batches[batch_id],
                    quantity,
                    actor_id=getattr(actor, "id", None),
                    reference_type="refund",
                    reference_id=record.id,
                    reason=f"{order.number}: {record.reason}"[:255],
                )
    comment = _comment(record)
    if order.refundable_amount == 0:
        order.attention = ""
        if OrderStatus.REFUNDED in services.ALLOWED[OrderStatus(order.status)]:
            services.transition(order, OrderStatus.REFUNDED, actor=actor, comment=comment)
        else:
            services.note(order, "refund", comment, actor=actor)
    else:
        services.note(order, "refund", comment, actor=actor)
    audit.record(
        actor,
        "order.refund",
        order,
        before=before,
        after={
            "status": order.status,
            "refunded_amount": order.refunded_amount,
            "refund_id": record.id,
            "amount": record.amount,
            "method": record.method,
            "restocked": record.restocked,
            "lines": {str(k): v for k, v in plan.lines.items()},
            **(
                {
                    "bank_code": record.transfer_bank_code,
                    "account": mask(record.transfer_account),
                    "holder": record.transfer_holder,
                    "reference": record.transfer_reference,
                }
                if record.method == RefundMethod.TRANSFER
                else {}
            ),
            "reason": record.reason,
        },
    )
    _email_shopper(order, record)


def _comment(record: Refund) -> str:
    how = RefundMethod(record.method).label
    text = str(
        _l(
            "Refunded %(amount)s (%(how)s)",
            amount=format_rupiah(record.amount),
            how=how,
        )
    )
    if record.restocked:
        text += " · " + str(_l("goods back in stock"))
    return f"{text} · {record.reason}" if record.reason else text


def _email_shopper(order: Order, record: Refund) -> None:
    notify.send(
        order,
        "refund",
        _l("Refund for your order"),
        key=f":{record.id}",
        refund=record,
        lines=[(_line(order, rl.order_line_id), rl) for rl in record.lines],
        method=RefundMethod(record.method).label,
    )
