"""The one writer of the stock ledger, and the stock questions other features ask.

Every change of stock goes through `_move` below: it locks the batch's `StockLevel` row, changes
it and appends a `StockMovement` in the same transaction, so the level always equals the sum of
the movements (DESIGN invariant 2) and `flask verify-ledger` can prove it.

Concurrency: two buyers must never get the last jar. On PostgreSQL the level rows are locked
with SELECT … FOR UPDATE, always in batch-id order so two transactions cannot deadlock; on SQLite
the action's unit of work began with BEGIN IMMEDIATE, which took the database's write lock
before anything was read (storefront/database.py). Nothing here commits or rolls back: the
action does, once, and a StockError raised half-way leaves it to roll everything back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, nulls_last, or_, select

from storefront.catalog.models import ProductVariant
from storefront.clock import today_wib
from storefront.database import ensure_write_lock, utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.settings.services import get_setting
from storefront.stock.models import (
    Batch,
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockMovement,
)


class StockError(DomainError):
    """A stock rule was broken; `message` is safe to show, `field` names the form field."""


class OutOfStock(StockError):
    def __init__(
        self, product_id: int, requested: int, available: int, variant_id: int | None = None
    ):
        super().__init__(
            _l(
                "Only %(available)d left in stock, %(requested)d asked for.",
                available=available,
                requested=requested,
            ),
            field="quantity",
        )
        self.product_id = product_id
        self.variant_id = variant_id
        self.requested = requested
        self.available = available


class InvalidReservation(StockError):
    pass


class HeldStockExpired(StockError):
    """Units held for a buyer expired before the sale, and no other batch can replace them."""

    def __init__(self, product_id: int, expired_on: date, missing: int):
        super().__init__(
            _l("The held units expired on %(date)s and no fresh stock is left.", date=expired_on)
        )
        self.product_id = product_id
        self.expired_on = expired_on
        self.missing = missing


SALE_KINDS = {"online": MovementKind.ONLINE_SALE, "counter": MovementKind.COUNTER_SALE}


# --- locks ---------------------------------------------------------------------------------


def _lock_levels(batch_ids: Iterable[int]) -> dict[int, StockLevel]:
    ids = sorted(set(batch_ids))
    if not ids:
        return {}
    statement = (
        select(StockLevel)
        .where(StockLevel.batch_id.in_(ids))
        .order_by(StockLevel.batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {level.batch_id: level for level in db.session.scalars(statement)}


def _move(
    level: StockLevel,
    batch: Batch,
    kind: MovementKind,
    quantity: int,
    *,
    actor_id: int | None,
    reference_type: str,
    reference_id: int | None,
    reason: str = "",
) -> StockMovement:
    """Change on hand by `quantity` (signed) and write the ledger line. The level is locked."""
    if quantity == 0:
        raise StockError(_l("The quantity must not be zero."), field="quantity")
    if level.on_hand + quantity < level.reserved:
        # Units held for buyers cannot be returned, written off or corrected away.
        raise OutOfStock(
            batch.product_id, -quantity, level.on_hand - level.reserved, batch.variant_id
        )
    level.on_hand += quantity
    movement = StockMovement(
        batch_id=batch.id,
        product_id=batch.product_id,
        variant_id=batch.variant_id,
        vendor_id=batch.vendor_id,
        kind=kind.value,
        quantity=quantity,
        actor_id=actor_id,
        reference_type=reference_type,
        reference_id=reference_id,
        reason=reason[:255],
    )
    db.session.add(movement)
    return movement


def receive_batch(batch: Batch, *, actor_id: int) -> StockMovement:
    """Put a new batch on the shelf: its level row and the intake movement. A batch without a
    variant is of the product's one variant (a product without options)."""
    if batch.variant_id is None and batch.variant is None:
        batch.variant_id = only_variant_id(batch.product_id)
    db.session.add(batch)
    db.session.flush()
    level = StockLevel(
        batch_id=batch.id,
        product_id=batch.product_id,
        variant_id=batch.variant_id,
        on_hand=0,
        reserved=0,
    )
    db.session.add(level)
    db.session.flush()
    return _move(
        level,
        batch,
        MovementKind.INTAKE,
        batch.received_quantity,
        actor_id=actor_id,
        reference_type="intake_receipt",
        reference_id=batch.receipt_id,
    )


def only_variant_id(product_id: int) -> int:
    """The variant of a product sold without options; StockError when it has options (the
    size or colour must be chosen)."""
    ids = db.session.scalars(
        select(ProductVariant.id).where(
            ProductVariant.product_id == product_id, ProductVariant.active.is_(True)
        )
    ).all()
    if len(ids) != 1:
        raise StockError(_l("Choose the size or colour."), field="variant_id")
    return ids[0]


def remove_from_batch(
    batch: Batch,
    quantity: int,
    kind: MovementKind,
    *,
    actor_id: int,
    reference_type: str,
    reference_id: int | None,
    reason: str = "",
) -> StockMovement:
    """Take units out of a batch (return to vendor, damage or loss, expiry write-off)."""
    if quantity <= 0:
        raise StockError(_l("Enter a quantity of at least 1."), field="quantity")
    level = _lock_levels([batch.id])[batch.id]
    return _move(
        level,
        batch,
        kind,
        -quantity,
        actor_id=actor_id,
        reference_type=reference_type,
        reference_id=reference_id,
        reason=reason,
    )


def return_to_shelf(
    batch: Batch,
    quantity: int,
    *,
    actor_id: int | None,
    reference_type: str,
    reference_id: int | None,
    reason: str = "",
) -> StockMovement:
    """Put sold units back into the batch they came from (a refund a manager restocks)."""
    if quantity <= 0:
        raise StockError(_l("Enter a quantity of at least 1."), field="quantity")
    level = _lock_levels([batch.id])[batch.id]
    return _move(
        level,
        batch,
        MovementKind.CUSTOMER_RETURN,
        quantity,
        actor_id=actor_id,
        reference_type=reference_type,
        reference_id=reference_id,
        reason=reason,
    )


def correct_count(
    batch: Batch, counted: int, *, actor_id: int, count_id: int, reason: str
) -> StockMovement | None:
    """Make on hand equal what was counted; None when it already does."""
    if counted < 0:
        raise StockError(_l("A counted quantity cannot be negative."), field="counted")
    level = _lock_levels([batch.id])[batch.id]
    difference = counted - level.on_hand
    if difference == 0:
        return None
    return _move(
        level,
        batch,
        MovementKind.COUNT_CORRECTION,
        difference,
        actor_id=actor_id,
        reference_type="stock_count",
        reference_id=count_id,
        reason=reason,
    )


# --- what can be sold ----------------------------------------------------------------------


def sellable_from(channel: str, today: date) -> date:
    """The earliest expiry date a batch may have to be sold on `channel` today.

    Expired batches are sold nowhere. Online, a batch must also keep the setting
    `online_min_shelf_life_days` (3) left: a parcel collected or delivered a day or two later
    must not reach the buyer expired. Closer batches are sold at the counter, where the buyer
    sees the date on the pack.
    """
    if channel == "online":
        return today + timedelta(days=_online_min_shelf_life_days())
    return today


def _online_min_shelf_life_days() -> int:
    # A listing page asks several times (in-stock filter, stock badges): read the setting once
    # per request. Commands and jobs read it each time, so a change is seen at once.
    if not has_request_context():
        return int(get_setting("online_min_shelf_life_days"))
    if "online_min_shelf_life_days" not in g:
        g.online_min_shelf_life_days = int(get_setting("online_min_shelf_life_days"))
    return g.online_min_shelf_life_days


def sellable(first_expiry: date):
    """Batches that may be sold: none, or a later expiry (FEFO picks the earliest first)."""
    return or_(Batch.expires_on.is_(None), Batch.expires_on >= first_expiry)


def available_quantity(
    product_id: int,
    today: date | None = None,
    *,
    channel: str = "online",
    variant_id: int | None = None,
) -> int:
    """On hand − reserved, over the product's (or one variant's) batches that may be sold on
    `channel`."""
    first_expiry = sellable_from(channel, today or today_wib())
    which = (
        StockLevel.variant_id == variant_id
        if variant_id is not None
        else StockLevel.product_id == product_id
    )
    total = db.session.scalar(
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
        .join(Batch, Batch.id == StockLevel.batch_id)
        .where(which, sellable(first_expiry))
    )
    return int(total or 0)


def on_hand_by_variant(variant_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf per variant, held ones included, expired ones too: what retiring a
    variant would leave nobody able to sell or count (catalog.variants asks)."""
    ids = list(set(variant_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand))
        .where(StockLevel.variant_id.in_(ids))
        .group_by(StockLevel.variant_id)
    )
    return {variant_id: int(total or 0) for variant_id, total in rows}


def _available_by(column, product_ids: list[int], today: date | None, channel: str):
    """Available units (on hand − reserved, sellable batches) of these products, per `column`
    of the stock level (its product or its variant)."""
    if not product_ids:
        return {}
    first_expiry = sellable_from(channel, today or today_wib())
    rows = db.session.execute(
        select(column, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(Batch, Batch.id == StockLevel.batch_id)
        .where(StockLevel.product_id.in_(product_ids), sellable(first_expiry))
        .group_by(column)
    )
    return {key: int(total or 0) for key, total in rows}


def variant_quantities(
    product_ids: Iterable[int], today: date | None = None, *, channel: str = "online"
) -> dict[int, int]:
    """{variant id: available} for every variant with sellable stock of these products (a
    variant missing from the answer has none): the product page's size picker."""
    return _available_by(StockLevel.variant_id, list(set(product_ids)), today, channel)


def available_quantities(
    product_ids: Iterable[int], today: date | None = None, *, channel: str = "online"
) -> dict[int, int]:
    """`available_quantity` for many products in one query (list pages)."""
    ids = list(set(product_ids))
    found = _available_by(StockLevel.product_id, ids, today, channel)
    return {product_id: found.get(product_id, 0) for product_id in ids}


@dataclass(frozen=True)
class Line:
    """Units wanted of a product; of one variant when `variant_id` is given (a product with
    options must name it; one without may leave it out)."""

    product_id: int
    quantity: int
    variant_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        if self.variant_id is not None:
            return ("variant", self.variant_id)
        return ("product", self.product_id)


def _batch_key(key: tuple[str, int], batch_product: int, batch_variant: int) -> bool:
    kind, value = key
    return value == (batch_variant if kind == "variant" else batch_product)


def _allocate(
    lines: list[Line], first_expiry: date, *, lock: bool = True
) -> list[tuple[Batch, StockLevel, int]]:
    """FEFO: each product's quantity from its earliest-expiring batches that expire on or after
    `first_expiry` (see `sellable_from`), locked (unless `lock` is False: a preview)."""
    wanted: dict[tuple[str, int], int] = {}
    product_of: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise StockError(_l("Enter a quantity of at least 1."), field="quantity")
        wanted[line.key] = wanted.get(line.key, 0) + line.quantity
        product_of[line.key] = line.product_id
    candidates = db.session.execute(
        select(Batch.id, Batch.product_id, Batch.variant_id)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(
            Batch.product_id.in_(set(product_of.values())),
            sellable(first_expiry),
            StockLevel.on_hand > StockLevel.reserved,
        )
        .order_by(nulls_last(Batch.expires_on.asc()), Batch.id)
    ).all()
    if lock:
        levels = _lock_levels(batch_id for batch_id, _, _ in candidates)
    else:
        ids = [batch_id for batch_id, _, _ in candidates]
        levels = {
            level.batch_id: level
            for level in db.session.scalars(select(StockLevel).where(StockLevel.batch_id.in_(ids)))
        }
    batches = {b.id: b for b in db.session.scalars(select(Batch).where(Batch.id.in_(levels)))}
    allocation = []
    for key, quantity in wanted.items():
        remaining = quantity
        for batch_id, batch_product, batch_variant in candidates:
            if remaining == 0 or not _batch_key(key, batch_product, batch_variant):
                continue
            level = levels[batch_id]
            take = min(remaining, level.on_hand - level.reserved)
            if take > 0:
                allocation.append((batches[batch_id], level, take))
                remaining -= take
        if remaining:
            variant_id = key[1] if key[0] == "variant" else None
            raise OutOfStock(product_of[key], quantity, quantity - remaining, variant_id)
    return allocation


def preview_allocation(lines: Iterable[Line], channel: str) -> list[tuple[int, int, int]]:
    """(batch id, product id, quantity) FEFO would sell now on `channel`, without locking or
    changing anything: what the cart and the till show before the sale (a batch's markdown).
    Raises OutOfStock like `reserve`."""
    allocation = _allocate(list(lines), sellable_from(channel, today_wib()), lock=False)
    return [(batch.id, batch.product_id, quantity) for batch, _level, quantity in allocation]


def reserve(
    lines: Iterable[Line], ttl: timedelta, *, reference: str = "", now: datetime | None = None
) -> Reservation:
    """Hold stock for a buyer (FEFO across batches) until `now + ttl`. Raises OutOfStock and
    changes nothing when any line cannot be filled completely."""
    ensure_write_lock()
    now = now or utcnow()
    allocation = _allocate(list(lines), sellable_from("online", today_wib()))
    reservation = Reservation(
        status=ReservationStatus.ACTIVE.value, expires_at=now + ttl, reference=reference[:60]
    )
    for batch, level, quantity in allocation:
        level.reserved += quantity
        reservation.lines.append(
            ReservationLine(
                batch_id=batch.id,
                product_id=batch.product_id,
                variant_id=batch.variant_id,
                quantity=quantity,
            )
        )
    db.session.add(reservation)
    db.session.flush()
    return reservation


def _lock_reservation(reservation: Reservation) -> Reservation:
    locked = db.session.scalar(
        select(Reservation)
        .where(Reservation.id == reservation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or locked.status != ReservationStatus.ACTIVE:
        raise InvalidReservation(_l("This reservation is no longer active."))
    return locked


def release(reservation: Reservation, *, now: datetime | None = None) -> None:
    """Give the held units back to the shelf (cancelled or expired order)."""
    ensure_write_lock()
    reservation = _lock_reservation(reservation)
    levels = _lock_levels(line.batch_id for line in reservation.lines)
    for line in reservation.lines:
        levels[line.batch_id].reserved -= line.quantity
    reservation.status = ReservationStatus.RELEASED.value
    reservation.closed_at = now or utcnow()


def extend(reservation: Reservation, expires_at: datetime) -> Reservation:
    """Hold the same units until `expires_at` (the shopper switched to a slower way to pay)."""
    ensure_write_lock()
    reservation = _lock_reservation(reservation)
    reservation.expires_at = expires_at
    return reservation


def commit_sale(
    reservation: Reservation,
    channel: str,
    *,
    reference_type: str,
    reference_id: int | None,
    actor_id: int | None = None,
) -> list[StockMovement]:
    """Turn held units into sale movements (the order was paid).

    A hold can outlive its batch (a 48-hour pay-at-outlet hold on goods expiring tomorrow):
    units of a batch that expired meanwhile are never sold. They are replaced FEFO from the
    variant's other unexpired batches (the reservation's lines follow, so the pick list shows
    the batch sold); when that is not enough, HeldStockExpired is raised before anything
    changes and the caller decides (refuse the payment, or flag a paid order).
    """
    ensure_write_lock()
    kind = SALE_KINDS[channel]
    reservation = _lock_reservation(reservation)
    today = today_wib()
    if expired_lines(reservation, today):
        _replace_expired(reservation, today)
    levels = _lock_levels(line.batch_id for line in reservation.lines)
    movements = []
    for line in reservation.lines:
        level = levels[line.batch_id]
        level.reserved -= line.quantity
        movements.append(
            _move(
                level,
                line.batch,
                kind,
                -line.quantity,
                actor_id=actor_id,
                reference_type=reference_type,
                reference_id=reference_id,
            )
        )
    reservation.status = ReservationStatus.COMMITTED.value
    reservation.closed_at = utcnow()
    return movements


def expired_lines(reservation: Reservation, today: date) -> list[ReservationLine]:
    """The reservation's lines whose batch has expired by `today`."""
    return [
        line
        for line in reservation.lines
        if line.batch.expires_on is not None and line.batch.expires_on < today
    ]


def _replace_expired(reservation: Reservation, today: date) -> None:
    """Move the hold of expired lines onto the same variant's other sellable batches (FEFO).

    Every level involved is locked in one batch-id-ordered statement, and the shortfall is
    checked before anything changes.
    """
    expired = expired_lines(reservation, today)
    wanted: dict[int, int] = defaultdict(int)
    expired_on: dict[int, date] = {}
    product_of: dict[int, int] = {}
    for line in expired:
        wanted[line.variant_id] += line.quantity
        product_of[line.variant_id] = line.product_id
        expired_on[line.variant_id] = min(
            line.batch.expires_on, expired_on.get(line.variant_id, line.batch.expires_on)
        )
    expired_ids = {line.batch_id for line in expired}
    candidates = db.session.execute(
        select(Batch.id, Batch.variant_id)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(
            Batch.variant_id.in_(wanted),
            sellable(today),
            Batch.id.not_in(expired_ids),
        )
        .order_by(nulls_last(Batch.expires_on.asc()), Batch.id)
    ).all()
    levels = _lock_levels(
        [line.batch_id for line in reservation.lines] + [batch_id for batch_id, _ in candidates]
    )
    for variant_id, quantity in wanted.items():
        free = sum(
            levels[batch_id].on_hand - levels[batch_id].reserved
            for batch_id, batch_variant in candidates
            if batch_variant == variant_id
        )
        if free < quantity:
            raise HeldStockExpired(product_of[variant_id], expired_on[variant_id], quantity - free)
    for line in expired:
        levels[line.batch_id].reserved -= line.quantity
        reservation.lines.remove(line)
    for variant_id, quantity in wanted.items():
        remaining = quantity
        for batch_id, batch_variant in candidates:
            if batch_variant != variant_id or remaining == 0:
                continue
            level = levels[batch_id]
            take = min(remaining, level.on_hand - level.reserved)
            if take > 0:
                level.reserved += take
                reservation.lines.append(
                    ReservationLine(
                        batch_id=batch_id,
                        product_id=product_of[variant_id],
                        variant_id=variant_id,
                        quantity=take,
                    )
                )
                remaining -= take
    db.session.flush()


def record_counter_sale(
    lines: Iterable[Line], *, reference_type: str, reference_id: int | None, actor_id: int
) -> list[StockMovement]:
    """A sale at the counter: FEFO allocation and sale movements in one step. The counter may
    sell batches close to expiry (the buyer sees the date); never expired ones."""
    ensure_write_lock()
    movements = []
    for batch, level, quantity in _allocate(list(lines), sellable_from("counter", today_wib())):
        movements.append(
            _move(
                level,
                batch,
                MovementKind.COUNTER_SALE,
                -quantity,
                actor_id=actor_id,
                reference_type=reference_type,
                reference_id=reference_id,
            )
        )
    return movements


def expire_reservations(now: datetime | None = None) -> int:
    """Release every active reservation past its time; returns how many."""
    ensure_write_lock()
    now = now or utcnow()
    due = db.session.scalars(
        select(Reservation).where(
            Reservation.status == ReservationStatus.ACTIVE.value, Reservation.expires_at < now
        )
    ).all()
    for reservation in due:
        release(reservation, now=now)
    return len(due)


# --- checking the books --------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    batch_id: int
    on_hand: int
    ledger_sum: int
    reserved: int
    reserved_held: int

    @property
    def problem(self) -> str:
        parts = []
        if self.on_hand != self.ledger_sum:
            parts.append(f"on hand {self.on_hand} but movements add up to {self.ledger_sum}")
        if self.on_hand < 0:
            parts.append(f"on hand is negative ({self.on_hand})")
        if self.reserved != self.reserved_held:
            parts.append(
                f"reserved {self.reserved} but active reservations hold {self.reserved_held}"
            )
        if self.reserved > self.on_hand:
            parts.append(f"reserved {self.reserved} exceeds on hand {self.on_hand}")
        return "; ".join(parts)


def verify_ledger() -> tuple[int, list[Mismatch]]:
    """Compare every stock level with its movements and active reservations.

    Returns (batches checked, mismatches). Aggregates in the database: one pass over the
    movements, however many there are.
    """
    sums = (
        select(StockMovement.batch_id, func.sum(StockMovement.quantity).label("total"))
        .group_by(StockMovement.batch_id)
        .subquery()
    )
    held = (
        select(ReservationLine.batch_id, func.sum(ReservationLine.quantity).label("held"))
        .join(Reservation, Reservation.id == ReservationLine.reservation_id)
        .where(Reservation.status == ReservationStatus.ACTIVE.value)
        .group_by(ReservationLine.batch_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Batch.id,
            func.coalesce(StockLevel.on_hand, 0),
            func.coalesce(sums.c.total, 0),
            func.coalesce(StockLevel.reserved, 0),
            func.coalesce(held.c.held, 0),
        )
        .outerjoin(StockLevel, StockLevel.batch_id == Batch.id)
        .outerjoin(sums, sums.c.batch_id == Batch.id)
        .outerjoin(held, held.c.batch_id == Batch.id)
        .order_by(Batch.id)
    ).all()
    mismatches = [
        Mismatch(batch_id, int(on_hand), int(total), int(reserved), int(reserved_held))
        for batch_id, on_hand, total, reserved, reserved_held in rows
        if on_hand != total or on_hand < 0 or reserved != reserved_held or reserved > on_hand
    ]
    return len(rows), mismatches
