"""Stock counts (stock opname): count the shelf, see the differences, post corrections.

Split from `operations.py`; the same rules hold: stock changes only through
`stock.ledger`, nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from storefront import audit, states
from storefront.catalog.models import Product, ProductVariant
from storefront.categories import Category
from storefront.database import ensure_write_lock, utcnow
from storefront.extensions import db
from storefront.stock import ledger, losses
from storefront.stock.ledger import StockError
from storefront.stock.models import (
    Batch,
    CountScope,
    CountStatus,
    MovementKind,
    StockCount,
    StockCountLine,
    StockCountStatusChange,
    StockLevel,
    StockMovement,
)
from storefront.stock.operations import _batch_label, _not_enough
from storefront.vendors.models import Vendor

# A count is posted or cancelled once; neither comes back to counting.
COUNT_MOVES = {
    CountStatus.OPEN: {CountStatus.POSTED, CountStatus.CANCELLED},
    CountStatus.POSTED: set(),
    CountStatus.CANCELLED: set(),
}


class InvalidTransition(StockError):
    """A count asked to move where COUNT_MOVES does not allow; nothing changed."""

    def __init__(self, current: CountStatus, to: CountStatus | None = None):
        if current == CountStatus.POSTED:
            super().__init__(_l("This count has already been posted."))
        else:
            super().__init__(_l("This count was cancelled."))
        self.current, self.to = current, to


def transition(count: StockCount, to: CountStatus, *, actor, comment: str = "") -> None:
    states.move(
        count,
        to,
        COUNT_MOVES,
        history=lambda **row: StockCountStatusChange(count_id=count.id, **row),
        actor=actor,
        comment=comment,
        refuse=InvalidTransition,
    )


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
    selectinload(Batch.product), selectinload(Batch.variant), selectinload(Batch.vendor)
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
    if scope not in set(CountScope):
        raise StockError(_l("Choose what to count."), field="scope")
    statement = select(Batch.id, StockLevel.on_hand).join(
        StockLevel, StockLevel.batch_id == Batch.id
    )
    statement = statement.where(StockLevel.on_hand > 0)
    if scope == CountScope.VENDOR:
        if not scope_id or db.session.get(Vendor, scope_id) is None:
            raise StockError(_l("Choose a vendor."), field="vendor_id")
        statement = statement.where(Batch.vendor_id == scope_id)
    elif scope == CountScope.CATEGORY:
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
    count = StockCount(
        scope=scope, scope_id=scope_id, status=CountStatus.OPEN.value, started_by_id=actor.id
    )
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
    """Lines are counted, and a count posted or cancelled, only while it is open."""
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(CountStatus(count.status))


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
        .join(ProductVariant, ProductVariant.id == Batch.variant_id)
        .where(StockCountLine.count_id == count.id)
        # A product's sizes one after the other, so the sheet reads like the shelf.
        .order_by(Product.name, Product.id, ProductVariant.position, Batch.expires_on, Batch.id)
    )
    code = code.strip().lower()
    if code:
        statement = statement.where(
            or_(
                func.lower(Product.code) == code,
                func.lower(ProductVariant.sku) == code,
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
    ensure_write_lock()
    locked = db.session.scalar(
        select(StockCount)
        .where(StockCount.id == count.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    _require_open(locked)
    return locked


def post_count(
    count: StockCount, actor, reason: str, responsible: str | None = None
) -> list[StockMovement]:
    """Turn the counted lines into count corrections; uncounted lines are left as they are.
    Units found missing need someone responsible for them (stock/losses.py)."""
    _require_open(count)
    reason = (reason or "").strip()
    if not reason:
        raise StockError(_l("Give a reason for the corrections."), field="reason")
    count = _lock_open_count(count)
    rows = [d for d in differences(count) if d.counted]
    if not rows:
        raise StockError(_l("Nothing has been counted yet."))
    if any(d.found < 0 for d in rows):
        responsible = losses.check_responsible(responsible)
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
            if movement.quantity < 0:
                losses.record_loss(movement, responsible, reason, actor_id=actor.id)
    transition(count, CountStatus.POSTED, actor=actor, comment=reason)
    count.posted_by_id = actor.id
    count.posted_at = utcnow()
    count.reason = reason
    audit.record(
        actor,
        "stock.count_post",
        count,
        before={"status": CountStatus.OPEN.value},
        after={
            "status": count.status,
            "reason": reason,
            "corrections": {m.batch_id: m.quantity for m in movements},
        },
    )
    return movements


def cancel_count(count: StockCount, actor) -> None:
    _require_open(count)
    count = _lock_open_count(count)
    transition(count, CountStatus.CANCELLED, actor=actor)
    audit.record(
        actor,
        "stock.count_cancel",
        count,
        before={"status": CountStatus.OPEN.value},
        after={"status": count.status},
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
    scope = CountScope(count.scope)
    if scope == CountScope.VENDOR:
        vendor = db.session.get(Vendor, count.scope_id)
        return vendor.name if vendor else str(scope.label)
    if scope == CountScope.CATEGORY:
        category = db.session.get(Category, count.scope_id)
        return category.display_name if category else str(scope.label)
    return str(scope.label)
