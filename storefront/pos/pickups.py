"""Handing over online pickup orders at the till (issue 13, defect 12).

The cashier finds the order, checks the six-digit pickup code and the name on it (the rules of
`orders.fulfilment.hand_over`, which also writes the order's payment, state and audit entry)
and, for an order to be paid at the outlet, takes the money into the open shift: a
`PickupPayment` row says which drawer holds it, so the shift's cash count expects it and the
shift report shows it. Nothing here commits: the action does.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from storefront.database import ensure_write_lock
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import fulfilment
from storefront.orders.models import Fulfilment, Order, OrderStatus, PaidWith
from storefront.pos.models import PayMethod, PickupPayment, Shift, ShiftStatus
from storefront.pos.services import PosError, is_manager, lock_shift


@dataclass(frozen=True)
class PickupPaymentInput:
    method: str = ""
    tendered: int | None = None  # cash handed over; the change is what is above the total
    reference: str = ""


def ready_orders(query: str = "", limit: int = 50) -> list[Order]:
    """Pickup orders waiting at the outlet, oldest first; `query` finds one by its number or
    the shopper's name."""
    statement = select(Order).where(
        Order.fulfilment == Fulfilment.PICKUP.value,
        Order.status == OrderStatus.READY_FOR_PICKUP.value,
    )
    query = (query or "").strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Order.number).like(pattern), func.lower(Order.contact_name).like(pattern)
            )
        )
    return list(db.session.scalars(statement.order_by(Order.created_at, Order.id).limit(limit)))


def ready_order(order_id: int) -> Order | None:
    order = db.session.get(Order, order_id)
    if order is None or order.fulfilment != Fulfilment.PICKUP:
        return None
    return order


def _check_payment(order: Order, payment: PickupPaymentInput) -> tuple[PayMethod, int, int]:
    """(method, tendered, change) of the money taken for an unpaid order."""
    try:
        method = PayMethod(payment.method)
    except ValueError:
        raise PosError(_l("Choose how the shopper pays."), "method") from None
    if method == PayMethod.CASH:
        tendered = payment.tendered
        if tendered is None or tendered < order.total:
            raise PosError(
                _l(
                    "The cash received must be at least the order total, %(total)s.",
                    total=format_rupiah(order.total),
                ),
                "tendered",
            )
        return method, tendered, tendered - order.total
    if not payment.reference.strip():
        raise PosError(_l("Enter the reference on the QRIS or debit slip."), "reference")
    return method, order.total, 0


def hand_over(
    shift: Shift, user, order: Order, code: str, name: str, payment: PickupPaymentInput
) -> PickupPayment | None:
    """Hand a ready pickup order over at the till. An order paid online needs only the code
    and name; one to be paid at the outlet is paid into `shift` (the cashier's open shift).
    Returns the payment taken, or None. Raises PosError, or the orders' OrderError (a wrong
    code or name), and changes nothing."""
    if shift is None or shift.status != ShiftStatus.OPEN:
        raise PosError(_l("Open a shift first: the payment goes into its drawer."))
    if shift.opened_by_id != user.id and not is_manager(user):
        raise PosError(_l("This is another cashier's shift."))
    ensure_write_lock()
    unpaid = not order.is_paid
    taken = _check_payment(order, payment) if unpaid else None
    # Stock rows are not touched here; the shift row is locked so a close cannot miss the money.
    if lock_shift(shift.id).status != ShiftStatus.OPEN:
        raise PosError(_l("This shift has just been closed; open a new one."))
    fulfilment.hand_over(
        order,
        code,
        name,
        actor=user,
        payment=(
            fulfilment.Payment(PaidWith(taken[0].value), payment.reference.strip()[:120])
            if taken
            else None
        ),
    )
    if taken is None:
        return None
    method, tendered, change = taken
    record = PickupPayment(
        shift_id=shift.id,
        order_id=order.id,
        cashier_id=user.id,
        method=method.value,
        amount=order.total,
        tendered=tendered,
        change=change,
        reference=payment.reference.strip()[:120],
    )
    db.session.add(record)
    db.session.flush()
    return record
