"""Reading the stock ledger: stock per batch, movement history with filters, CSV rows.

Read only. Every vendor query takes the vendor's id from `vendors.access.current_vendor()` in
the view, so one vendor never sees another's rows. Movement queries filter on vendor or product
first and order by time, so they run on the (vendor_id, created_at) and (product_id, created_at)
indexes of `stock_movements` however long the ledger grows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from storefront.auth.models import User
from storefront.catalog import variants
from storefront.catalog.models import Product, ProductVariant
from storefront.clock import shop_zone, start_of_day, today_wib, zone_name
from storefront.csv_export import CsvWriter
from storefront.extensions import db
from storefront.stock.models import Batch, MovementKind, StockLevel, StockMovement
from storefront.vendors.models import Vendor, VendorStatus

PER_PAGE = 50

# The documents movements point at (`StockMovement.reference_type`); unknown ones show as stored.
DOCUMENT_LABELS = {
    "intake_receipt": _l("Intake receipt"),
    "return_note": _l("Return note"),
    "stock_write_off": _l("Write-off"),
    "write_off": _l("Write-off"),
    "stock_count": _l("Stock count"),
    "refund": _l("Refund"),
    "order": _l("Order"),
    "order_line": _l("Order"),
    "counter_sale": _l("Counter sale"),
    "counter_sale_void": _l("Counter sale void"),
    "pos_sale": _l("Counter sale"),
}


def document_label(reference_type: str) -> str:
    return str(DOCUMENT_LABELS.get(reference_type, reference_type))


kind_label = MovementKind.label_of


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(kind.label)) for kind in MovementKind]


# --- stock per product and batch ------------------------------------------------------------


@dataclass
class BatchStock:
    batch: Batch
    on_hand: int
    reserved: int
    expired: bool

    @property
    def available(self) -> int:
        # Expired batches are never sellable (DESIGN invariant 4).
        return 0 if self.expired else self.on_hand - self.reserved


@dataclass
class ProductStock:
    product: Product
    batches: list[BatchStock] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return sum(b.on_hand for b in self.batches)

    @property
    def reserved(self) -> int:
        return sum(b.reserved for b in self.batches)

    @property
    def available(self) -> int:
        return sum(b.available for b in self.batches)

    @property
    def by_variant(self) -> list[tuple[ProductVariant, int]]:
        """Available per size or colour, in the product's order (sizes without a batch on
        this page are left out)."""
        totals: dict[int, int] = {}
        for b in self.batches:
            totals[b.batch.variant_id] = totals.get(b.batch.variant_id, 0) + b.available
        return [(v, totals[v.id]) for v in self.product.variants if v.id in totals]


def vendor_stock(vendor_id: int, page: int = 1, *, include_empty: bool = False):
    """A page of the vendor's batches (product, then earliest expiry first) with their levels.

    Returns (pagination, groups): `groups` are the page's batches grouped by product.
    """
    statement = (
        select(Batch)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .join(Product, Product.id == Batch.product_id)
        .join(ProductVariant, ProductVariant.id == Batch.variant_id)
        .options(
            contains_eager(Batch.level),
            contains_eager(Batch.product),
            contains_eager(Batch.variant),
        )
        .where(Batch.vendor_id == vendor_id)
        .order_by(
            Product.name,
            Product.id,
            ProductVariant.position,
            ProductVariant.id,
            Batch.expires_on.is_(None),
            Batch.expires_on,
            Batch.id,
        )
    )
    if not include_empty:
        statement = statement.where(StockLevel.on_hand > 0)
    results = db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)
    today = today_wib()
    groups: list[ProductStock] = []
    for batch in results.items:
        if not groups or groups[-1].product.id != batch.product_id:
            groups.append(ProductStock(batch.product))
        expired = batch.expires_on is not None and batch.expires_on < today
        groups[-1].batches.append(
            BatchStock(batch, batch.level.on_hand, batch.level.reserved, expired)
        )
    return results, groups


def vendor_products(vendor_id: int) -> list[tuple[int, str]]:
    """(id, "code · name") of the vendor's products that ever had stock, for the filter."""
    rows = db.session.execute(
        select(Product.id, Product.code, Product.name)
        .where(
            Product.vendor_id == vendor_id,
            Product.id.in_(select(Batch.product_id).where(Batch.vendor_id == vendor_id)),
        )
        .order_by(Product.name, Product.id)
    )
    return [(pid, f"{code} · {name}") for pid, code, name in rows]


def vendor_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Vendor.id, Vendor.name)
        .where(Vendor.status != VendorStatus.DRAFT.value)
        .order_by(Vendor.name, Vendor.id)
    )
    return [(vid, name) for vid, name in rows]


# --- movement filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementFilters:
    vendor_id: int | None = None
    product_id: int | None = None
    # One size of the product (a manager typed or scanned the size's own code).
    variant_id: int | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters (for the CSV link and pagination)."""
        values = {
            "vendor": self.vendor_id,
            "product": self.product_id,
            "kind": self.kind,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


def _positive_int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def read_filters(args: Mapping[str, str], *, product_code: bool = False):
    """Parse filter query parameters. Returns (filters, errors by parameter name).

    `product_code`: the product is given by its code (managers scan or type it) in `product`,
    instead of its id (the vendor's select list).
    """
    errors: dict[str, str] = {}
    values: dict = {}
    raw_vendor = (args.get("vendor") or "").strip()
    if raw_vendor:
        values["vendor_id"] = _positive_int(raw_vendor)
        if values["vendor_id"] is None:
            errors["vendor"] = _("Choose a vendor from the list.")
    raw_product = (args.get("product") or "").strip()[:40]
    if raw_product:
        if product_code:
            # A product's code or a size's own code, in either case (variants.find_by_code).
            found = variants.find_by_code(raw_product)
            if isinstance(found, ProductVariant):
                values["product_id"] = found.product_id
                if found.values:
                    values["variant_id"] = found.id
            elif found is not None:
                values["product_id"] = found.id
            if values.get("product_id") is None:
                errors["product"] = _("No product has the code %(code)s.", code=raw_product)
        else:
            values["product_id"] = _positive_int(raw_product)
            if values["product_id"] is None:
                errors["product"] = _("Choose a product from the list.")
    raw_kind = (args.get("kind") or "").strip()
    if raw_kind:
        if raw_kind in {kind.value for kind in MovementKind}:
            values["kind"] = raw_kind
        else:
            errors["kind"] = _("Choose a kind of movement from the list.")
    for name, key in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[key] = date.fromisoformat(raw[:10])
            except ValueError:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
    if (
        values.get("date_from")
        and values.get("date_to")
        and values["date_from"] > values["date_to"]
    ):
        errors["to"] = _("The end date must not be before the start date.")
    return MovementFilters(**values), errors


def _conditions(filters: MovementFilters) -> list:
    conditions = []
    if filters.vendor_id is not None:
        conditions.append(StockMovement.vendor_id == filters.vendor_id)
    if filters.product_id is not None:
        conditions.append(StockMovement.product_id == filters.product_id)
    if filters.variant_id is not None:
        conditions.append(StockMovement.variant_id == filters.variant_id)
    if filters.kind is not None:
        conditions.append(StockMovement.kind == filters.kind)
    # Dates are calendar days in Tangerang (WIB); the ledger stores UTC.
    if filters.date_from is not None:
        conditions.append(StockMovement.created_at >= start_of_day(filters.date_from))
    if filters.date_to is not None:
        end = start_of_day(filters.date_to + timedelta(days=1))
        conditions.append(StockMovement.created_at < end)
    return conditions


def _newest_first(filters: MovementFilters) -> tuple:
    """Newest first, in an order an index already has.

    With a vendor or product, the (vendor_id, created_at) / (product_id, created_at) indexes
    give the order. Without either, the primary key does: movements are append-only and stamped
    when written, so id order is time order, and sorting a million rows by time would not be.
    """
    if filters.vendor_id is None and filters.product_id is None:
        return (StockMovement.id.desc(),)
    return (StockMovement.created_at.desc(), StockMovement.id.desc())


def movements_statement(filters: MovementFilters):
    """Movements matching the filters, newest first, with product, batch and actor loaded."""
    return (
        select(StockMovement)
        .options(
            joinedload(StockMovement.product).joinedload(Product.vendor),
            joinedload(StockMovement.batch),
            joinedload(StockMovement.actor),
        )
        .where(*_conditions(filters))
        .order_by(*_newest_first(filters))
    )


def movement_page(filters: MovementFilters, page: int = 1):
    return db.paginate(movements_statement(filters), page=page, per_page=PER_PAGE, error_out=False)


# --- CSV -------------------------------------------------------------------------------------


def csv_header(*, with_vendor: bool) -> list[str]:
    header = [_("Time (%(zone)s)", zone=zone_name())]
    if with_vendor:
        header.append(_("Vendor"))
    header += [
        _("Product code"),
        _("Product"),
        _("Batch"),
        _("Expiry date"),
        _("Kind"),
        _("Quantity"),
        _("Document"),
        _("Document number"),
        _("Reason"),
        _("By"),
    ]
    return header


def csv_rows(filters: MovementFilters, *, with_vendor: bool) -> Iterator[str]:
    """The CSV file, a chunk of lines at a time, read from the database in batches.

    Everything that needs the app or the request (language, time zone, the query) is settled
    here, before streaming starts; the generator then needs only the engine, so the response
    can be sent after the request's context is gone. Plain columns instead of ORM objects: an
    export may hold a year of movements.
    """
    actor = aliased(User)
    statement = (
        select(
            StockMovement.created_at,
            Vendor.name,
            # The size's own code (what its label prints), else the product's.
            func.coalesce(ProductVariant.sku, Product.code),
            Product.name,
            Batch.code,
            Batch.expires_on,
            StockMovement.kind,
            StockMovement.quantity,
            StockMovement.reference_type,
            StockMovement.reference_id,
            StockMovement.reason,
            actor.name,
            ProductVariant.label,
        )
        .join(Product, Product.id == StockMovement.product_id)
        .join(ProductVariant, ProductVariant.id == StockMovement.variant_id)
        .join(Batch, Batch.id == StockMovement.batch_id)
        .join(Vendor, Vendor.id == StockMovement.vendor_id)
        .outerjoin(actor, actor.id == StockMovement.actor_id)
        .where(*_conditions(filters))
        .order_by(*_newest_first(filters))
    )
    return _stream_csv(
        db.engine,
        statement,
        header=csv_header(with_vendor=with_vendor),
        labels={kind.value: str(kind.label) for kind in MovementKind},
        documents={name: str(label) for name, label in DOCUMENT_LABELS.items()},
        zone=shop_zone(),
        with_vendor=with_vendor,
    )


def _stream_csv(
    engine, statement, *, header, labels, documents, zone, with_vendor
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = CsvWriter(buffer, byte_order_mark=True)
    writer.writerow(header)
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=1000).execute(statement)
        for count, row in enumerate(rows, start=1):
            at, vendor, code, name, batch_code, expires_on, kind, quantity = row[:8]
            reference_type, reference_id, reason, actor_name, variant_label = row[8:]
            if variant_label:
                name = f"{name} — {variant_label}"
            line = [at.astimezone(zone).isoformat(timespec="seconds")]
            if with_vendor:
                line.append(vendor)
            line += [
                code,
                name,
                batch_code,
                expires_on.isoformat() if expires_on else "",
                labels.get(kind, kind),
                quantity,
                documents.get(reference_type, reference_type),
                "" if reference_id is None else reference_id,
                reason,
                actor_name,
            ]
            writer.writerow(line)
            if count % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
