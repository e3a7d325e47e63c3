"""Stock operations managers run on the shelf: returns to vendors (retur), damage, loss and
expiry write-offs, stock counts (stock opname) and the expiry lists.

Every change of stock goes through `consignment.ledger`; these functions only decide what to
ask it for, write the document rows (ReturnNote, StockWriteOff, StockCount) and the audit log.
They never commit: on any `StockError` the caller rolls back and nothing has changed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront.catalog.models import Category, Product
from storefront.catalog.permits import today_wib
from storefront.consignment import ledger
from storefront.consignment.ledger import StockError
from storefront.consignment.models import (
    Batch,
    MovementKind,
    ReturnNote,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    StockWriteOff,
)
from storefront.database import utcnow
from storefront.extensions import db
from storefront.manage import audit
from storefront.settings.services import UnknownSetting, get_setting
from storefront.uploads import delete_stored, save_image
from storefront.vendors.models import Vendor

DEFAULT_EXPIRY_WARNING_DAYS = 30
WRITE_OFF_PHOTO_WIDTH = 1200
LIST_LIMIT = 200
NUMBER_ATTEMPTS = 5


class ReturnReason(enum.StrEnum):
    UNSOLD = "unsold"
    NEAR_EXPIRY = "near_expiry"
    EXPIRED = "expired"
    DAMAGED = "damaged"
    RECALLED = "recalled"


RETURN_REASONS = {
    ReturnReason.UNSOLD: _l("Unsold"),
    ReturnReason.NEAR_EXPIRY: _l("Near expiry"),
    ReturnReason.EXPIRED: _l("Expired"),
    ReturnReason.DAMAGED: _l("Damaged"),
    ReturnReason.RECALLED: _l("Recalled"),
}

# A write-off is one of the two ledger kinds that take goods out without a buyer or a vendor.
WRITE_OFF_KINDS = {
    MovementKind.DAMAGE_LOSS: _l("Damage or loss"),
    MovementKind.EXPIRY_WRITE_OFF: _l("Expiry write-off"),
}

COUNT_SCOPES = {"all": _l("Everything"), "vendor": _l("One vendor"), "category": _l("One category")}
COUNT_STATUSES = {"open": _l("Open"), "posted": _l("Posted"), "cancelled": _l("Cancelled")}


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
        .where(StockLevel.on_hand > 0)
        .options(selectinload(Batch.product), selectinload(Batch.vendor))
    )


def _positive(quantity: int | None, field: str = "quantity") -> int:
    if quantity is None or quantity <= 0:
        raise StockError(_l("Enter a quantity of at least 1."), field=field)
    return quantity


def _batch_label(batch: Batch) -> str:
    return f"{batch.product.code} {batch.product.name}" + (f" ({batch.code})" if batch.code else "")


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
        .order_by(Product.name, Batch.expires_on, Batch.id)
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
    """RT-YYMMDD-NNNN, numbered per day in WIB. Called under the stock write lock."""
    prefix = f"RT-{today:%y%m%d}-"
    last = db.session.scalar(
        select(func.max(ReturnNote.number)).where(ReturnNote.number.like(f"{prefix}%"))
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


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
    if reason not in RETURN_REASONS:
        raise StockError(_l("Choose a reason for the return."), field="reason")
    for batch_id, quantity in quantities.items():
        if quantity < 0:
            raise StockError(_l("Enter a quantity of at least 1."), field=f"qty-{batch_id}")
    wanted = {batch_id: q for batch_id, q in quantities.items() if q > 0}
    if not wanted:
        raise StockError(_l("Enter a quantity for at least one batch."), field="lines")
    ledger.begin_stock_change()
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
                func.lower(Batch.code) == query.lower(),
                func.lower(Product.name).like(pattern),
            )
        )
        .order_by(Product.name, Batch.expires_on, Batch.id)
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
    batch: Batch, actor, *, quantity: int | None, kind: str, reason: str, photo=None
) -> StockWriteOff:
    """Take damaged, lost or expired units off the books, with the reason and a photo."""
    _positive(quantity)
    if kind not in WRITE_OFF_KINDS:
        raise StockError(_l("Choose damage/loss or expiry write-off."), field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise StockError(_l("Say what happened."), field="reason")
    photo_key = None
    if photo is not None and photo.filename:
        image = save_image(
            photo, folder=f"writeoffs/{batch.vendor_id}", sizes=(WRITE_OFF_PHOTO_WIDTH,)
        )
        photo_key = image.path_for(image.widths[-1])
    try:
        ledger.begin_stock_change()
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
            ledger.remove_from_batch(
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
    except BaseException:
        # The photo belongs to a record that will not exist.
        if photo_key:
            delete_stored(photo_key)
        raise
    audit.record(
        actor,
        "stock.write_off",
        write_off,
        after={"batch_id": batch.id, "kind": kind, "quantity": quantity, "reason": reason},
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


# --- stock counts (stock opname) --------------------------------------------------------------
#
# A line remembers the batch's on hand and its newest movement id *at the moment the counted
# quantity was entered*. Sales and deliveries go on while people count, so when the count is
# posted the batch may have moved since. We never overwrite those movements blindly: the target
# is `counted + (movements since counting)` — what was on the shelf when counted, carried forward
# by everything the ledger recorded afterwards. The correction is therefore counted − expected,
# the difference actually found. If that target would be negative (more left the batch than was
# counted), the line must be counted again before the count can be posted.


_LINE_BATCH = selectinload(StockCountLine.batch).options(
    selectinload(Batch.product), selectinload(Batch.vendor)
)


def report_lines(count: StockCount) -> list[StockCountLine]:
    """The count's lines with their batches and products, in batch order."""
    return db.session.scalars(
        select(StockCountLine)
        .where(StockCountLine.count_id == count.id)
        .options(_LINE_BATCH)
        .order_by(StockCountLine.id)
    ).all()


def _latest_movements(batch_ids) -> dict[int, int]:
    ids = list(batch_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(StockMovement.batch_id, func.max(StockMovement.id))
        .where(StockMovement.batch_id.in_(ids))
        .group_by(StockMovement.batch_id)
    )
    return dict(rows.all())


def start_count(actor, scope: str, scope_id: int | None = None) -> StockCount:
    """Open a count with one line per batch in scope that has stock."""
    if scope not in COUNT_SCOPES:
        raise StockError(_l("Choose what to count."), field="scope")
    statement = select(Batch.id, StockLevel.on_hand).join(
        StockLevel, StockLevel.batch_id == Batch.id
    )
    statement = statement.where(StockLevel.on_hand > 0)
    if scope == "vendor":
        if not scope_id or db.session.get(Vendor, scope_id) is None:
            raise StockError(_l("Choose a vendor."), field="vendor_id")
        statement = statement.where(Batch.vendor_id == scope_id)
    elif scope == "category":
        if not scope_id or db.session.get(Category, scope_id) is None:
            raise StockError(_l("Choose a category."), field="category_id")
        statement = statement.join(Product, Product.id == Batch.product_id).where(
            Product.category_id == scope_id
        )
    else:
        scope_id = None
    levels = dict(db.session.execute(statement.order_by(Batch.id)).all())
    if not levels:
        raise StockError(_l("There is no stock to count in this selection."), field="scope")
    latest = _latest_movements(levels)
    count = StockCount(scope=scope, scope_id=scope_id, status="open", started_by_id=actor.id)
    for batch_id, on_hand in levels.items():
        count.lines.append(
            StockCountLine(
                batch_id=batch_id, expected=on_hand, last_movement_id=latest.get(batch_id)
            )
        )
    db.session.add(count)
    db.session.flush()
    audit.record(actor, "stock.count_start", count, after={"scope": scope, "scope_id": scope_id})
    return count


def _require_open(count: StockCount) -> None:
    if count.status == "posted":
        raise StockError(_l("This count has already been posted."))
    if count.status != "open":
        raise StockError(_l("This count was cancelled."))


def record_counted(line: StockCountLine, actor, counted: int | None) -> None:
    """Save what was found on the shelf, with the batch's state at this moment."""
    _require_open(line.count)
    if counted is None or counted < 0:
        raise StockError(_l("A counted quantity cannot be negative."), field="counted")
    # Under the write lock, so no sale lands between reading on hand and the newest movement,
    # and no line is saved into a count that was just posted.
    _lock_open_count(line.count)
    # One statement, so on hand and the newest movement id describe the same moment.
    latest = (
        select(func.max(StockMovement.id))
        .where(StockMovement.batch_id == line.batch_id)
        .scalar_subquery()
    )
    on_hand, last_movement_id = db.session.execute(
        select(StockLevel.on_hand, latest).where(StockLevel.batch_id == line.batch_id)
    ).one()
    before = {"counted": line.counted, "expected": line.expected}
    line.counted = counted
    line.counted_at = utcnow()
    line.expected = on_hand
    line.last_movement_id = last_movement_id
    audit.record(
        actor,
        "stock.count_line",
        line,
        before=before,
        after={"counted": counted, "expected": line.expected, "batch_id": line.batch_id},
    )


def count_lines(count: StockCount, code: str = "", page: int = 1):
    """The count's lines for the counting page; `code` narrows to a product or batch code."""
    statement = (
        select(StockCountLine)
        .options(_LINE_BATCH)
        .join(Batch, Batch.id == StockCountLine.batch_id)
        .join(Product, Product.id == Batch.product_id)
        .where(StockCountLine.count_id == count.id)
        .order_by(Product.name, Batch.expires_on, Batch.id)
    )
    code = code.strip().lower()
    if code:
        statement = statement.where(
            or_(
                func.lower(Product.code) == code,
                func.lower(Batch.code) == code,
                func.lower(Product.name).like(f"%{code}%"),
            )
        )
    return db.paginate(statement, page=page, per_page=50, error_out=False)


@dataclass(frozen=True)
class Difference:
    line: StockCountLine
    on_hand_now: int
    moved_since: int  # sum of the batch's movements after the line was counted

    @property
    def counted(self) -> bool:
        return self.line.counted is not None

    @property
    def found(self) -> int:
        """Counted minus what the books said when counting: the difference to correct."""
        return (self.line.counted or 0) - self.line.expected if self.counted else 0

    @property
    def target(self) -> int | None:
        return self.line.counted + self.moved_since if self.counted else None

    @property
    def needs_recount(self) -> bool:
        return self.counted and self.target < 0


def differences(count: StockCount) -> list[Difference]:
    """Every line with the batch's on hand now and how far it moved since it was counted."""
    lines = report_lines(count)
    on_hand = dict(
        db.session.execute(
            select(StockLevel.batch_id, StockLevel.on_hand).where(
                StockLevel.batch_id.in_([line.batch_id for line in lines])
            )
        ).all()
    )
    moved = _moved_since(lines)
    return [
        Difference(line, on_hand.get(line.batch_id, 0), moved.get(line.id, 0)) for line in lines
    ]


def _moved_since(lines) -> dict[int, int]:
    """Per counted line: the sum of its batch's movements newer than the one it saw.

    Count corrections are left out: they fix the books, nothing left or reached the shelf. A
    second count of the same batch, counted before the first was posted, would otherwise
    correct the same difference twice.
    """
    counted = [line for line in lines if line.counted is not None]
    if not counted:
        return {}
    rows = db.session.execute(
        select(StockCountLine.id, func.coalesce(func.sum(StockMovement.quantity), 0))
        .join(
            StockMovement,
            (StockMovement.batch_id == StockCountLine.batch_id)
            & (StockMovement.id > func.coalesce(StockCountLine.last_movement_id, 0))
            & (StockMovement.kind != MovementKind.COUNT_CORRECTION.value),
        )
        .where(StockCountLine.id.in_([line.id for line in counted]))
        .group_by(StockCountLine.id)
    )
    return {line_id: int(total) for line_id, total in rows}


def _lock_open_count(count: StockCount) -> StockCount:
    """The count, re-read under the stock write lock, if it is still open.

    A second click, or a second manager, then finds it posted or cancelled.
    """
    ledger.begin_stock_change()
    locked = db.session.scalar(
        select(StockCount)
        .where(StockCount.id == count.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    _require_open(locked)
    return locked


def post_count(count: StockCount, actor, reason: str) -> list[StockMovement]:
    """Turn the counted lines into count corrections; uncounted lines are left as they are."""
    _require_open(count)
    reason = (reason or "").strip()
    if not reason:
        raise StockError(_l("Give a reason for the corrections."), field="reason")
    count = _lock_open_count(count)
    rows = [d for d in differences(count) if d.counted]
    if not rows:
        raise StockError(_l("Nothing has been counted yet."))
    recount = [d for d in rows if d.needs_recount]
    if recount:
        raise StockError(
            _l(
                "Count these batches again, more units left the shelf after counting than "
                "were counted: %(lines)s",
                lines=", ".join(_batch_label(d.line.batch) for d in recount),
            )
        )
    movements = []
    for row in sorted(rows, key=lambda d: d.line.batch_id):
        try:
            movement = ledger.correct_count(
                row.line.batch, row.target, actor_id=actor.id, count_id=count.id, reason=reason
            )
        except ledger.OutOfStock as exc:
            raise _not_enough(row.line.batch, exc, "reason") from exc
        if movement is not None:
            movements.append(movement)
    count.status = "posted"
    count.posted_by_id = actor.id
    count.posted_at = utcnow()
    count.reason = reason
    audit.record(
        actor,
        "stock.count_post",
        count,
        before={"status": "open"},
        after={
            "status": "posted",
            "reason": reason,
            "corrections": {m.batch_id: m.quantity for m in movements},
        },
    )
    return movements


def cancel_count(count: StockCount, actor) -> None:
    _require_open(count)
    count = _lock_open_count(count)
    count.status = "cancelled"
    audit.record(
        actor, "stock.count_cancel", count, before={"status": "open"}, after={"status": "cancelled"}
    )


def count_corrections(count: StockCount) -> dict[int, int]:
    """The corrections a posted count wrote, per batch."""
    rows = db.session.execute(
        select(StockMovement.batch_id, func.sum(StockMovement.quantity))
        .where(
            StockMovement.reference_type == "stock_count", StockMovement.reference_id == count.id
        )
        .group_by(StockMovement.batch_id)
    )
    return {batch_id: int(total) for batch_id, total in rows}


def count_progress(count_ids) -> dict[int, tuple[int, int]]:
    """Per count: (lines, lines counted), in one query however large the counts are."""
    ids = list(count_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            StockCountLine.count_id,
            func.count(StockCountLine.id),
            func.count(StockCountLine.counted),
        )
        .where(StockCountLine.count_id.in_(ids))
        .group_by(StockCountLine.count_id)
    )
    return {count_id: (int(total), int(done)) for count_id, total, done in rows}


def recent_counts(page: int = 1):
    statement = select(StockCount).order_by(StockCount.id.desc())
    return db.paginate(statement, page=page, per_page=25, error_out=False)


def count_scope_label(count: StockCount) -> str:
    if count.scope == "vendor":
        vendor = db.session.get(Vendor, count.scope_id)
        return vendor.name if vendor else str(COUNT_SCOPES["vendor"])
    if count.scope == "category":
        category = db.session.get(Category, count.scope_id)
        return category.display_name if category else str(COUNT_SCOPES["category"])
    return str(COUNT_SCOPES["all"])
