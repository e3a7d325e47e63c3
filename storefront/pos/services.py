"""The counter's rules for shifts and voids: opening with a float, the cash count at closing,
voiding a sale of the open shift with a manager's approval. Selling itself is pos/selling.py.

Plain functions on plain values. Stock changes go through the ledger only (DESIGN invariant 2),
in the same transaction as the counter's own rows; nothing here commits or rolls back (the
action does, storefront/database.py). Lock order everywhere: stock levels, then the
shift row, so a sale, a void and a close never deadlock on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront import audit, states
from storefront.auth.models import Role, User
from storefront.auth.services import authenticate
from storefront.database import ensure_write_lock, utcnow
from storefront.dates import datetime_text
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.pos.models import (
    CounterPayment,
    CounterSale,
    CounterSaleStatusChange,
    PayMethod,
    PickupPayment,
    SaleStatus,
    Shift,
    ShiftStatus,
    ShiftStatusChange,
)
from storefront.stock import ledger
from storefront.stock.models import Batch, MovementKind, StockMovement

SALE_REFERENCE = "counter_sale"
VOID_REFERENCE = "counter_sale_void"


class PosError(DomainError):
    """A counter rule was broken; `message` is safe to show, `field` names the form field."""


class InvalidTransition(PosError):
    """A shift or sale asked to move where its table does not allow; nothing changed."""

    def __init__(self, current, to):
        messages = {
            ShiftStatus.CLOSED: _l("This shift is already closed."),
            SaleStatus.VOIDED: _l("This sale has already been voided."),
        }
        super().__init__(messages.get(current, _l("This can no longer be changed.")))
        self.current, self.to = current, to


# The counter's state machines: a shift closes once, a sale is voided once; neither comes back.
SHIFT_MOVES = {ShiftStatus.OPEN: {ShiftStatus.CLOSED}, ShiftStatus.CLOSED: set()}
SALE_MOVES = {SaleStatus.COMPLETED: {SaleStatus.VOIDED}, SaleStatus.VOIDED: set()}


def _moves(record: Shift | CounterSale) -> dict:
    return SHIFT_MOVES if isinstance(record, Shift) else SALE_MOVES


def transition(record: Shift | CounterSale, to, *, actor, comment: str = "") -> None:
    """Close a shift or void a sale: the move is checked against its table and written to the
    record's history (states.move), or InvalidTransition is raised and nothing changes."""
    if isinstance(record, Shift):
        history = lambda **row: ShiftStatusChange(shift_id=record.id, **row)  # noqa: E731
    else:
        history = lambda **row: CounterSaleStatusChange(sale_id=record.id, **row)  # noqa: E731
    states.move(
        record,
        to,
        _moves(record),
        history=history,
        actor=actor,
        comment=comment,
        refuse=InvalidTransition,
    )


def check_move(record: Shift | CounterSale, to) -> None:
    """transition's check alone, before anything is locked or written."""
    states.check(record, to, _moves(record), refuse=InvalidTransition)


def _when(moment: datetime) -> str:
    return datetime_text(moment, "short")


def is_manager(user) -> bool:
    return user.has_role(Role.MANAGER)


# --- shifts --------------------------------------------------------------------------------


def open_shift_of(user_id: int) -> Shift | None:
    return db.session.scalar(
        select(Shift).where(Shift.opened_by_id == user_id, Shift.status == ShiftStatus.OPEN.value)
    )


def open_shift(user, opening_float: int) -> Shift:
    """Start a shift with the cash put in the drawer. One open shift per person."""
    if opening_float is None or opening_float < 0:
        raise PosError(_l("Enter the cash in the drawer, 0 or more."), "opening_float")
    current = open_shift_of(user.id)
    if current is not None:
        raise PosError(
            _l(
                "You already have a shift open since %(time)s. Close it before opening another.",
                time=_when(current.opened_at),
            )
        )
    shift = Shift(opened_by_id=user.id, opening_float=opening_float, opened_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(shift)
    except IntegrityError as exc:  # the same person opened one in another tab just now
        raise PosError(
            _l("You already have a shift open. Close it before opening another.")
        ) from exc
    audit.record(user, "shift.open", shift, after={"opening_float": opening_float})
    return shift


@dataclass
class ShiftSummary:
    shift: Shift
    sales: int = 0
    voided: int = 0
    voided_total: int = 0
    gross: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    cash_tendered: int = 0
    change_given: int = 0
    # Online pickup orders paid at the hand-over in this shift (their money is in the drawer
    # or the QRIS/debit slips like a counter sale's, but it is not a counter sale).
    pickups: int = 0
    pickup_total: int = 0

    @property
    def expected_cash(self) -> int:
        """Float + cash taken (counter sales and pickup hand-overs) − change given, voided
        sales left out."""
        return self.shift.opening_float + self.cash_tendered - self.change_given


def summarise(shift: Shift) -> ShiftSummary:
    summary = ShiftSummary(shift=shift, by_method={m.value: 0 for m in PayMethod})
    rows = db.session.execute(
        select(
            CounterPayment.method,
            func.sum(CounterPayment.amount),
            func.sum(CounterPayment.tendered),
            func.sum(CounterPayment.change),
        )
        .join(CounterSale, CounterSale.id == CounterPayment.sale_id)
        .where(CounterSale.shift_id == shift.id, CounterSale.status == SaleStatus.COMPLETED.value)
        .group_by(CounterPayment.method)
    )
    for method, amount, tendered, change in rows:
        summary.by_method[method] = int(amount or 0)
        if method == PayMethod.CASH:
            summary.cash_tendered = int(tendered or 0)
            summary.change_given = int(change or 0)
    for method, count, amount, tendered, change in db.session.execute(
        select(
            PickupPayment.method,
            func.count(),
            func.sum(PickupPayment.amount),
            func.sum(PickupPayment.tendered),
            func.sum(PickupPayment.change),
        )
        .where(PickupPayment.shift_id == shift.id)
        .group_by(PickupPayment.method)
    ):
        summary.by_method[method] += int(amount or 0)
        summary.pickups += count
        summary.pickup_total += int(amount or 0)
        if method == PayMethod.CASH:
            summary.cash_tendered += int(tendered or 0)
            summary.change_given += int(change or 0)
    for status, count, total in db.session.execute(
        select(CounterSale.status, func.count(), func.coalesce(func.sum(CounterSale.total), 0))
        .where(CounterSale.shift_id == shift.id)
        .group_by(CounterSale.status)
    ):
        if status == SaleStatus.COMPLETED:
            summary.sales, summary.gross = count, int(total)
        else:
            summary.voided, summary.voided_total = count, int(total)
    return summary


def lock_shift(shift_id: int) -> Shift:
    return db.session.scalar(
        select(Shift)
        .where(Shift.id == shift_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def close_shift(shift: Shift, user, counted_cash: int | None, note: str = "") -> Shift:
    """Count the drawer and close. A difference from the expected cash needs a note."""
    if counted_cash is None or counted_cash < 0:
        raise PosError(_l("Enter the cash counted in the drawer, 0 or more."), "counted_cash")
    if shift.opened_by_id != user.id and not is_manager(user):
        raise PosError(_l("Only the cashier of this shift or a manager can close it."))
    note = (note or "").strip()
    ensure_write_lock()
    shift = lock_shift(shift.id)
    transition(shift, ShiftStatus.CLOSED, actor=user, comment=note)
    expected = summarise(shift).expected_cash
    if counted_cash != expected and not note:
        raise PosError(_l("The count differs from the expected cash: say why in the note."), "note")
    shift.expected_cash = expected
    shift.counted_cash = counted_cash
    shift.note = note
    shift.closed_at = utcnow()
    shift.closed_by_id = user.id
    audit.record(
        user,
        "shift.close",
        shift,
        before={"status": ShiftStatus.OPEN.value},
        after={"expected_cash": expected, "counted_cash": counted_cash, "note": note},
    )
    return shift


def recent_shifts(page: int, per_page: int = 30) -> list[Shift]:
    return list(
        db.session.scalars(
            select(Shift)
            .options(joinedload(Shift.opened_by))
            .order_by(Shift.opened_at.desc(), Shift.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )


def shift_pickups(shift_id: int) -> list[PickupPayment]:
    """The pickup orders handed over and paid in this shift, for the shift report."""
    return list(
        db.session.scalars(
            select(PickupPayment)
            .options(joinedload(PickupPayment.order), joinedload(PickupPayment.cashier))
            .where(PickupPayment.shift_id == shift_id)
            .order_by(PickupPayment.id)
        )
    )


def shift_sales(shift_id: int) -> list[CounterSale]:
    return list(
        db.session.scalars(
            select(CounterSale)
            .options(selectinload(CounterSale.payments))
            .where(CounterSale.shift_id == shift_id)
            .order_by(CounterSale.id)
        )
    )


def sale_details(sale_id: int) -> CounterSale | None:
    return db.session.scalar(
        select(CounterSale)
        .options(
            selectinload(CounterSale.lines),
            selectinload(CounterSale.payments),
            joinedload(CounterSale.cashier),
            joinedload(CounterSale.shift),
        )
        .where(CounterSale.id == sale_id)
    )


# --- voids ---------------------------------------------------------------------------------


def _approver(user, email: str, password: str) -> User:
    """The manager approving a void: the user themselves if a manager, else the manager whose
    email and password were typed on the till. Checked like a sign-in (one password hash
    whatever the email names), so the till's timing never tells which emails are managers."""
    if is_manager(user):
        return user
    found = authenticate(email, password)
    if found is None or not is_manager(found):
        raise PosError(
            _l("A manager's email and password are needed; those given are not right."),
            "approver_password",
        )
    return found


def void_sale(  # nosec B107 # the empty default means "no approver typed", checked below
    sale: CounterSale, user, reason: str, approver_email: str = "", approver_password: str = ""
) -> CounterSale:
    """Cancel a sale of the current shift: stock back into the batches it came from, the sale
    kept as voided with who approved it, an audit entry. Earlier shifts are closed books."""
    reason = (reason or "").strip()
    check_move(sale, SaleStatus.VOIDED)
    shift = sale.shift
    if shift.status != ShiftStatus.OPEN:
        raise PosError(
            _l(
                "Only sales of the current shift can be voided. This sale belongs to a shift "
                "closed on %(time)s.",
                time=_when(shift.closed_at),
            )
        )
    if shift.opened_by_id != user.id and not is_manager(user):
        raise PosError(_l("This sale belongs to another cashier's shift."))
    if not reason:
        raise PosError(_l("Say why the sale is voided."), "reason")
    approver = _approver(user, approver_email, approver_password)

    ensure_write_lock()
    locked = db.session.scalar(
        select(CounterSale)
        .where(CounterSale.id == sale.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    check_move(locked, SaleStatus.VOIDED)  # a second click, or a manager in another tab
    movements = db.session.scalars(
        select(StockMovement)
        .where(
            StockMovement.reference_type == SALE_REFERENCE,
            StockMovement.reference_id == locked.id,
            StockMovement.kind == MovementKind.COUNTER_SALE.value,
        )
        .order_by(StockMovement.batch_id)
    ).all()
    for movement in movements:
        ledger.return_to_shelf(
            db.session.get(Batch, movement.batch_id),
            -movement.quantity,
            actor_id=user.id,
            reference_type=VOID_REFERENCE,
            reference_id=locked.id,
            reason=reason,
        )
    # Stock rows first, then the shift: the same lock order as ringing up, so no deadlock.
    if lock_shift(locked.shift_id).status != ShiftStatus.OPEN:
        raise PosError(_l("This sale's shift has just been closed; it can no longer be voided."))
    transition(locked, SaleStatus.VOIDED, actor=user, comment=reason)
    locked.voided_at = utcnow()
    locked.voided_by_id = user.id
    locked.void_approved_by_id = approver.id
    locked.void_reason = reason
    audit.record(
        user,
        "counter_sale.void",
        locked,
        before={"status": SaleStatus.COMPLETED.value, "number": locked.number},
        after={
            "status": SaleStatus.VOIDED.value,
            "total": locked.total,
            "approved_by": approver.email,
            "reason": reason,
        },
    )
    return locked
