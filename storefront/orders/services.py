"""Placing orders and moving them through their states (DESIGN invariants 1, 3, 5).

Placing an order reserves the stock (FEFO, row locks) in the same transaction that creates the
order, so two shoppers can never buy the same jar. Every status change goes through
`transition`, which checks the move against `ALLOWED` and writes an `OrderEvent`. Nothing here
commits: the action does, once (storefront/database.py).

Pay-at-the-outlet orders are prepared before they are paid: they may go from pending_payment
to packed and ready_for_pickup, and are paid when collected (or to the outlet's courier). An
order is only completed once it is paid. Unpaid orders whose reservation runs out are
cancelled and their stock released (docs/decisions.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront import manager_inbox
from storefront.catalog.commission import sale_snapshot
from storefront.catalog.models import ProductVariant
from storefront.clock import today_wib
from storefront.database import ensure_write_lock, utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.manager_inbox import NotificationKind
from storefront.money import format_rupiah
from storefront.numbering import next_daily_number
from storefront.orders import delivery
from storefront.orders.cart import sellable_variants
from storefront.orders.models import (
    ONLINE_METHODS,
    Fulfilment,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaidWith,
    PaymentMethod,
)
from storefront.payments.gateway import Channel, channel_kind
from storefront.settings.services import get_setting
from storefront.states import move
from storefront.stock import ledger, markdowns
from storefront.stock.models import ReservationStatus

S = OrderStatus

ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING_PAYMENT: {S.PAID, S.PACKED, S.CANCELLED},
    S.PAID: {S.PACKED, S.REFUNDED},
    S.PACKED: {S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.CANCELLED, S.REFUNDED},
    S.READY_FOR_PICKUP: {S.COMPLETED, S.CANCELLED, S.REFUNDED},
    S.OUT_FOR_DELIVERY: {S.COMPLETED, S.CANCELLED, S.REFUNDED},
    S.COMPLETED: {S.REFUNDED},
    # Only by mark_paid: a card payment that arrives after the hold ran out, goods still there.
    S.CANCELLED: {S.PAID},
    S.REFUNDED: set(),
}
# States in which an unpaid order still holds stock.
OPEN_UNPAID = (S.PENDING_PAYMENT, S.PACKED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY)


class OrderError(DomainError):
    """A rule of ordering was broken; `message` is safe to show, `field` names the field."""


class InvalidTransition(OrderError):
    def __init__(self, current: OrderStatus, to: OrderStatus):
        super().__init__(
            _l(
                "An order that is “%(current)s” cannot become “%(to)s”.",
                current=current.label,
                to=to.label,
            )
        )


class SoldOut(OrderError):
    """Some of the cart could not be reserved; nothing was ordered."""


# The words for a stored status, as the order pages show it.
status_label = OrderStatus.label_of


def transition(order: Order, to: OrderStatus, *, actor=None, comment: str = "") -> None:
    move(
        order,
        to,
        ALLOWED,
        history=lambda **kw: OrderEvent(order_id=order.id, kind="status", **kw),
        actor=actor,
        comment=comment,
        refuse=InvalidTransition,
    )


def note(order: Order, kind: str, comment: str, *, actor=None) -> None:
    """A timeline entry that is not a status move (payment, refund, problem, note)."""
    db.session.add(
        OrderEvent(
            order_id=order.id,
            kind=kind,
            from_status=order.status,
            to_status=order.status,
            actor_id=getattr(actor, "id", None),
            comment=comment,
        )
    )


# --- checkout ------------------------------------------------------------------------------


@dataclass
class CheckoutDetails:
    name: str
    email: str
    phone: str  # E.164
    fulfilment: str
    payment_method: str
    kecamatan: str | None = None
    address: str | None = None
    note: str = ""
    locale: str = "id"
    user_id: int | None = None
    channel: str = ""  # the gateway's way to pay (payments.gateway.Channel) for "gateway"
    message_channel: str = "email"  # email, whatsapp or both (storefront/notices.py)


def card_minimum() -> int:
    """The smallest amount the shop charges to a card. It exists because the provider takes a
    fixed fee per payment, so it is compared with what is charged — the subtotal plus the
    delivery fee — and nowhere else (the checkout page offers the card to every cart)."""
    return int(get_setting("card_minimum_total"))


def reservation_ttl(payment_method: str, channel: str = "") -> timedelta:
    """How long the goods wait for the payment: it follows the way to pay (settings)."""
    if payment_method == PaymentMethod.STRIPE:
        return timedelta(minutes=int(get_setting("reservation_minutes_card")))
    if payment_method == PaymentMethod.GATEWAY:
        if channel_kind(channel) == "va":
            return timedelta(hours=int(get_setting("reservation_hours_va")))
        return timedelta(minutes=int(get_setting("reservation_minutes_qris")))
    return timedelta(hours=int(get_setting("reservation_hours_outlet")))


def delivery_fee(details: CheckoutDetails) -> int:
    if details.fulfilment != Fulfilment.DELIVERY:
        return 0
    fee = delivery.fee_for(details.kecamatan)
    if fee is None:
        raise OrderError(
            _l("We only deliver within Kabupaten and Kota Tangerang; choose pickup instead."),
            field="kecamatan",
        )
    return fee


def _check_details(
    details: CheckoutDetails, *, card_enabled: bool, subtotal: int, gateway_enabled: bool
) -> int:
    if details.fulfilment not in set(Fulfilment):
        raise OrderError(_l("Choose pickup or delivery."), field="fulfilment")
    if details.payment_method not in set(PaymentMethod):
        raise OrderError(_l("Choose how to pay."), field="payment_method")
    fee = delivery_fee(details)
    if details.fulfilment == Fulfilment.DELIVERY and not (details.address or "").strip():
        raise OrderError(_l("Enter the delivery address."), field="address")
    if details.payment_method == PaymentMethod.STRIPE:
        if not card_enabled:
            raise OrderError(_l("Card payment is not available."), field="payment_method")
        if subtotal + fee < card_minimum():  # the amount charged, see card_minimum
            raise OrderError(
                _l(
                    "Card payment starts from %(minimum)s; please pay at the outlet.",
                    minimum=format_rupiah(card_minimum()),
                ),
                field="payment_method",
            )
    if details.payment_method == PaymentMethod.GATEWAY:
        if not gateway_enabled:
            raise OrderError(
                _l("Payment by QRIS, e-wallet or virtual account is not available."),
                field="payment_method",
            )
        if details.channel not in set(Channel):
            raise OrderError(_l("Choose how to pay."), field="payment_method")
    return fee


def _snapshot(variant: ProductVariant, part: markdowns.PricedPart) -> dict:
    return sale_snapshot(variant.product, part.quantity, variant=variant, **part.snapshot_terms())


def place_order(
    quantities: dict[int, int],
    details: CheckoutDetails,
    *,
    card_enabled: bool,
    gateway_enabled: bool = False,
) -> Order:
    """Create the order and hold its stock, in the action's transaction. `quantities` is
    {variant id: units} (`cart.CartView.quantities`): the size or colour of each line.

    Prices come from the catalogue now, never from the form. Raises SoldOut when any line
    cannot be held, OrderError for bad details; the action then rolls back, nothing ordered.
    """
    if not quantities:
        raise OrderError(_l("Your cart is empty."))
    variants = sellable_variants(quantities)
    missing = [vid for vid in quantities if vid not in variants]
    if missing:
        raise SoldOut(_l("A product in your cart is no longer for sale."))
    # What the cart showed (a near-expiry batch's markdown included); the lines below price
    # the batches actually held.
    preview = markdowns.preview_parts(quantities, "online", by_variant=True)
    subtotal = sum(
        _snapshot(variants[variant_id], part)["gross"]
        for variant_id, parts in preview.items()
        for part in parts
    )
    fee = _check_details(
        details, card_enabled=card_enabled, subtotal=subtotal, gateway_enabled=gateway_enabled
    )
    ttl = reservation_ttl(details.payment_method, details.channel)
    lines = [
        ledger.Line(variants[vid].product_id, qty, variant_id=vid)
        for vid, qty in sorted(quantities.items())
    ]
    delivering = details.fulfilment == Fulfilment.DELIVERY

    try:
        reservation = ledger.reserve(lines, ttl, reference="order")
    except ledger.OutOfStock as error:
        variant = variants[error.variant_id]
        if error.available == 0:
            raise SoldOut(
                _l(
                    "Sorry, %(product)s has just sold out; it is no longer in your cart.",
                    product=variant.display_name(),
                )
            ) from error
        raise SoldOut(
            _l(
                "Sorry, only %(available)d of %(product)s left; your cart has been updated.",
                available=error.available,
                product=variant.display_name(),
            )
        ) from error
    sold = markdowns.priced_parts(markdowns.reservation_allocation(reservation))
    snapshots = [_snapshot(variants[part.variant_id], part) for part in sold]
    subtotal = sum(snapshot["gross"] for snapshot in snapshots)
    for attempt in range(5):
        order = Order(
            number=next_daily_number(Order.number, "GTG", today_wib()),
            status=OrderStatus.PENDING_PAYMENT.value,
            user_id=details.user_id,
            contact_name=details.name.strip(),
            email=details.email.strip().lower(),
            phone=details.phone,
            locale=details.locale,
            message_channel=details.message_channel,
            fulfilment=details.fulfilment,
            delivery_kecamatan=details.kecamatan if delivering else None,
            delivery_address=(details.address or "").strip() if delivering else None,
            delivery_note=(details.note or "").strip(),
            payment_method=details.payment_method,
            subtotal=subtotal,
            delivery_fee=fee,
            total=subtotal + fee,
            reservation_id=reservation.id,
            reserved_until=reservation.expires_at,
            pickup_code=f"{secrets.randbelow(10**6):06d}",
            access_key=secrets.token_urlsafe(32),
        )
        for snapshot in snapshots:
            product = variants[snapshot["variant_id"]].product
            order.lines.append(OrderLine(unit=product.unit, **snapshot))
        try:
            with db.session.begin_nested():
                db.session.add(order)
        except IntegrityError:
            # Another checkout took the same daily number (PostgreSQL); the savepoint keeps
            # the stock held, and the next number is tried.
            if attempt == 4:
                raise
            continue
        reservation.reference = order.number
        db.session.add(
            OrderEvent(
                order_id=order.id,
                kind="status",
                from_status="",
                to_status=order.status,
                actor_id=details.user_id,
                comment="",
            )
        )
        if order.payment_method not in ONLINE_METHODS:
            # Paid when collected, so prepared now; a card order once it is paid.
            manager_inbox.notify(NotificationKind.ORDER, order, order.number)
        db.session.flush()
        return order
    raise AssertionError("unreachable")


# --- reading orders ------------------------------------------------------------------------


def order_by_number(number: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.number == number.strip().upper()).options(joinedload(Order.lines))
    )


def belongs_to(user):
    """SQL condition: the orders that are `user`'s. Orders placed without signing in with the
    account's address count only once the account proved the address is its own: otherwise
    registering someone's email would show their orders (docs/security.md)."""
    own = Order.user_id == user.id
    if not user.email_verified:
        return own
    return or_(own, and_(Order.user_id.is_(None), Order.email == user.email))


def is_users_order(order: Order, user) -> bool:
    return order.user_id == user.id or (
        user.email_verified and order.user_id is None and order.email == user.email
    )


def find_guest_order(number: str, email: str) -> Order | None:
    """The lookup form for guests: both must match, and the answer never says which was wrong."""
    order = order_by_number(number or "")
    if order is None or order.email != (email or "").strip().lower():
        return None
    return order


def _hold_ran_out(order: Order, now: datetime) -> bool:
    return (
        order.paid_at is None
        and order.status in OPEN_UNPAID
        and order.reserved_until is not None
        and order.reserved_until < now
    )


def _lock(order: Order) -> Order:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def refresh(order: Order, now: datetime | None = None) -> Order:
    """Checked whenever an order is read: an unpaid order whose hold ran out is cancelled.

    Pages showing an order only read; this is their one write, so it takes the write lock
    first and looks again under it (a payment may have arrived meanwhile)."""
    now = now or utcnow()
    if not _hold_ran_out(order, now):
        return order
    ensure_write_lock()
    order = _lock(order)
    if _hold_ran_out(order, now):
        cancel(order, reason=str(_l("The time to pay ran out.")), expired=True)
    return order


def expire_unpaid_orders(now: datetime | None = None) -> int:
    """Cancel every unpaid order whose reservation ran out; returns how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Order.id).where(
            Order.paid_at.is_(None),
            Order.status.in_([s.value for s in OPEN_UNPAID]),
            Order.reserved_until < now,
        )
    ).all()
    for order_id in due:
        refresh(db.session.get(Order, order_id), now)
    return len(due)


# --- payment and cancellation --------------------------------------------------------------


def cancel(order: Order, *, actor=None, reason: str = "", expired: bool = False) -> None:
    """Cancel an unpaid order and give its stock back. Paid orders are refunded instead."""
    if order.paid_at is not None:
        raise OrderError(_l("This order is paid; refund it instead of cancelling."))
    transition(order, OrderStatus.CANCELLED, actor=actor, comment=reason)
    reservation = order.reservation
    if reservation is not None and reservation.status == ReservationStatus.ACTIVE:
        ledger.release(reservation)
    order.reserved_until = None


def mark_paid(
    order: Order,
    *,
    paid_with: PaidWith,
    amount: int,
    reference: str = "",
    actor=None,
) -> None:
    """Record the payment and turn the held stock into sales.

    If the hold had already been released (a card payment arriving after the order expired),
    the stock is reserved again; when it is gone, the order is flagged for a manager to refund.
    """
    if order.paid_at is not None:
        raise OrderError(_l("This order is already paid."))
    if amount != order.total:
        raise OrderError(
            _l(
                "The amount paid must be the order total, %(total)s.",
                total=format_rupiah(order.total),
            ),
            field="amount",
        )
    reservation = order.reservation
    if reservation is None or reservation.status != ReservationStatus.ACTIVE:
        try:
            reservation = ledger.reserve(
                [
                    ledger.Line(line.product_id, line.quantity, variant_id=line.variant_id)
                    for line in order.lines
                ],
                timedelta(minutes=5),
                reference=order.number,
            )
        except ledger.OutOfStock:
            order.attention = str(
                _l("Paid after the order was cancelled and the goods are gone: refund it.")
            )
            note(order, "problem", order.attention, actor=actor)
            # No sale movement, so no sale: the lines stay unstamped and the money is the
            # shopper's, held to refund (the "To refund" queue), in no vendor's statement.
            order.paid_at = utcnow()
            order.paid_with = paid_with.value
            order.paid_amount = amount
            order.payment_reference = reference[:120]
            return
        order.reservation_id = reservation.id
    expired = [
        (line.batch.code or f"#{line.batch_id}", line.batch.expires_on, line.variant_id)
        for line in ledger.expired_lines(reservation, today_wib())
    ]
    try:
        ledger.commit_sale(
            reservation,
            "online",
            reference_type="order",
            reference_id=order.id,
            actor_id=getattr(actor, "id", None),
        )
    except ledger.HeldStockExpired as error:
        _held_stock_expired(order, reservation, error, paid_with, amount, reference, actor)
        return
    if expired:
        # The bag may already hold units of the expired batch: someone must swap them.
        names = {line.variant_id: line.display_name for line in order.lines}
        problem = str(
            _l(
                "Held units expired before payment (%(batches)s); the sale took fresh units "
                "from another batch. Swap them in the bag before handing it over.",
                batches=", ".join(
                    f"{names.get(vid, vid)} {code} ({day.isoformat()})"
                    for code, day, vid in expired
                ),
            )
        )
        order.attention = problem
        note(order, "problem", problem, actor=actor)
    order.paid_at = utcnow()
    _stamp_lines(order)
    order.paid_with = paid_with.value
    order.paid_amount = amount
    order.payment_reference = reference[:120]
    if order.payment_method in ONLINE_METHODS:
        manager_inbox.notify(NotificationKind.ORDER, order, order.number)
    order.reserved_until = None
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        if order.status == OrderStatus.CANCELLED:
            note(
                order,
                "payment",
                str(_l("Payment arrived after the order expired; stock held again.")),
            )
        transition(
            order, OrderStatus.PAID, actor=actor, comment=_paid_comment(paid_with, reference)
        )
    else:
        note(order, "payment", _paid_comment(paid_with, reference), actor=actor)


def _held_stock_expired(order, reservation, error, paid_with, amount, reference, actor) -> None:
    """The held units expired and nothing can replace them.

    At the counter no money changes hands: the cashier is told and nothing is recorded. A card
    payment has already been taken: it is recorded, the hold released (the expired units go to
    write-off) and the order flagged for a manager to refund or replace.
    """
    product = next(
        (line.product_name for line in order.lines if line.product_id == error.product_id),
        str(error.product_id),
    )
    if order.payment_method not in ONLINE_METHODS:
        raise OrderError(
            _l(
                "%(product)s held for this order expired on %(date)s and no fresh stock is "
                "left. Do not take payment: cancel the order or agree a replacement with the "
                "shopper.",
                product=product,
                date=error.expired_on.isoformat(),
            )
        )
    ledger.release(reservation)
    order.attention = str(
        _l(
            "Paid, but %(product)s held for it expired on %(date)s and no fresh stock is left: "
            "refund it or agree a replacement.",
            product=product,
            date=error.expired_on.isoformat(),
        )
    )
    note(order, "problem", order.attention, actor=actor)
    # The hold was released, nothing was sold: the lines stay unstamped (held to refund).
    order.paid_at = utcnow()
    order.paid_with = paid_with.value
    order.paid_amount = amount
    order.payment_reference = reference[:120]
    order.reserved_until = None
    if order.status == OrderStatus.PENDING_PAYMENT:
        transition(
            order, OrderStatus.PAID, actor=actor, comment=_paid_comment(paid_with, reference)
        )


def _stamp_lines(order: Order) -> None:
    """The lines count as sold from the payment: only called once their sale movement is
    written (ledger.commit_sale), so a vendor is never credited goods that never left."""
    for line in order.lines:
        line.sold_at = order.paid_at


def _paid_comment(paid_with: PaidWith, reference: str) -> str:
    labels = {
        PaidWith.CASH: _l("Paid in cash"),
        PaidWith.QRIS: _l("Paid by QRIS"),
        PaidWith.DEBIT: _l("Paid by debit card"),
        PaidWith.CARD: _l("Paid online"),
        PaidWith.EWALLET: _l("Paid by e-wallet"),
        PaidWith.VA: _l("Paid by virtual account"),
    }
    text = str(labels[paid_with])
    return f"{text} · {reference}" if reference else text


def flag(order: Order, problem: str) -> None:
    """Something a manager must look at; the order is not changed otherwise."""
    order.attention = problem
    note(order, "problem", problem)
