"""The counter's rules: shifts, the running sale, payment, ringing up, voids, the cash count.

Plain functions on plain values; views keep the running sale in the session and pass it in.
Stock changes go through the ledger only (DESIGN invariant 2), in the same transaction as the
sale's rows, so a sale is either on the books with its movements or not at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.auth.models import Role, User
from storefront.catalog.models import Product
from storefront.catalog.permits import today_wib
from storefront.catalog.services import visible_products
from storefront.consignment import ledger
from storefront.consignment.commission import sale_split
from storefront.consignment.models import Batch, MovementKind, StockMovement
from storefront.database import utcnow
from storefront.extensions import db
from storefront.manage import audit
from storefront.money import format_rupiah
from storefront.numbering import next_daily_number
from storefront.pos.models import (
    CounterPayment,
    CounterSale,
    CounterSaleLine,
    PayMethod,
    SaleStatus,
    Shift,
    ShiftStatus,
)

MAX_QUANTITY = 999
SEARCH_LIMIT = 20
SALE_REFERENCE = "counter_sale"
VOID_REFERENCE = "counter_sale_void"
# "3*GTG00012" or "3x GTG00012": three units in one scan, as on most tills.
_MULTIPLIED = re.compile(r"^(?P<quantity>\d{1,3})\s*[*xX]\s*(?P<code>\S.*)$")


class PosError(Exception):
    """A counter rule was broken; `message` is safe to show, `field` names the form field."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _when(moment: datetime) -> str:
    return format_datetime(moment, "dd-MM-yyyy HH:mm") + " WIB"


def _begin_write() -> None:
    """Hold the write lock from the start (SQLite BEGIN IMMEDIATE; PostgreSQL row locks)."""
    ledger.begin_stock_change()


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
    db.session.add(shift)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same person opened one in another tab just now
        db.session.rollback()
        raise PosError(
            _l("You already have a shift open. Close it before opening another.")
        ) from exc
    audit.record(user, "shift.open", shift, after={"opening_float": opening_float})
    db.session.commit()
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

    @property
    def expected_cash(self) -> int:
        """Float + cash taken − change given, voided sales left out."""
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


def _lock_shift(shift_id: int) -> Shift:
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
    _begin_write()
    shift = _lock_shift(shift.id)
    if shift.status != ShiftStatus.OPEN:
        db.session.rollback()
        raise PosError(_l("This shift is already closed."))
    expected = summarise(shift).expected_cash
    if counted_cash != expected and not note:
        db.session.rollback()
        raise PosError(_l("The count differs from the expected cash: say why in the note."), "note")
    shift.expected_cash = expected
    shift.counted_cash = counted_cash
    shift.note = note
    shift.closed_at = utcnow()
    shift.closed_by_id = user.id
    shift.status = ShiftStatus.CLOSED.value
    audit.record(
        user,
        "shift.close",
        shift,
        before={"status": ShiftStatus.OPEN.value},
        after={"expected_cash": expected, "counted_cash": counted_cash, "note": note},
    )
    db.session.commit()
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


def shift_sales(shift_id: int) -> list[CounterSale]:
    return list(
        db.session.scalars(
            select(CounterSale)
            .options(selectinload(CounterSale.payments))
            .where(CounterSale.shift_id == shift_id)
            .order_by(CounterSale.id)
        )
    )


# --- the running sale ----------------------------------------------------------------------


@dataclass
class RunningSale:
    """The sale being rung up: product id → quantity, in the order scanned. `key` makes paying
    it twice (a double click, a resent form) ring it up once."""

    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    lines: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping | None) -> RunningSale:
        if not data or not isinstance(data.get("key"), str):
            return cls()
        lines = {}
        for pair in data.get("lines", []):
            try:
                product_id, quantity = int(pair[0]), int(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 < quantity <= MAX_QUANTITY:
                lines[product_id] = quantity
        return cls(key=data["key"], lines=lines)

    def to_data(self) -> dict:
        return {"key": self.key, "lines": [[pid, qty] for pid, qty in self.lines.items()]}


@dataclass(frozen=True)
class SaleLineView:
    product: Product
    quantity: int
    available: int

    @property
    def unit_price(self) -> int:
        return self.product.price

    @property
    def amount(self) -> int:
        return self.product.price * self.quantity


def sellable_product(product_id: int) -> Product | None:
    """The product if the shop may sell it (DESIGN invariant 8): the counter sells nothing the
    web shop would hide for missing permits or an unapproved vendor."""
    return db.session.scalar(
        visible_products().options(joinedload(Product.vendor)).where(Product.id == product_id)
    )


def product_for_code(code: str) -> Product | None:
    """A product by its code (what shelf labels print) or by one of its batch codes."""
    code = code.strip()
    product = db.session.scalar(select(Product).where(Product.code == code))
    if product is None:
        product = db.session.scalar(select(Product).where(func.upper(Product.code) == code.upper()))
    if product is not None:
        return product
    product_ids = db.session.scalars(
        select(Batch.product_id).where(func.upper(Batch.code) == code.upper()).distinct()
    ).all()
    if len(product_ids) > 1:
        raise PosError(
            _l("Several products share the batch code %(code)s: scan the product code.", code=code),
            "code",
        )
    return db.session.get(Product, product_ids[0]) if product_ids else None


def _checked(product_id: int, quantity: int) -> Product:
    product = sellable_product(product_id)
    if product is None:
        found = db.session.get(Product, product_id)
        if found is None:
            raise PosError(_l("That product no longer exists."), "code")
        raise PosError(
            _l(
                "%(product)s cannot be sold: it is not approved, hidden, or its permits are "
                "missing or expired.",
                product=found.name,
            ),
            "code",
        )
    if quantity > MAX_QUANTITY:
        raise PosError(_l("At most %(max)d per line.", max=MAX_QUANTITY), "quantity")
    available = ledger.available_quantity(product.id)
    if quantity > available:
        raise PosError(ledger.OutOfStock(product.id, quantity, available).message, "quantity")
    return product


def scan(sale: RunningSale, text: str) -> Product | None:
    """Add what was scanned or typed: a product or batch code, optionally `3*CODE`.

    Returns the product added, or None when the text is no code (the view then searches
    product names with it)."""
    text = (text or "").strip()
    if not text:
        raise PosError(_l("Scan a code or type a product name."), "code")
    quantity = 1
    match = _MULTIPLIED.match(text)
    if match and int(match["quantity"]) > 0:
        quantity, text = int(match["quantity"]), match["code"].strip()
    product = product_for_code(text)
    if product is None:
        return None
    add(sale, product.id, quantity)
    return product


def add(sale: RunningSale, product_id: int, quantity: int = 1) -> Product:
    if quantity <= 0:
        raise PosError(_l("Enter a quantity of at least 1."), "quantity")
    product = _checked(product_id, sale.lines.get(product_id, 0) + quantity)
    sale.lines[product_id] = sale.lines.get(product_id, 0) + quantity
    return product


def set_quantity(sale: RunningSale, product_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    if product_id not in sale.lines:
        raise PosError(_l("That product is not in this sale."), "quantity")
    if quantity is None or quantity < 0:
        raise PosError(_l("Enter a quantity of 0 or more."), "quantity")
    if quantity == 0:
        del sale.lines[product_id]
        return
    _checked(product_id, quantity)
    sale.lines[product_id] = quantity


def lines_of(sale: RunningSale) -> list[SaleLineView]:
    """The running sale with today's prices and stock, in the order scanned."""
    if not sale.lines:
        return []
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product).options(joinedload(Product.vendor)).where(Product.id.in_(sale.lines))
        )
    }
    stock = ledger.available_quantities(products)
    return [
        SaleLineView(products[pid], quantity, stock.get(pid, 0))
        for pid, quantity in sale.lines.items()
        if pid in products
    ]


def search(query: str) -> list[Product]:
    """Sellable products whose name or code contains the words typed, names A–Z."""
    words = [w for w in re.split(r"\W+", (query or "").lower()) if w][:5]
    if not words:
        return []
    statement = visible_products()
    for word in words:
        pattern = f"%{word}%"
        statement = statement.where(
            or_(func.lower(Product.name).like(pattern), func.lower(Product.code).like(pattern))
        )
    return list(db.session.scalars(statement.order_by(Product.name).limit(SEARCH_LIMIT)))


# --- payment and ringing up ----------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInput:
    """What the cashier typed: cash handed over, and amounts paid by QRIS or debit card."""

    cash_tendered: int | None = None
    qris: int | None = None
    qris_reference: str = ""
    debit: int | None = None
    debit_reference: str = ""
    exact_cash: bool = False  # "exact money": the buyer handed over just what was left to pay


@dataclass(frozen=True)
class PlannedPayment:
    method: str
    amount: int
    tendered: int
    change: int = 0
    reference: str = ""


def plan_payments(total: int, paid: PaymentInput) -> list[PlannedPayment]:
    """Split `total` over the methods: QRIS and debit first (exact amounts, no change), cash
    for the rest, with change. Refuses anything that does not add up."""
    planned = []
    cards = 0
    for method, amount, reference in (
        (PayMethod.QRIS, paid.qris, paid.qris_reference),
        (PayMethod.DEBIT, paid.debit, paid.debit_reference),
    ):
        if not amount:
            continue
        if amount < 0:
            raise PosError(_l("Amounts cannot be negative."), method.value)
        reference = (reference or "").strip()
        if not reference:
            raise PosError(
                _l("Enter the reference printed on the payment slip."), f"{method.value}_reference"
            )
        planned.append(PlannedPayment(method.value, amount, amount, 0, reference[:120]))
        cards += amount
    if cards > total:
        raise PosError(
            _l(
                "QRIS and debit together (%(cards)s) are more than the total %(total)s; "
                "card payments give no change.",
                cards=format_rupiah(cards),
                total=format_rupiah(total),
            ),
            "qris",
        )
    remainder = total - cards
    if remainder == 0:
        return planned
    tendered = remainder if paid.exact_cash and not paid.cash_tendered else paid.cash_tendered or 0
    if tendered < remainder:
        if not tendered and not cards:
            raise PosError(_l("Enter the cash received, or a QRIS or debit payment."), "cash")
        raise PosError(
            _l(
                "Cash received %(tendered)s is less than the %(due)s still to pay.",
                tendered=format_rupiah(tendered),
                due=format_rupiah(remainder),
            ),
            "cash",
        )
    planned.append(PlannedPayment(PayMethod.CASH.value, remainder, tendered, tendered - remainder))
    return planned


def sale_by_key(key: str) -> CounterSale | None:
    return db.session.scalar(select(CounterSale).where(CounterSale.submission_key == key))


def ring_up(shift: Shift, cashier, sale: RunningSale, paid: PaymentInput) -> CounterSale:
    """Commit the running sale: FEFO stock movements on the counter channel, lines with their
    commission snapshot and the payments, in one transaction. Raises PosError (an out-of-stock
    line, money that does not add up, a closed shift) and then nothing has changed."""
    existing = sale_by_key(sale.key)
    if existing is not None:
        return existing
    lines = lines_of(sale)
    if not lines:
        raise PosError(_l("The sale is empty: scan a product first."), "code")
    for line in lines:
        _checked(line.product.id, line.quantity)
    total = sum(line.amount for line in lines)
    payments = plan_payments(total, paid)
    for attempt in range(3):
        try:
            return _write_sale(shift, cashier, sale.key, lines, total, payments)
        except IntegrityError:
            db.session.rollback()
            existing = sale_by_key(sale.key)
            if existing is not None:
                return existing
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write_sale(shift, cashier, key, lines, total, payments) -> CounterSale:
    # The ledger begins the transaction and locks the stock rows; the sale row is created after
    # and the movements point at it through `CounterSale.movements`, so the unit of work
    # inserts the sale first and fills in their reference (movements are never updated).
    # Lock order everywhere: stock levels, then the shift (void and close follow it too).
    with db.session.no_autoflush:
        try:
            movements = ledger.record_counter_sale(
                [ledger.Line(line.product.id, line.quantity) for line in lines],
                reference_type=SALE_REFERENCE,
                reference_id=None,
                actor_id=cashier.id,
            )
        except ledger.StockError as exc:
            db.session.rollback()
            raise PosError(exc.message, "quantity") from exc
        locked = _lock_shift(shift.id)
        if locked is None or locked.status != ShiftStatus.OPEN:
            db.session.rollback()
            raise PosError(_l("This shift is closed. Open a new shift to sell."))
        record = CounterSale(
            number=next_daily_number(CounterSale.number, "KS", today_wib()),
            shift_id=locked.id,
            cashier_id=cashier.id,
            status=SaleStatus.COMPLETED.value,
            subtotal=total,
            total=total,
            submission_key=key,
            created_at=utcnow(),
        )
        record.movements.extend(movements)
        db.session.add(record)
        for line in lines:
            product = line.product
            gross, rate, commission, share = sale_split(product, product.price, line.quantity)
            record.lines.append(
                CounterSaleLine(
                    product_id=product.id,
                    vendor_id=product.vendor_id,
                    product_name=product.name,
                    product_code=product.code,
                    unit_price=product.price,
                    quantity=line.quantity,
                    gross=gross,
                    commission_bp=rate,
                    commission=commission,
                    vendor_share=share,
                )
            )
        for payment in payments:
            record.payments.append(
                CounterPayment(
                    method=payment.method,
                    amount=payment.amount,
                    tendered=payment.tendered,
                    change=payment.change,
                    reference=payment.reference,
                )
            )
    db.session.commit()
    return record


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
    email and password were typed on the till."""
    if is_manager(user):
        return user
    found = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if (
        found is None
        or not found.active
        or not is_manager(found)
        or not found.check_password(password or "")
    ):
        raise PosError(
            _l("A manager's email and password are needed; those given are not right."),
            "approver_password",
        )
    return found


def void_sale(
    sale: CounterSale, user, reason: str, approver_email: str = "", approver_password: str = ""
) -> CounterSale:
    """Cancel a sale of the current shift: stock back into the batches it came from, the sale
    kept as voided with who approved it, an audit entry. Earlier shifts are closed books."""
    reason = (reason or "").strip()
    if sale.status != SaleStatus.COMPLETED:
        raise PosError(_l("This sale has already been voided."))
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

    _begin_write()
    locked = db.session.scalar(
        select(CounterSale)
        .where(CounterSale.id == sale.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked.status != SaleStatus.COMPLETED:
        db.session.rollback()
        raise PosError(_l("This sale has already been voided."))
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
    if _lock_shift(locked.shift_id).status != ShiftStatus.OPEN:
        db.session.rollback()
        raise PosError(_l("This sale's shift has just been closed; it can no longer be voided."))
    locked.status = SaleStatus.VOIDED.value
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
    db.session.commit()
    return locked
