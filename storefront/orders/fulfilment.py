"""Preparing orders at the outlet: packing, pickup and delivery, payment at the counter, and the
pick list (issue 6, DESIGN invariants 5 and 10).

Every function here is a manager's action: it checks the state through `services.transition`
and writes an audit entry; the action's unit of work commits it. Pay-at-the-outlet orders are
packed and made ready before they are paid; they are paid when handed over (or to the
courier), and an order is only completed once paid, so `hand_over` and `complete_delivery`
take the payment first.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select

from storefront import audit
from storefront.catalog.models import Product, ProductVariant
from storefront.extensions import db
from storefront.orders import notify, services
from storefront.orders.models import (
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    PaidWith,
    PaymentMethod,
)
from storefront.orders.services import OrderError
from storefront.phones import whatsapp_link
from storefront.settings.services import get_setting
from storefront.stock.models import Batch, ReservationLine
from storefront.vendors.models import Vendor

S = OrderStatus

# At the counter or to the courier; card payments arrive online through the provider.
COUNTER_METHODS = (PaidWith.CASH, PaidWith.QRIS, PaidWith.DEBIT)


@dataclass(frozen=True)
class Payment:
    """Money taken at the counter or by the courier."""

    paid_with: PaidWith
    reference: str = ""


# --- the work queues -----------------------------------------------------------------------


def _queues() -> dict:
    """Each tab: its filter, and whether the oldest order comes first (work queues do).

    Built when asked, not at import: the column expressions need every model mapped."""
    unpaid = Order.paid_at.is_(None)
    outlet = Order.payment_method == PaymentMethod.OUTLET.value
    open_unpaid = [s.value for s in services.OPEN_UNPAID]
    return {
        # Paid online, or to be paid at the outlet (those are packed before payment).
        "to_pack": (
            or_(
                Order.status == S.PAID.value,
                and_(Order.status == S.PENDING_PAYMENT.value, outlet),
            ),
            True,
        ),
        "waiting_payment": (and_(unpaid, outlet, Order.status.in_(open_unpaid)), True),
        "packed": (Order.status == S.PACKED.value, True),
        "ready": (Order.status == S.READY_FOR_PICKUP.value, True),
        "out": (Order.status == S.OUT_FOR_DELIVERY.value, True),
        "attention": (Order.attention != "", True),
        # Paid, but some lines were never sold (paid after cancellation, the goods gone): the
        # money is the shopper's until a manager refunds it.
        "to_refund": (
            and_(
                Order.paid_at.is_not(None),
                Order.refunded_amount < Order.paid_amount,
                exists().where(OrderLine.order_id == Order.id, OrderLine.sold_at.is_(None)),
            ),
            True,
        ),
        "all": (None, False),
    }


QUEUE_LABELS = {
    "to_pack": _l("To pack"),
    "waiting_payment": _l("Waiting for payment"),
    "packed": _l("Packed"),
    "ready": _l("Ready for pickup"),
    "out": _l("Out for delivery"),
    "attention": _l("Needs attention"),
    "to_refund": _l("To refund"),
    "all": _l("All orders"),
}


def _search(statement, query: str):
    query = query.strip()
    if not query:
        return statement
    pattern = f"%{query.lower()}%"
    conditions = [
        func.lower(Order.number).like(pattern),
        func.lower(Order.contact_name).like(pattern),
        func.lower(Order.email).like(pattern),
    ]
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4:
        # Phones are stored as +62…; people type 0812… .
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        conditions.append(Order.phone.like(f"%{digits}%"))
    return statement.where(or_(*conditions))


def queue(tab: str, query: str, page: int, per_page: int = 25):
    """One page of a work queue (a Flask-SQLAlchemy Pagination of orders)."""
    condition, oldest_first = _queues()[tab]
    statement = select(Order)
    if condition is not None:
        statement = statement.where(condition)
    statement = _search(statement, query)
    order = Order.created_at.asc() if oldest_first else Order.created_at.desc()
    statement = statement.order_by(order, Order.id.asc() if oldest_first else Order.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def queue_counts() -> dict[str, int]:
    """How many orders wait in each work queue (one query)."""
    columns = [
        func.count().filter(condition).label(tab)
        for tab, (condition, _oldest) in _queues().items()
        if condition is not None
    ]
    row = db.session.execute(select(*columns).select_from(Order)).one()
    return dict(row._mapping)


def to_pack_count() -> int:
    return db.session.scalar(select(func.count()).where(_queues()["to_pack"][0])) or 0


def orders_to_pack() -> list[Order]:
    condition, _oldest = _queues()["to_pack"]
    return list(
        db.session.scalars(select(Order).where(condition).order_by(Order.created_at, Order.id))
    )


# --- the pick list -------------------------------------------------------------------------


@dataclass
class PickItem:
    product_name: str
    product_code: str
    unit: str
    batch_code: str
    expires_on: date | None
    quantity: int = 0
    orders: list[str] = field(default_factory=list)


@dataclass
class VendorPick:
    vendor_name: str
    items: list[PickItem] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)


def pick_list(orders: list[Order]) -> list[VendorPick]:
    """What to take from the shelves for `orders`: by vendor, then product and batch (the
    batches the orders' reservations point at, FEFO-chosen at checkout)."""
    reservation_ids = {o.reservation_id: o.number for o in orders if o.reservation_id}
    if not reservation_ids:
        return []
    rows = db.session.execute(
        select(ReservationLine, Batch, Product, ProductVariant, Vendor)
        .join(Batch, Batch.id == ReservationLine.batch_id)
        .join(Product, Product.id == ReservationLine.product_id)
        .join(ProductVariant, ProductVariant.id == ReservationLine.variant_id)
        .join(Vendor, Vendor.id == Batch.vendor_id)
        .where(ReservationLine.reservation_id.in_(reservation_ids))
        .order_by(
            Vendor.name,
            Product.name,
            ProductVariant.position,
            Batch.expires_on,
            Batch.id,
            ReservationLine.id,  # a batch's orders in the order they were placed
        )
    )
    vendors: dict[int, VendorPick] = {}
    items: dict[tuple[int, int], PickItem] = {}
    for line, batch, _product, variant, vendor in rows:
        group = vendors.setdefault(vendor.id, VendorPick(vendor.name))
        item = items.get((vendor.id, batch.id))
        if item is None:
            item = PickItem(
                variant.display_name(),
                variant.code,
                variant.product.unit,
                batch.code,
                batch.expires_on,
            )
            items[(vendor.id, batch.id)] = item
            group.items.append(item)
        item.quantity += line.quantity
        number = reservation_ids[line.reservation_id]
        if number not in item.orders:
            item.orders.append(number)
    return list(vendors.values())


# --- actions -------------------------------------------------------------------------------


def _move(order: Order, to: OrderStatus, actor, action: str, comment: str = "") -> None:
    before = order.status
    services.transition(order, to, actor=actor, comment=comment)
    audit.record(actor, action, order, before={"status": before}, after={"status": to.value})


def pack(order: Order, *, actor) -> None:
    if order.status == S.PENDING_PAYMENT and order.payment_method != PaymentMethod.OUTLET:
        # A card payment may never come; its goods stay on the shelf until it does.
        raise OrderError(_l("Wait for the card payment before packing this order."))
    _move(order, S.PACKED, actor, "order.packed")


def out_for_delivery(order: Order, *, actor, comment: str = "") -> None:
    if order.fulfilment != Fulfilment.DELIVERY:
        raise OrderError(_l("This order is collected at the outlet, not delivered."))
    _move(order, S.OUT_FOR_DELIVERY, actor, "order.out_for_delivery", comment)
    notify.order_out_for_delivery(order)


def ready_for_pickup(order: Order, *, actor) -> str:
    """Mark the order ready, email the shopper (pickup code, opening hours), and return a
    WhatsApp link with the same news for the manager to send."""
    if order.fulfilment != Fulfilment.PICKUP:
        raise OrderError(_l("This order is delivered, not collected at the outlet."))
    _move(order, S.READY_FOR_PICKUP, actor, "order.ready")
    notify.order_ready(order)
    return ready_whatsapp_link(order)


def ready_whatsapp_link(order: Order) -> str:
    """A wa.me link with the pickup news in the shopper's language, for the manager to send."""
    with force_locale(order.locale or "id"):
        text = str(
            _l(
                "Hello %(name)s, your order %(number)s is ready for pickup at %(outlet)s. "
                "Show pickup code %(code)s at the counter. Opening hours: %(hours)s.",
                name=order.contact_name,
                number=order.number,
                outlet=get_setting("outlet_name"),
                code=order.pickup_code,
                hours=get_setting(
                    "opening_hours_en" if order.locale == "en" else "opening_hours_id"
                ),
            )
        )
    return whatsapp_link(order.phone, text)


def _check_counter_payment(payment: Payment | None) -> Payment:
    if payment is None:
        raise OrderError(
            _l("This order is not paid yet: record how the shopper paid."), field="paid_with"
        )
    if payment.paid_with not in COUNTER_METHODS:
        raise OrderError(_l("Choose cash, QRIS or debit card."), field="paid_with")
    return payment


def _take_payment(order: Order, payment: Payment, actor) -> None:
    services.mark_paid(
        order,
        paid_with=payment.paid_with,
        amount=order.total,
        reference=payment.reference.strip(),
        actor=actor,
    )
    audit.record(
        actor,
        "order.paid",
        order,
        before={"paid": False},
        after={
            "paid": True,
            "paid_with": payment.paid_with.value,
            "amount": order.total,
            "reference": payment.reference.strip(),
        },
    )


def take_payment(order: Order, payment: Payment, *, actor) -> None:
    """A pay-at-the-outlet order paid at the counter before it is collected."""
    if order.payment_method != PaymentMethod.OUTLET:
        raise OrderError(_l("This order is paid online, not at the outlet."))
    if order.is_paid:
        raise OrderError(_l("This order is already paid."))
    if order.status not in services.OPEN_UNPAID:
        raise OrderError(
            _l(
                "An order that is “%(status)s” cannot be paid.",
                status=services.status_label(order.status),
            )
        )
    _check_counter_payment(payment)
    _take_payment(order, payment, actor)


def _complete(order: Order, actor, payment: Payment | None, action: str, comment: str) -> None:
    if S.COMPLETED not in services.ALLOWED[OrderStatus(order.status)]:
        raise services.InvalidTransition(OrderStatus(order.status), S.COMPLETED)
    if not order.is_paid:
        _take_payment(order, _check_counter_payment(payment), actor)
    _move(order, S.COMPLETED, actor, action, comment)


def _name_words(name: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", name or "").casefold())


def collector_name_matches(said: str, on_order: str) -> bool:
    """Loosely: case, spaces and punctuation do not count, and any part of the name will do.

    "siti", "Nurhayati", "SITI  nurhayati" and "SitiNurhayati" all match "Siti Nurhayati";
    "Siti Aminah" does not. Many Indonesians go by one name, or by a name that is not the
    first word (Muhammad Rizki is "Rizki"), so a first-name-only rule would turn honest
    collectors away. The code is the real check; the name stops someone who has only a
    forwarded or photographed code.
    """
    said_words, known_words = _name_words(said), _name_words(on_order)
    if not said_words or not known_words:
        return False
    return all(w in known_words for w in said_words) or "".join(said_words) == "".join(known_words)


def hand_over(
    order: Order, code: str, collector_name: str, *, actor, payment: Payment | None = None
) -> None:
    """The shopper collects the order, showing the six-digit pickup code and saying the name
    the order was placed under. A wrong code or name changes nothing; an unpaid order is paid
    first (cash, QRIS or debit at the counter)."""
    if order.fulfilment != Fulfilment.PICKUP:
        raise OrderError(_l("This order is delivered, not collected at the outlet."))
    if order.status != S.READY_FOR_PICKUP:
        raise services.InvalidTransition(OrderStatus(order.status), S.COMPLETED)
    typed = re.sub(r"\s", "", code or "")
    if not secrets.compare_digest(typed.encode(), order.pickup_code.encode()):
        raise OrderError(
            _l("That is not this order's pickup code; ask the shopper to check their email."),
            field="code",
        )
    if not collector_name_matches(collector_name, order.contact_name):
        raise OrderError(
            _l(
                "That is not the name on this order. Ask for the name the order was placed "
                "under; someone collecting for the shopper needs it too."
            ),
            field="collector_name",
        )
    _complete(order, actor, payment, "order.handed_over", str(_l("Handed over at the outlet")))


def complete_delivery(order: Order, *, actor, payment: Payment | None = None) -> None:
    """The courier delivered the order; an unpaid one was paid to the courier."""
    if order.fulfilment != Fulfilment.DELIVERY:
        raise OrderError(_l("This order is collected at the outlet, not delivered."))
    if order.status != S.OUT_FOR_DELIVERY:
        raise services.InvalidTransition(OrderStatus(order.status), S.COMPLETED)
    _complete(order, actor, payment, "order.delivered", str(_l("Delivered")))
    notify.order_delivered(order)


def cancel(order: Order, *, actor, reason: str) -> None:
    """A manager cancels an unpaid order; its stock goes back on the shelf."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_l("Say why the order is cancelled."), field="reason")
    before = order.status
    services.cancel(order, actor=actor, reason=reason)
    audit.record(
        actor,
        "order.cancelled",
        order,
        before={"status": before},
        after={"status": order.status, "reason": reason},
    )
    notify.order_cancelled(order)


def next_steps(order: Order) -> set[str]:
    """The buttons the order page shows: only moves the state table and the rules allow."""
    status = OrderStatus(order.status)
    steps: set[str] = set()
    if status == S.PAID or (
        status == S.PENDING_PAYMENT and order.payment_method == PaymentMethod.OUTLET
    ):
        steps.add("pack")
    if status == S.PACKED:
        steps.add("ready" if order.fulfilment == Fulfilment.PICKUP else "out")
    if status == S.READY_FOR_PICKUP:
        steps.add("hand_over")
    if status == S.OUT_FOR_DELIVERY:
        steps.add("delivered")
    if (
        not order.is_paid
        and order.payment_method == PaymentMethod.OUTLET
        and status in services.OPEN_UNPAID
    ):
        steps.add("take_payment")
    if not order.is_paid and status in services.OPEN_UNPAID:
        steps.add("cancel")
    if order.is_paid and order.refundable_amount > 0:
        steps.add("refund")
    return steps
