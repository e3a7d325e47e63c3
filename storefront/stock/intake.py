"""Intake (nota titip): a vendor hands over goods, the outlet counts them in and both sign.

Every line becomes a `Batch` put on the shelf through the ledger, and the receipt is the
document the intake movements point at. The form carries a one-time `submission_key`, so a
double click or a resubmitted POST finds the first receipt instead of receiving the goods twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront import audit
from storefront.catalog import variants
from storefront.catalog.models import Product, ProductStatus, ProductVariant
from storefront.clock import today_wib
from storefront.database import ensure_write_lock
from storefront.extensions import db
from storefront.numbering import next_daily_number
from storefront.settings.services import get_setting
from storefront.stock import ledger
from storefront.stock.ledger import StockError
from storefront.stock.models import Batch, IntakeReceipt
from storefront.vendors.models import Vendor, VendorStatus

NUMBER_PREFIX = "NT"
MAX_LINE_QUANTITY = 100_000
MAX_LINES = 200
PER_PAGE = 25


class IntakeError(StockError):
    """A receipt that cannot be accepted; `line` is the 0-based line it is about, if any."""

    def __init__(self, message, field: str | None = None, line: int | None = None):
        super().__init__(message, field=field)
        self.line = line


@dataclass(frozen=True)
class IntakeLine:
    product_id: int
    quantity: int
    batch_code: str = ""
    produced_on: date | None = None
    expires_on: date | None = None
    # The size or colour received; a product without options leaves it out.
    variant_id: int | None = None


def approved_vendors() -> list[Vendor]:
    return list(
        db.session.scalars(
            select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value).order_by(Vendor.name)
        )
    )


def vendor_products(vendor_id: int) -> list[Product]:
    """The products a vendor may hand over: its approved ones, by name."""
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.vendor_id == vendor_id, Product.status == ProductStatus.APPROVED.value)
            .options(
                joinedload(Product.category),
                selectinload(Product.options),
                selectinload(Product.variants),
            )
            .order_by(Product.name, Product.id)
        )
    )


def product_by_code(code: str) -> Product | None:
    """Any product with this code (the scanner reads what the label says, in any case)."""
    code = (code or "").strip()
    if not code:
        return None
    return db.session.scalar(select(Product).where(func.upper(Product.code) == code.upper()))


def receipt_by_key(submission_key: str) -> IntakeReceipt | None:
    return db.session.scalar(
        select(IntakeReceipt).where(IntakeReceipt.submission_key == submission_key)
    )


def get_receipt(receipt_id: int) -> IntakeReceipt | None:
    return db.session.scalar(
        select(IntakeReceipt)
        .where(IntakeReceipt.id == receipt_id)
        .options(
            joinedload(IntakeReceipt.vendor),
            joinedload(IntakeReceipt.received_by),
            selectinload(IntakeReceipt.batches).joinedload(Batch.product),
            selectinload(IntakeReceipt.batches).joinedload(Batch.variant),
        )
    )


def recent_receipts(page: int = 1):
    """Receipts newest first (paginated), and {receipt id: (lines, units, value)} for the page."""
    statement = (
        select(IntakeReceipt)
        .options(joinedload(IntakeReceipt.vendor))
        .order_by(IntakeReceipt.created_at.desc(), IntakeReceipt.id.desc())
    )
    results = db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)
    ids = [receipt.id for receipt in results.items]
    rows = db.session.execute(
        select(
            Batch.receipt_id,
            func.count(Batch.id),
            func.sum(Batch.received_quantity),
            func.sum(Batch.received_quantity * Batch.unit_price),
        )
        .where(Batch.receipt_id.in_(ids))
        .group_by(Batch.receipt_id)
    )
    totals = {
        rid: (int(lines), int(units or 0), int(value or 0)) for rid, lines, units, value in rows
    }
    return results, totals


def receipt_total(receipt: IntakeReceipt) -> tuple[int, int]:
    """(units, value in rupiah at the intake prices)."""
    units = sum(b.received_quantity for b in receipt.batches)
    value = sum(b.received_quantity * b.unit_price for b in receipt.batches)
    return units, value


def _check_vendor(vendor_id: int) -> Vendor:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        raise IntakeError(_l("Choose the vendor who delivers the goods."), field="vendor_id")
    if vendor.status != VendorStatus.APPROVED:
        raise IntakeError(
            _l(
                "%(vendor)s is not an approved vendor; goods cannot be received.",
                vendor=vendor.name,
            ),
            field="vendor_id",
        )
    return vendor


def _check_variant(product: Product, line: IntakeLine, index: int) -> ProductVariant:
    """The size or colour a line receives: named for a product with options, else its one."""
    try:
        return variants.variant_for(product, line.variant_id)
    except variants.VariantError as exc:
        raise IntakeError(exc.message, field="product", line=index) from exc


def _check_lines(
    vendor: Vendor, lines: Sequence[IntakeLine], today: date
) -> tuple[dict[int, Product], list[ProductVariant]]:
    if not lines:
        raise IntakeError(_l("Add at least one product to the receipt."), field="lines")
    if len(lines) > MAX_LINES:
        raise IntakeError(
            _l("A receipt holds at most %(count)d lines.", count=MAX_LINES), field="lines"
        )
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product)
            .where(Product.id.in_({line.product_id for line in lines}))
            .options(joinedload(Product.category), joinedload(Product.vendor))
        )
    }
    chosen: list[ProductVariant] = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None:
            raise IntakeError(_l("This product does not exist."), field="product", line=index)
        if product.vendor_id != vendor.id:
            raise IntakeError(
                _l(
                    "%(product)s (%(code)s) belongs to %(other)s, not to %(vendor)s.",
                    product=product.name,
                    code=product.code,
                    other=product.vendor.name,
                    vendor=vendor.name,
                ),
                field="product",
                line=index,
            )
        if product.status != ProductStatus.APPROVED:
            raise IntakeError(
                _l(
                    "%(product)s (%(code)s) is not approved yet; it cannot be received.",
                    product=product.name,
                    code=product.code,
                ),
                field="product",
                line=index,
            )
        chosen.append(_check_variant(product, line, index))
        if not isinstance(line.quantity, int) or line.quantity < 1:
            raise IntakeError(_l("Enter a quantity of at least 1."), field="quantity", line=index)
        if line.quantity > MAX_LINE_QUANTITY:
            raise IntakeError(
                _l("At most %(count)d units per line.", count=MAX_LINE_QUANTITY),
                field="quantity",
                line=index,
            )
        if len(line.batch_code) > 40:
            raise IntakeError(
                _l("A batch code has at most 40 characters."), field="batch_code", line=index
            )
        if line.expires_on is None and product.category and product.category.is_food:
            raise IntakeError(
                _l("Food and drink need an expiry date."), field="expires_on", line=index
            )
        if line.expires_on is not None and line.expires_on < today:
            raise IntakeError(
                _l("This expiry date has passed; expired goods cannot be received."),
                field="expires_on",
                line=index,
            )
        if line.produced_on is not None:
            if line.produced_on > today:
                raise IntakeError(
                    _l("The production date cannot be in the future."),
                    field="produced_on",
                    line=index,
                )
            if line.expires_on is not None and line.produced_on > line.expires_on:
                raise IntakeError(
                    _l("The production date is after the expiry date."),
                    field="produced_on",
                    line=index,
                )
    return products, chosen


def shelf_life_left_percent(batch: Batch, today: date) -> int | None:
    """How much of its shelf life a batch still has, in percent; None when unknown (no expiry,
    or neither a production date nor the product's shelf life to measure it against)."""
    if batch.expires_on is None:
        return None
    if batch.produced_on is not None:
        total = (batch.expires_on - batch.produced_on).days
    else:
        total = batch.product.shelf_life_days or 0
    if total <= 0:
        return None
    return max(0, (batch.expires_on - today).days) * 100 // total


def short_shelf_life(batches: Iterable[Batch], today: date) -> list[tuple[Batch, int]]:
    """Batches that arrived with less of their shelf life left than the setting
    `intake_min_shelf_life_percent` (50): the outlet can still take them, but they will likely
    go back unsold, and online they stop selling `online_min_shelf_life_days` before expiry."""
    minimum = int(get_setting("intake_min_shelf_life_percent"))
    short = []
    for batch in batches:
        left = shelf_life_left_percent(batch, today)
        if left is not None and left < minimum:
            short.append((batch, left))
    return short


def _next_number(today: date) -> str:
    return next_daily_number(IntakeReceipt.number, NUMBER_PREFIX, today)


def _insert_receipt(receipt: IntakeReceipt, today: date) -> IntakeReceipt | None:
    """Insert with the day's next number; None when another request used the same key.

    On PostgreSQL two managers may confirm at the same moment: the loser of the unique number
    retries with the next one; the loser of the unique key takes the winner's receipt. The
    savepoint keeps this inside the action's one transaction: the key needs no unit of its own
    (docs/decisions.md, "One transaction per action").
    """
    for _attempt in range(5):
        receipt.number = _next_number(today)
        try:
            with db.session.begin_nested():
                db.session.add(receipt)
                db.session.flush()
            return receipt
        except IntegrityError:
            if receipt_by_key(receipt.submission_key) is not None:
                return None
    raise IntakeError(_l("The receipt could not be numbered; please try again."))


def create_intake(
    vendor_id: int,
    lines: Iterable[IntakeLine | tuple],
    *,
    actor,
    submission_key: str,
    delivered_by: str = "",
    note: str = "",
) -> IntakeReceipt:
    """Receive a vendor's delivery: one batch per line, stock on the shelf, one receipt.

    Raises IntakeError when a line breaks a rule; the action then rolls back, nothing added.
    """
    submission_key = (submission_key or "").strip()
    if not submission_key or len(submission_key) > 64:
        raise IntakeError(_l("This form has expired; please open it again."))
    ensure_write_lock()
    existing = receipt_by_key(submission_key)
    if existing is not None:
        return existing
    lines = [line if isinstance(line, IntakeLine) else IntakeLine(*line) for line in lines]
    lines = [
        IntakeLine(
            line.product_id,
            line.quantity,
            (line.batch_code or "").strip(),
            line.produced_on,
            line.expires_on,
            line.variant_id,
        )
        for line in lines
    ]
    today = today_wib()
    vendor = _check_vendor(vendor_id)
    products, chosen = _check_lines(vendor, lines, today)

    receipt = IntakeReceipt(
        vendor_id=vendor.id,
        received_by_id=actor.id,
        submission_key=submission_key,
        delivered_by=(delivered_by or "").strip()[:120],
        note=(note or "").strip(),
    )
    if _insert_receipt(receipt, today) is None:
        return receipt_by_key(submission_key)
    for line, variant in zip(lines, chosen, strict=True):
        product = products[line.product_id]
        ledger.receive_batch(
            Batch(
                product_id=product.id,
                variant_id=variant.id,
                vendor_id=vendor.id,
                receipt_id=receipt.id,
                code=line.batch_code,
                produced_on=line.produced_on,
                expires_on=line.expires_on,
                received_quantity=line.quantity,
                unit_price=variant.current_price,
            ),
            actor_id=actor.id,
        )
    audit.record(
        actor,
        "stock.intake",
        receipt,
        after={
            "number": receipt.number,
            "vendor_id": vendor.id,
            "delivered_by": receipt.delivered_by,
            "lines": [
                {
                    "product_id": line.product_id,
                    "variant_id": variant.id,
                    "quantity": line.quantity,
                    "batch_code": line.batch_code,
                    "expires_on": line.expires_on,
                    "unit_price": variant.current_price,
                }
                for line, variant in zip(lines, chosen, strict=True)
            ],
        },
    )
    db.session.flush()
    return receipt
