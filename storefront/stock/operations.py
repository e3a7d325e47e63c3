"""Stock operations managers run on the shelf: returns to vendors (retur), damage, loss and
expiry write-offs, stock counts (stock opname) and the expiry lists.

Every change of stock goes through `stock.ledger`; these functions only decide what to
ask it for, write the document rows (ReturnNote, StockWriteOff, StockCount) and the audit log.
They never commit: on any `StockError` the caller rolls back and nothing has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront import audit
from storefront.catalog.models import Product, ProductVariant
from storefront.clock import today_wib
from storefront.database import ensure_write_lock
from storefront.extensions import db
from storefront.numbering import next_daily_number
from storefront.settings.services import UnknownSetting, get_setting
from storefront.states import LabelledEnum
from storefront.stock import ledger, losses
from storefront.stock.ledger import StockError
from storefront.stock.models import (
    Batch,
    MovementKind,
    ReturnNote,
    StockLevel,
    StockMovement,
    StockWriteOff,
)
from storefront.uploads import delete_stored, save_image
from storefront.vendors.models import Vendor

DEFAULT_EXPIRY_WARNING_DAYS = 30
WRITE_OFF_PHOTO_WIDTH = 1200
LIST_LIMIT = 200
NUMBER_ATTEMPTS = 5


class ReturnReason(LabelledEnum):
    UNSOLD = "unsold", _l("Unsold")
    NEAR_EXPIRY = "near_expiry", _l("Near expiry")
    EXPIRED = "expired", _l("Expired")
    DAMAGED = "damaged", _l("Damaged")
    RECALLED = "recalled", _l("Recalled")


# A write-off is one of the two ledger kinds that take goods out without a buyer or a vendor.
WRITE_OFF_KINDS = (MovementKind.DAMAGE_LOSS, MovementKind.EXPIRY_WRITE_OFF)


@dataclass(frozen=True)
class BatchStock:
    batch: Batch
    on_hand: int
    reserved: int

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved


def _stock_rows(statement) -> list[BatchStock]:
    return [
        BatchStock(b, on_hand, reserved) for b, on_hand, reserved in db.session.execute(statement)
    ]


def _with_stock():
    return (
        select(Batch, StockLevel.on_hand, StockLevel.reserved)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .join(Product, Product.id == Batch.product_id)
        .join(ProductVariant, ProductVariant.id == Batch.variant_id)
        .where(StockLevel.on_hand > 0)
        .options(
            selectinload(Batch.product), selectinload(Batch.variant), selectinload(Batch.vendor)
        )
    )


def _positive(quantity: int | None, field: str = "quantity") -> int:
    if quantity is None or quantity <= 0:
        raise StockError(_l("Enter a quantity of at least 1."), field=field)
    return quantity


def _batch_label(batch: Batch) -> str:
    return f"{batch.variant.code} {batch.variant.display_name()}" + (
        f" ({batch.code})" if batch.code else ""
    )


def _not_enough(batch: Batch, exc: ledger.OutOfStock, field: str) -> StockError:
    return StockError(
        _l(
            "%(batch)s: only %(free)d can be taken out (units held for orders stay).",
            batch=_batch_label(batch),
            free=max(exc.available, 0),
        ),
        field=field,
    )


# --- returns to vendor (retur) -------------------------------------------------------------


def vendor_batches(vendor_id: int) -> list[BatchStock]:
    """A vendor's batches that still have stock, the oldest expiry first."""
    return _stock_rows(
        _with_stock()
        .where(Batch.vendor_id == vendor_id)
        .order_by(Product.name, ProductVariant.position, Batch.expires_on, Batch.id)
    )


def vendors_with_stock() -> list[Vendor]:
    """Vendors that have at least one batch with stock, by name (the returns chooser)."""
    has_stock = (
        select(Batch.id)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(Batch.vendor_id == Vendor.id, StockLevel.on_hand > 0)
        .exists()
    )
    return db.session.scalars(select(Vendor).where(has_stock).order_by(Vendor.name)).all()


def next_return_number(today: date) -> str:
    return next_daily_number(ReturnNote.number, "RT", today)


def _numbered_return_note(**fields) -> ReturnNote:
    """Insert the note with the day's next number.

    SQLite's write lock makes the number unique already; on PostgreSQL two returns saved at
    the same moment can pick the same one, so the loser tries the next inside a savepoint.
    """
    for _attempt in range(NUMBER_ATTEMPTS):
        return_note = ReturnNote(number=next_return_number(today_wib()), **fields)
        try:
            with db.session.begin_nested():
                db.session.add(return_note)
        except IntegrityError:
            continue
        return return_note
    raise StockError(_l("The shop is busy. Please confirm the return again."))


def create_return(
    vendor: Vendor, actor, quantities: dict[int, int], reason: str, note: str = ""
) -> ReturnNote:
    """Hand units of the vendor's batches back: one note, one movement per batch."""
    if reason not in set(ReturnReason):
        raise StockError(_l("Choose a reason for the return."), field="reason")
    for batch_id, quantity in quantities.items():
        if quantity < 0:
            raise StockError(_l("Enter a quantity of at least 1."), field=f"qty-{batch_id}")
    wanted = {batch_id: q for batch_id, q in quantities.items() if q > 0}
    if not wanted:
        raise StockError(_l("Enter a quantity for at least one batch."), field="lines")
    ensure_write_lock()
    batches = db.session.scalars(
        select(Batch).where(Batch.id.in_(wanted), Batch.vendor_id == vendor.id).order_by(Batch.id)
    ).all()
    if len(batches) != len(wanted):
        raise StockError(_l("A batch on this return does not belong to this vendor."))
    return_note = _numbered_return_note(
        vendor_id=vendor.id, actor_id=actor.id, reason=reason, note=note.strip()
    )
    for batch in batches:
        try:
            ledger.remove_from_batch(
                batch,
                wanted[batch.id],
                MovementKind.RETURN_TO_VENDOR,
                actor_id=actor.id,
                reference_type="return_note",
                reference_id=return_note.id,
                reason=reason,
            )
        except ledger.OutOfStock as exc:
            raise _not_enough(batch, exc, f"qty-{batch.id}") from exc
    audit.record(
        actor,
        "stock.return",
        return_note,
        after={"number": return_note.number, "reason": reason, "lines": wanted},
    )
    return return_note


def return_lines(return_note: ReturnNote) -> list[StockMovement]:
    return db.session.scalars(
        select(StockMovement)
        .where(
            StockMovement.reference_type == "return_note",
            StockMovement.reference_id == return_note.id,
        )
        .order_by(StockMovement.id)
        .options(selectinload(StockMovement.product), selectinload(StockMovement.batch))
    ).all()


def recent_returns(page: int = 1):
    statement = (
        select(ReturnNote).order_by(ReturnNote.id.desc()).options(selectinload(ReturnNote.vendor))
    )
    return db.paginate(statement, page=page, per_page=25, error_out=False)


# --- damage, loss and expiry write-offs -------------------------------------------------------


def find_batches(query: str) -> list[BatchStock]:
    """Batches with stock whose product code, batch code or product name matches."""
    query = query.strip()
    if not query:
        return []
    pattern = f"%{query.lower()}%"
    return _stock_rows(
        _with_stock()
        .where(
            or_(
                func.lower(Product.code) == query.lower(),
                func.lower(ProductVariant.sku) == query.lower(),
                func.lower(Batch.code) == query.lower(),
                func.lower(Product.name).like(pattern),
            )
        )
        .order_by(Product.name, ProductVariant.position, Batch.expires_on, Batch.id)
        .limit(50)
    )


def batch_stock(batch_id: int) -> BatchStock | None:
    row = db.session.execute(
        select(Batch, StockLevel.on_hand, StockLevel.reserved)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(Batch.id == batch_id)
    ).first()
    return BatchStock(*row) if row else None


def record_write_off(
    batch: Batch,
    actor,
    *,
    quantity: int | None,
    kind: str,
    reason: str,
    responsible: str | None,
    photo=None,
) -> StockWriteOff:
    """Take damaged, lost or expired units off the books, with the reason, who is responsible
    (the outlet compensates the vendor for what it lost, stock/losses.py) and a photo."""
    _positive(quantity)
    if kind not in WRITE_OFF_KINDS:
        raise StockError(_l("Choose damage/loss or expiry write-off."), field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise StockError(_l("Say what happened."), field="reason")
    responsible = losses.check_responsible(responsible)
    photo_key = None
    if photo is not None and photo.filename:
        image = save_image(
            photo, folder=f"writeoffs/{batch.vendor_id}", sizes=(WRITE_OFF_PHOTO_WIDTH,)
        )
        photo_key = image.path_for(image.widths[-1])
    try:
        ensure_write_lock()
        write_off = StockWriteOff(
            batch_id=batch.id,
            kind=kind,
            quantity=quantity,
            reason=reason,
            photo_key=photo_key,
            actor_id=actor.id,
        )
        db.session.add(write_off)
        db.session.flush()
        try:
            movement = ledger.remove_from_batch(
                batch,
                quantity,
                MovementKind(kind),
                actor_id=actor.id,
                reference_type="stock_write_off",
                reference_id=write_off.id,
                reason=reason,
            )
        except ledger.OutOfStock as exc:
            raise _not_enough(batch, exc, "quantity") from exc
        loss = losses.record_loss(movement, responsible, reason, actor_id=actor.id)
    except BaseException:
        # The photo belongs to a record that will not exist.
        if photo_key:
            delete_stored(photo_key)
        raise
    audit.record(
        actor,
        "stock.write_off",
        write_off,
        after={
            "batch_id": batch.id,
            "kind": kind,
            "quantity": quantity,
            "reason": reason,
            "responsible": responsible,
            "compensation": loss.compensation,
        },
    )
    return write_off


def recent_write_offs(page: int = 1):
    statement = (
        select(StockWriteOff)
        .order_by(StockWriteOff.id.desc())
        .options(selectinload(StockWriteOff.batch).selectinload(Batch.product))
    )
    return db.paginate(statement, page=page, per_page=25, error_out=False)


# --- expiry lists -----------------------------------------------------------------------------


def expiry_warning_days() -> int:
    """How many days ahead the expiry list looks (setting `expiry_warning_days`, default 30)."""
    try:
        value = get_setting("expiry_warning_days")
    except UnknownSetting:
        return DEFAULT_EXPIRY_WARNING_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_EXPIRY_WARNING_DAYS
    return days if days >= 0 else DEFAULT_EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class ExpiryList:
    today: date
    days: int
    expired: list[BatchStock]
    expiring: list[BatchStock]


def expiry_list(vendor_id: int | None = None, today: date | None = None) -> ExpiryList:
    """Batches with stock already expired, and those expiring within the warning window.

    With `vendor_id` only that vendor's batches: the one scope a vendor's page uses.
    """
    today = today or today_wib()
    days = expiry_warning_days()
    base = _with_stock().where(Batch.expires_on.is_not(None))
    if vendor_id is not None:
        base = base.where(Batch.vendor_id == vendor_id)
    order = (Batch.expires_on, Product.name, Batch.id)
    expired = _stock_rows(base.where(Batch.expires_on < today).order_by(*order).limit(LIST_LIMIT))
    expiring = _stock_rows(
        base.where(Batch.expires_on >= today, Batch.expires_on <= today + timedelta(days=days))
        .order_by(*order)
        .limit(LIST_LIMIT)
    )
    return ExpiryList(today, days, expired, expiring)
