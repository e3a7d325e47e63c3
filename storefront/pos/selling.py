"""Selling at the counter: the running sale (kept by the view in the session), scanning and
searching, payment by cash, QRIS, debit or a split, and ringing the sale up.

A sale is either on the books with its stock movements, lines and payments, or not at all.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront import audit
from storefront.catalog import variants
from storefront.catalog.commission import sale_snapshot
from storefront.catalog.models import Product, ProductVariant
from storefront.catalog.services import visible_products
from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.extensions import db
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
from storefront.pos.services import SALE_REFERENCE, PosError, lock_shift
from storefront.stock import ledger, markdowns
from storefront.stock.models import Batch

MAX_QUANTITY = 999
SEARCH_LIMIT = 20
# "3*GTG00012" or "3x GTG00012": three units in one scan, as on most tills.
_MULTIPLIED = re.compile(r"^(?P<quantity>\d{1,3})\s*[*xX]\s*(?P<code>\S.*)$")

# --- the running sale ----------------------------------------------------------------------


@dataclass
class RunningSale:
    """The sale being rung up: variant id → quantity, in the order scanned (two sizes of one
    product are two lines). `key` makes paying it twice (a double click, a resent form) ring
    it up once."""

    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    lines: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping | None) -> RunningSale:
        if not data or not isinstance(data.get("key"), str):
            return cls()
        lines = {}
        # "variants": a sale kept under the product-keyed "lines" before sizes existed is
        # dropped rather than read as variant ids.
        for pair in data.get("variants", []):
            try:
                variant_id, quantity = int(pair[0]), int(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 < quantity <= MAX_QUANTITY:
                lines[variant_id] = quantity
        return cls(key=data["key"], lines=lines)

    def to_data(self) -> dict:
        return {"key": self.key, "variants": [[vid, qty] for vid, qty in self.lines.items()]}


@dataclass(frozen=True)
class PricedLine:
    """One price within a line: the list price, or a batch's markdown (the till shows the list
    price struck through beside it)."""

    quantity: int
    unit_price: int
    markdown_bp: int = 0

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class SaleLineView:
    variant: ProductVariant
    quantity: int
    available: int
    parts: tuple[PricedLine, ...] = ()

    @property
    def product(self) -> Product:
        return self.variant.product

    @property
    def unit_price(self) -> int:
        """The list price: today's (a scheduled change counting from its date), with the
        size's or colour's price difference."""
        return self.variant.current_price

    @property
    def amount(self) -> int:
        if not self.parts:
            return self.unit_price * self.quantity
        return sum(part.amount for part in self.parts)

    @property
    def discount(self) -> int:
        return self.unit_price * self.quantity - self.amount


def sellable_product(product_id: int) -> Product | None:
    """The product if the shop may sell it (DESIGN invariant 8): the counter sells nothing the
    web shop would hide for missing permits or an unapproved vendor."""
    return db.session.scalar(
        visible_products().options(joinedload(Product.vendor)).where(Product.id == product_id)
    )


class ChooseVariant(PosError):
    """A product sold in sizes or colours was scanned by its own code: the cashier must scan
    the size's label or choose the size (`product` names it, for the choice list)."""

    def __init__(self, product: Product):
        super().__init__(
            _l(
                "%(product)s comes in sizes or colours: scan the label of the size, or choose "
                "it below.",
                product=product.name,
            ),
            "code",
        )
        self.product = product


def variant_for_code(code: str) -> ProductVariant | None:
    """The variant a code names: a variant's own code (what a size's label prints), a product
    code (a product without options: its one variant; with options: ChooseVariant) or one of
    its batch codes. None when the text is no code."""
    code = code.strip()
    found = variants.find_by_code(code)
    if isinstance(found, Product):
        raise ChooseVariant(found)
    if found is not None:
        return found
    variant_ids = db.session.scalars(
        select(Batch.variant_id).where(func.upper(Batch.code) == code.upper()).distinct()
    ).all()
    if len(variant_ids) > 1:
        raise PosError(
            _l("Several products share the batch code %(code)s: scan the product code.", code=code),
            "code",
        )
    return db.session.get(ProductVariant, variant_ids[0]) if variant_ids else None


def _sold_out(variant: ProductVariant, quantity: int, available: int) -> PosError:
    if variant.label and available <= 0:
        return PosError(_l("%(product)s is sold out.", product=variant.display_name()), "quantity")
    return PosError(ledger.OutOfStock(variant.product_id, quantity, available).message, "quantity")


def _checked(variant_id: int, quantity: int) -> ProductVariant:
    variant = db.session.get(ProductVariant, variant_id)
    if variant is None:
        raise PosError(_l("That product no longer exists."), "code")
    product = sellable_product(variant.product_id)
    if product is None:
        raise PosError(
            _l(
                "%(product)s cannot be sold: it is not approved, hidden, or its permits are "
                "missing or expired.",
                product=variant.product.name,
            ),
            "code",
        )
    if not variant.active:
        raise PosError(
            _l("%(product)s is not sold any more.", product=variant.display_name()), "code"
        )
    if not variant.sellable:
        raise PosError(
            _l(
                "%(product)s is waiting for the manager's review; it cannot be sold yet.",
                product=variant.display_name(),
            ),
            "code",
        )
    if quantity > MAX_QUANTITY:
        raise PosError(_l("At most %(max)d per line.", max=MAX_QUANTITY), "quantity")
    available = ledger.available_quantity(product.id, channel="counter", variant_id=variant.id)
    if quantity > available:
        raise _sold_out(variant, quantity, available)
    return variant


def scan(sale: RunningSale, text: str) -> ProductVariant | None:
    """Add what was scanned or typed: a variant, product or batch code, optionally `3*CODE`.

    Returns the variant added, or None when the text is no code (the view then searches
    product names with it). ChooseVariant for the code of a product sold in sizes."""
    text = (text or "").strip()
    if not text:
        raise PosError(_l("Scan a code or type a product name."), "code")
    quantity = 1
    match = _MULTIPLIED.match(text)
    if match and int(match["quantity"]) > 0:
        quantity, text = int(match["quantity"]), match["code"].strip()
    variant = variant_for_code(text)
    if variant is None:
        return None
    _add(sale, variant.id, quantity)
    return variant


def line_key(product_id: int, variant_id: int | None = None) -> int:
    """The running sale's line for a product (and its size or colour, when it has options).
    ChooseVariant when a product with options is named without one."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise PosError(_l("That product no longer exists."), "code")
    if variant_id is None:
        if product.default_variant is None:
            raise ChooseVariant(product)
        return product.default_variant.id
    if not any(v.id == variant_id for v in product.variants):
        raise PosError(_l("That product no longer exists."), "code")
    return variant_id


def add(
    sale: RunningSale, product_id: int, quantity: int = 1, *, variant_id: int | None = None
) -> ProductVariant:
    return _add(sale, line_key(product_id, variant_id), quantity)


def _add(sale: RunningSale, variant_id: int, quantity: int) -> ProductVariant:
    if quantity <= 0:
        raise PosError(_l("Enter a quantity of at least 1."), "quantity")
    variant = _checked(variant_id, sale.lines.get(variant_id, 0) + quantity)
    sale.lines[variant_id] = sale.lines.get(variant_id, 0) + quantity
    return variant


def set_quantity(
    sale: RunningSale, product_id: int, quantity: int, *, variant_id: int | None = None
) -> None:
    """Change a line's quantity; 0 removes it."""
    key = variant_id if variant_id in sale.lines else None
    if key is None:
        with contextlib.suppress(PosError):
            key = line_key(product_id, variant_id)
    if key not in sale.lines:
        raise PosError(_l("That product is not in this sale."), "quantity")
    if quantity is None or quantity < 0:
        raise PosError(_l("Enter a quantity of 0 or more."), "quantity")
    if quantity == 0:
        del sale.lines[key]
        return
    _checked(key, quantity)
    sale.lines[key] = quantity


def remove(sale: RunningSale, product_id: int, variant_id: int | None = None) -> None:
    if variant_id in sale.lines:
        del sale.lines[variant_id]
        return
    with contextlib.suppress(PosError):
        sale.lines.pop(line_key(product_id, variant_id), None)


def variant_choices(product: Product) -> list[tuple[ProductVariant, int]]:
    """The sizes or colours of a product the counter can sell now, with the units of each:
    the choice list after its own code was scanned, or beside a search result."""
    stock = ledger.variant_quantities([product.id], channel="counter")
    return [
        (variant, stock[variant.id])
        for variant in product.active_variants
        if variant.sellable and stock.get(variant.id, 0) > 0
    ]


def lines_of(sale: RunningSale) -> list[SaleLineView]:
    """The running sale with today's prices and stock, in the order scanned."""
    if not sale.lines:
        return []
    found = {
        v.id: v
        for v in db.session.scalars(
            select(ProductVariant)
            .options(joinedload(ProductVariant.product).joinedload(Product.vendor))
            .where(ProductVariant.id.in_(sale.lines))
        )
    }
    stock = ledger.variant_quantities({v.product_id for v in found.values()}, channel="counter")
    # What FEFO would sell now of each size, priced (a batch's markdown).
    priced = markdowns.preview_parts(
        {vid: quantity for vid, quantity in sale.lines.items() if vid in found},
        "counter",
        by_variant=True,
    )
    return [
        SaleLineView(
            found[vid],
            quantity,
            stock.get(vid, 0),
            tuple(_priced_line(found[vid], part) for part in priced[vid]),
        )
        for vid, quantity in sale.lines.items()
        if vid in found
    ]


def _priced_line(variant: ProductVariant, part: markdowns.PricedPart) -> PricedLine:
    snapshot = sale_snapshot(
        variant.product, part.quantity, variant=variant, **part.snapshot_terms()
    )
    return PricedLine(part.quantity, snapshot["unit_price"], part.markdown_bp)


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
    """Book the running sale: FEFO stock movements on the counter channel, lines with their
    commission snapshot and the payments, in the action's transaction. Raises PosError (an
    out-of-stock line, money that does not add up, a closed shift); the action then rolls
    back and nothing has changed."""
    existing = sale_by_key(sale.key)
    if existing is not None:
        return existing
    lines = lines_of(sale)
    if not lines:
        raise PosError(_l("The sale is empty: scan a product first."), "code")
    for line in lines:
        _checked(line.variant.id, line.quantity)
    total = sum(line.amount for line in lines)
    payments = plan_payments(total, paid)
    for attempt in range(3):
        try:
            with db.session.begin_nested():
                return _write_sale(shift, cashier, sale.key, lines, total, payments)
        except IntegrityError:
            # PostgreSQL: the same key paid in another tab, or the day's number taken by
            # another till; the savepoint undid this try, the stock is still on the shelf.
            existing = sale_by_key(sale.key)
            if existing is not None:
                return existing
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write_sale(shift, cashier, key, lines, total, payments) -> CounterSale:
    # The ledger locks the stock rows; the sale row is created after and the movements point
    # at it through `CounterSale.movements`, so the flush inserts the sale first and fills in
    # their reference (movements are never updated).
    # Lock order everywhere: stock levels, then the shift (void and close follow it too).
    with db.session.no_autoflush:
        try:
            movements = ledger.record_counter_sale(
                [
                    ledger.Line(line.product.id, line.quantity, variant_id=line.variant.id)
                    for line in lines
                ],
                reference_type=SALE_REFERENCE,
                reference_id=None,
                actor_id=cashier.id,
            )
        except ledger.StockError as exc:
            raise PosError(exc.message, "quantity") from exc
        snapshots = []
        for line in lines:
            # Priced per size: two sizes of one product are two lines, never merged.
            own = [m for m in movements if m.variant_id == line.variant.id]
            for part in markdowns.priced_parts(markdowns.movement_allocation(own)):
                snapshots.append(
                    sale_snapshot(
                        line.product, part.quantity, variant=line.variant, **part.snapshot_terms()
                    )
                )
        if sum(snapshot["gross"] for snapshot in snapshots) != total:
            # A markdown began or ended, or the marked-down batch sold out, since the total was
            # shown: the buyer pays what the screen says or nothing.
            raise PosError(_l("A price changed while ringing up: check the total and pay again."))
        locked = lock_shift(shift.id)
        if locked is None or locked.status != ShiftStatus.OPEN:
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
        for snapshot in snapshots:
            record.lines.append(CounterSaleLine(sold_at=record.created_at, **snapshot))
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
    db.session.flush()
    # Every staff action is in the audit log (DESIGN invariant 10), a sale included: it is how
    # "who rang up what, when" is answered beside voids and shift closes.
    audit.record(
        cashier,
        "counter_sale.ring_up",
        record,
        after={
            "number": record.number,
            "total": total,
            "paid": {payment.method: payment.amount for payment in payments},
        },
    )
    return record
