"""Near-expiry markdowns: a batch close to its expiry sold for less, as agreed with its vendor.

A manager marks a batch down by a percentage, recording who at the vendor agreed, when and how
(WhatsApp, phone, in person) and who bears the discount: the vendor, the outlet, or a split.
Only that batch is cheaper: FEFO (stock.ledger) decides which batch a sale takes, and
`priced_parts` turns its choice into parts at the list or the reduced price, each becoming its
own sale line with the discount recorded on it (catalog.commission.sale_snapshot). The
statement's markdown figure (settlements.figures.markdowns) sums those lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, nulls_last, select

from storefront import audit
from storefront.catalog.variants import product_ids_of
from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.money import BASIS_POINTS, format_percent, percent_off
from storefront.stock import ledger
from storefront.stock.models import AgreedVia, Batch, Markdown, MarkdownBearer, StockLevel
from storefront.stock.operations import expiry_warning_days


class MarkdownError(DomainError):
    pass


@dataclass(frozen=True)
class MarkdownTerms:
    """What the manager typed: percentages in basis points (forms.PercentField)."""

    percent_bp: int | None
    bearer: str
    agreed_by: str
    agreed_at: datetime | None
    agreed_via: str
    # For a split: the vendor's part of the discount (5000 = half each).
    vendor_part_bp: int | None = None
    note: str = ""


def _check(batch: Batch, terms: MarkdownTerms, today: date, now: datetime) -> int:
    """The vendor's part of the discount in basis points, or MarkdownError."""
    if terms.percent_bp is None or terms.percent_bp <= 0:
        raise MarkdownError(_l("Enter the markdown as a percentage, for example 30."), "percent")
    if terms.percent_bp >= BASIS_POINTS:
        raise MarkdownError(
            _l("Enter a markdown below 100 percent: goods are not given away."),
            "percent",
        )
    days = expiry_warning_days()
    if batch.expires_on is None or batch.expires_on > today + timedelta(days=days):
        raise MarkdownError(
            _l(
                "Only a batch that expires within %(days)d days can be marked down; this one "
                "expires %(date)s.",
                days=days,
                date=format_date(batch.expires_on) if batch.expires_on else _l("never"),
            ),
            "percent",
        )
    if batch.expires_on < today:
        raise MarkdownError(
            _l("This batch has expired: it cannot be sold, so return it or write it off."),
            "percent",
        )
    if not (terms.agreed_by or "").strip() or terms.agreed_at is None:
        raise MarkdownError(
            _l("Record the vendor's agreement: who agreed, and when."),
            "agreed_by" if not (terms.agreed_by or "").strip() else "agreed_at",
        )
    if terms.agreed_via not in set(AgreedVia):
        raise MarkdownError(
            _l("Choose how the vendor agreed: WhatsApp, phone or in person."), "agreed_via"
        )
    if terms.agreed_at > now:
        raise MarkdownError(_l("The agreement cannot be dated in the future."), "agreed_at")
    if terms.bearer == MarkdownBearer.VENDOR:
        return BASIS_POINTS
    if terms.bearer == MarkdownBearer.OUTLET:
        return 0
    if terms.bearer == MarkdownBearer.SPLIT:
        part = terms.vendor_part_bp
        if part is None or not 0 < part < BASIS_POINTS:
            raise MarkdownError(
                _l("For a split, enter the vendor's part of the discount, from 1 to 99 percent."),
                "vendor_part",
            )
        return part
    raise MarkdownError(_l("Choose who bears the discount."), "bearer")


def active_markdown(batch_id: int) -> Markdown | None:
    return active_markdowns([batch_id]).get(batch_id)


def active_markdowns(batch_ids: Iterable[int]) -> dict[int, Markdown]:
    """Each batch's markdown in force (the newest not ended)."""
    ids = sorted(set(batch_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Markdown)
        .where(Markdown.batch_id.in_(ids), Markdown.ended_at.is_(None))
        .order_by(Markdown.id)
    )
    return {markdown.batch_id: markdown for markdown in rows}


def mark_down(
    batch: Batch, actor, terms: MarkdownTerms, *, now: datetime | None = None
) -> Markdown:
    """Sell `batch` for `terms.percent_bp` less from now on, replacing its earlier markdown.
    Raises MarkdownError (and changes nothing) for a percentage of 100 or more, a batch not
    near its expiry (setting `expiry_warning_days`) or already expired, a batch with nothing on
    the shelf, or an agreement not recorded."""
    now = now or utcnow()
    vendor_part = _check(batch, terms, today_wib(), now)
    on_hand = db.session.scalar(select(StockLevel.on_hand).where(StockLevel.batch_id == batch.id))
    if not on_hand:
        raise MarkdownError(_l("Nothing of this batch is on the shelf."), "percent")
    previous = active_markdown(batch.id)
    if previous is not None:
        previous.ended_at = now
    markdown = Markdown(
        batch_id=batch.id,
        percent_bp=terms.percent_bp,
        bearer=terms.bearer,
        vendor_part_bp=vendor_part,
        agreed_by=terms.agreed_by.strip()[:120],
        agreed_at=terms.agreed_at,
        agreed_via=terms.agreed_via,
        note=(terms.note or "").strip(),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(markdown)
    db.session.flush()
    audit.record(
        actor,
        "markdown.create",
        markdown,
        before={"percent": format_percent(previous.percent_bp, locale="en")} if previous else {},
        after={
            "batch": batch.id,
            "percent": format_percent(markdown.percent_bp, locale="en"),
            "bearer": markdown.bearer,
            "vendor_part": format_percent(vendor_part, locale="en"),
            "agreed_by": markdown.agreed_by,
            "agreed_at": markdown.agreed_at,
            "agreed_via": markdown.agreed_via,
        },
    )
    return markdown


def end_markdown(markdown: Markdown, actor, *, now: datetime | None = None) -> None:
    """Back to the list price for the rest of the batch."""
    if markdown.ended_at is not None:
        raise MarkdownError(_l("This markdown has already ended."))
    markdown.ended_at = now or utcnow()
    audit.record(
        actor,
        "markdown.end",
        markdown,
        before={"percent": format_percent(markdown.percent_bp, locale="en")},
        after={"ended_at": markdown.ended_at},
    )


# --- pricing a sale --------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedPart:
    """Units of one variant (size, colour; a product without options has one) sold at one
    price: the list price (`markdown` None) or a batch's markdown. Each part becomes one sale
    line."""

    product_id: int
    quantity: int
    markdown: Markdown | None = None
    variant_id: int | None = None

    @property
    def markdown_bp(self) -> int:
        return self.markdown.percent_bp if self.markdown else 0

    @property
    def vendor_part_bp(self) -> int:
        return self.markdown.vendor_part_bp if self.markdown else BASIS_POINTS

    def snapshot_terms(self) -> dict:
        """The keywords for catalog.commission.sale_snapshot (with the variant it names)."""
        return {"markdown_bp": self.markdown_bp, "vendor_part_bp": self.vendor_part_bp}


def priced_parts(allocation: Iterable[tuple[int, int, int]]) -> list[PricedPart]:
    """(batch id, product id, quantity) FEFO chose, as parts per variant and price, in order:
    two sizes of one product are two lines even at the same price."""
    allocation = list(allocation)
    batch_ids = {batch_id for batch_id, _, _ in allocation}
    markdowns = active_markdowns(batch_ids)
    variant_of = dict(
        db.session.execute(select(Batch.id, Batch.variant_id).where(Batch.id.in_(batch_ids)))
        .tuples()
        .all()
    )
    totals: dict[tuple[int, int, int | None], int] = {}
    found: dict[tuple[int, int, int | None], Markdown] = {}
    for batch_id, product_id, quantity in allocation:
        markdown = markdowns.get(batch_id)
        key = (product_id, variant_of[batch_id], markdown.percent_bp if markdown else None)
        if markdown is not None:
            # Two batches of one variant at the same percentage share one line; its bearer is
            # the first's (a manager marking two batches alike marks them with the same terms).
            found.setdefault(key, markdown)
        totals[key] = totals.get(key, 0) + quantity
    return [
        PricedPart(key[0], quantity, found.get(key), variant_id=key[1])
        for key, quantity in totals.items()
    ]


def preview_parts(
    quantities: Mapping[int, int], channel: str, *, by_variant: bool = False
) -> dict[int, list[PricedPart]]:
    """What FEFO would sell now, priced: the cart and the till show this. `quantities` is
    {variant id: units} with `by_variant` (the answer keyed alike), else {product id: units}
    of products without options. A line short of stock is priced at its list price (the
    caller reports the shortage)."""
    if by_variant:
        product_of = product_ids_of(quantities)
        wanted = {
            key: ledger.Line(product_of[key], quantity, variant_id=key)
            for key, quantity in quantities.items()
        }
    else:
        wanted = {key: ledger.Line(key, quantity) for key, quantity in quantities.items()}
    parts: dict[int, list[PricedPart]] = {}
    for key, line in wanted.items():
        try:
            allocation = ledger.preview_allocation([line], channel)
        except ledger.StockError:
            parts[key] = [PricedPart(line.product_id, line.quantity, variant_id=line.variant_id)]
            continue
        parts[key] = priced_parts(allocation)
    return parts


def movement_allocation(movements) -> list[tuple[int, int, int]]:
    """(batch id, product id, quantity) of sale movements (negative quantities)."""
    return [(m.batch_id, m.product_id, -m.quantity) for m in movements]


def reservation_allocation(reservation) -> list[tuple[int, int, int]]:
    return [(line.batch_id, line.product_id, line.quantity) for line in reservation.lines]


@dataclass(frozen=True)
class Offer:
    """Units of a marked-down batch a shopper (or the till) can buy now."""

    markdown: Markdown
    expires_on: date
    units: int
    variant_id: int | None = None

    def price(self, list_price: int) -> int:
        return percent_off(list_price, self.markdown.percent_bp)


def offers(product_id: int, channel: str = "online") -> list[Offer]:
    """The product's marked-down batches sellable on `channel` now, earliest expiry first:
    FEFO sells them before the product's (or the variant's) other batches. Each offer names
    its batch's variant, so a product page with sizes shows the chosen size's."""
    first_expiry = ledger.sellable_from(channel, today_wib())
    rows = db.session.execute(
        select(
            Markdown, Batch.expires_on, StockLevel.on_hand - StockLevel.reserved, Batch.variant_id
        )
        .join(Batch, Batch.id == Markdown.batch_id)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(
            Batch.product_id == product_id,
            Markdown.ended_at.is_(None),
            Batch.expires_on >= first_expiry,
            StockLevel.on_hand > StockLevel.reserved,
        )
        .order_by(Batch.expires_on, Batch.id)
    )
    return [
        Offer(markdown, expires_on, int(units), variant_id)
        for markdown, expires_on, units, variant_id in rows
    ]


@dataclass(frozen=True)
class NextMarkdown:
    """The markdown of the batch FEFO would sell next: what a product card shows."""

    percent_bp: int

    def price(self, list_price: int) -> int:
        return percent_off(list_price, self.percent_bp)


def listing_stock(
    products: Iterable, channel: str = "online"
) -> tuple[dict[int, int], dict[int, NextMarkdown]]:
    """For product cards, in one query however many are shown (it replaces
    `availability.availability_for` on the listing pages): the units a shopper can buy now, and
    for a product whose next unit sold (FEFO) is of a marked-down batch, that markdown.
    Accepts products or product ids."""
    ids = list({getattr(p, "id", p) for p in products})
    if not ids:
        return {}, {}
    first_expiry = ledger.sellable_from(channel, today_wib())
    rows = db.session.execute(
        select(StockLevel.product_id, StockLevel.on_hand - StockLevel.reserved, Markdown.percent_bp)
        .join(Batch, Batch.id == StockLevel.batch_id)
        .outerjoin(Markdown, and_(Markdown.batch_id == Batch.id, Markdown.ended_at.is_(None)))
        .where(StockLevel.product_id.in_(ids), ledger.sellable(first_expiry))
        .order_by(StockLevel.product_id, nulls_last(Batch.expires_on.asc()), Batch.id)
    )
    available = dict.fromkeys(ids, 0)
    marked: dict[int, NextMarkdown] = {}
    first_seen: set[int] = set()
    for product_id, free, percent_bp in rows:
        available[product_id] += int(free or 0)
        # The first batch with a free unit is the one `ledger._allocate` takes first.
        if free > 0 and product_id not in first_seen:
            first_seen.add(product_id)
            if percent_bp:
                marked[product_id] = NextMarkdown(percent_bp)
    return available, marked
