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
from storefront.database import commit_now, ensure_write_lock
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import notify, services
from storefront.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    PaidWith,
    Refund,
    RefundLine,
    RefundMethod,
)
from storefront.orders.services import OrderError
from storefront.payments.providers import PaymentError, provider
from storefront.stock import ledger
from storefront.stock.models import Batch, MovementKind, StockMovement


def methods_for(order: Order) -> list[RefundMethod]:
    """Card orders go back through the provider; anything may be given back in cash."""
    if order.paid_with == PaidWith.CARD:
        return [RefundMethod.STRIPE, RefundMethod.CASH]
    return [RefundMethod.CASH]


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
) -> Refund:
    """Refund `lines` ({order line id: quantity}) or, with `full=True`, everything left
    (the delivery fee included). Raises OrderError and changes nothing when a rule is broken
    or the provider refuses."""
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
        if existing.method == "stripe" and existing.provider_reference is None:
            return _send_to_provider(order, existing, actor)
        return existing  # the same submission again: it was done already
    plan = _plan(order, method=method, reason=reason, lines=lines, full=full, restock=restock)
    record = Refund(
        order_id=order.id,
        amount=plan.amount,
        method=method,
        restocked=restock,
        reason=reason.strip(),
        idempotency_key=key,
        actor_id=getattr(actor, "id", None),
    )
    for line_id, quantity in plan.lines.items():
        unit_price = _line(order, line_id).unit_price
        record.lines.append(
            RefundLine(order_line_id=line_id, quantity=quantity, amount=unit_price * quantity)
        )
    db.session.add(record)
    db.session.flush()
    if method == "stripe":
        return _send_to_provider(order, record, actor, plan)
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
            Refund.method == "stripe",
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
                        product=line.product_name,
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
    room: dict[int, list[list[int]]] = defaultdict(list)
    for (product_id, batch_id), quantity in sorted(sold.items(), key=lambda kv: kv[0][1]):
        free = -quantity - returned.get((product_id, batch_id), 0)
        if free > 0:
            room[product_id].append([batch_id, free])
    plan: dict[int, list[tuple[int, int]]] = {}
    for line_id, quantity in wanted.items():
        line = _line(order, line_id)
        left = quantity
        plan[line_id] = []
        for slot in room[line.product_id]:
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
                    product=line.product_name,
                ),
                field="restock",
            )
    return plan


def _per_batch(*conditions) -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        select(StockMovement.product_id, StockMovement.batch_id, func.sum(StockMovement.quantity))
        .where(*conditions)
        .group_by(StockMovement.product_id, StockMovement.batch_id)
    )
    return {(product_id, batch_id): int(total) for product_id, batch_id, total in rows}


def _send_to_provider(order: Order, record: Refund, actor, plan: _Plan | None = None) -> Refund:
    # The first unit ends here: the refund and its key are stored before Stripe hears of it,
    # so a retry (or a crash after Stripe refunded) asks again with the same key.
    record.lines  # noqa: B018  (loaded now: no query while the provider is asked)
    commit_now()
    try:
        reference = provider("stripe").refund(
            order, record.amount, idempotency_key=record.idempotency_key
        )
    except PaymentError as exc:
        # Nothing was refunded: the stored key goes, and that is kept whatever happens next.
        ensure_write_lock()
        db.session.delete(record)
        commit_now()
        raise OrderError(
            _l("The card refund failed, nothing was refunded: %(error)s", error=exc.message)
        ) from exc
    ensure_write_lock()
    record.provider_reference = reference
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
