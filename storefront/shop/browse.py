"""The shop's product listing: filters, sorting and pages for /search and /category/<slug>.

Everything is decided in SQL (visibility, filters, order, LIMIT/OFFSET) so page 3 of "halal,
in stock, under Rp50.000" is right however many products there are. A page always costs the
same few statements: a count capped at COUNT_CAP, 25 products (24 and one to know whether a
next page exists) with vendor and category joined in, their photos, their permits and their
stock (`stock.availability.availability_for`). An exact count of a 25,000-product
category cost 200 ms on SQLite; past COUNT_CAP a shopper reads "1.000+ products" instead.

`parse_listing_args` reads what a shopper's browser sends (GET parameters) into
`ListingFilters`; bad values are ignored with a message, never an error page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import NamedTuple

from flask import g, has_app_context
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload, with_expression

from storefront.catalog.models import (
    PermitKind,
    Product,
    ProductPermit,
    ProductPhoto,
    ProductStatus,
    ProductVariant,
    VariantReview,
    effective_price,
)
from storefront.catalog.search import MAX_QUERY_LENGTH, product_matches
from storefront.catalog.services import visible_products
from storefront.categories import Category
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.money import InvalidAmount, parse_rupiah
from storefront.shop.page_cache import cached
from storefront.shop.sizes import MAX_SIZE_LENGTH, has_size_in_stock, sizes_in_stock
from storefront.stock import ledger
from storefront.stock.models import Batch, StockLevel
from storefront.vendors.models import Vendor, VendorStatus

PER_PAGE = 24
# Listings count their results up to here; beyond it they say "1.000+ products".
COUNT_CAP = 1000
# Relevance ranks at least this many of the best matches before checking which are on sale.
RANK_WINDOW = 100
# The vendor filter offers the makers with the most products on show, not all of them.
VENDOR_OPTIONS = 50

# "Best-selling" joins this list once orders exist (issue 5 asks for it then): there is no
# sales data to rank by yet, and ranking by counter sales alone would mislead online shoppers.
SORTS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest"),
    "price_asc": _l("Price: low to high"),
    "price_desc": _l("Price: high to low"),
}
# Not offered to shoppers; the vendor page lists a maker's products alphabetically.
NAME_SORT = "name"


@dataclass(frozen=True)
class ListingFilters:
    """What a listing shows. `category` and `vendor` are loaded rows (their slugs are checked
    by the caller, which answers 404 for unknown ones)."""

    q: str = ""
    category: Category | None = None
    vendor: Vendor | None = None
    halal: bool = False
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    # A size (shop/sizes.py): products with a variant of it in stock.
    size: str = ""
    sort: str = "newest"

    @property
    def default_sort(self) -> str:
        return "relevance" if self.q else "newest"

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the category narrows the list (for the empty state)."""
        return bool(self.q or self.filtered)

    @property
    def filtered(self) -> bool:
        """Whether a filter from the filter panel is on (the search words are not one)."""
        return bool(
            self.vendor
            or self.halal
            or self.in_stock
            or self.size
            or self.min_price is not None
            or self.max_price is not None
        )

    def url_args(self, *, with_category: bool = True, **overrides) -> dict[str, str]:
        """GET parameters for a link to this listing: only the non-default ones, in a fixed
        order, so one view of the catalogue has one shareable URL."""
        values = {
            "q": self.q,
            "category": self.category.slug if with_category and self.category else "",
            "vendor": self.vendor.slug if self.vendor else "",
            "halal": "1" if self.halal else "",
            "in_stock": "1" if self.in_stock else "",
            "size": self.size,
            "min": str(self.min_price) if self.min_price is not None else "",
            "max": str(self.max_price) if self.max_price is not None else "",
            "sort": self.sort if self.sort != self.default_sort else "",
        }
        values.update({key: str(value) if value else "" for key, value in overrides.items()})
        if values.get("page") == "1":
            values["page"] = ""
        return {key: value for key, value in values.items() if value}


@dataclass
class ParsedListing:
    filters: ListingFilters
    category_slug: str | None = None
    vendor_slug: str | None = None
    messages: list[str] = field(default_factory=list)


def _price(raw: str | None, messages: list[str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = parse_rupiah(raw[:20])
    except InvalidAmount:
        messages.append(str(_l("Enter prices as whole rupiah, for example 25000.")))
        return None
    if value < 0:
        messages.append(str(_l("Enter prices as whole rupiah, for example 25000.")))
        return None
    return value


def parse_listing_args(args: Mapping[str, str]) -> ParsedListing:
    """Read listing GET parameters. Slugs are returned for the caller to look up; a price range
    with min > max is ignored with a message (the shopper still sees products, status 200)."""
    messages: list[str] = []
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    min_price = _price(args.get("min"), messages)
    max_price = _price(args.get("max"), messages)
    if min_price is not None and max_price is not None and min_price > max_price:
        messages.append(
            str(
                _l(
                    "The lowest price is higher than the highest price, so the price filter "
                    "was not applied."
                )
            )
        )
        min_price = max_price = None
    sort = args.get("sort") or ""
    default = "relevance" if q else "newest"
    if sort not in SORTS or (sort == "relevance" and not q):
        sort = default
    filters = ListingFilters(
        q=q,
        halal=args.get("halal") == "1",
        in_stock=args.get("in_stock") == "1",
        size=" ".join((args.get("size") or "").split())[:MAX_SIZE_LENGTH],
        min_price=min_price,
        max_price=max_price,
        sort=sort,
    )
    return ParsedListing(
        filters=filters,
        category_slug=(args.get("category") or "").strip()[:80] or None,
        vendor_slug=(args.get("vendor") or "").strip()[:80] or None,
        messages=messages,
    )


def with_rows(parsed: ParsedListing, category: Category | None, vendor: Vendor | None):
    return replace(parsed.filters, category=category, vendor=vendor)


# A card needs only these; the rest of a vendor row holds encrypted personal data that would be
# decrypted for nothing on every card.
CARD_VENDOR_COLUMNS = (Vendor.id, Vendor.slug, Vendor.name, Vendor.status)


# What `macros/catalog.html: product_card` shows, plus the keys and the order.
CARD_PRODUCT_COLUMNS = (
    Product.id,
    Product.slug,
    Product.name,
    Product.price,
    Product.next_price,
    Product.next_price_from,
    Product.net_content,
    Product.vendor_id,
    Product.category_id,
    Product.created_at,
    # The "Tidak halal" badge on every card.
    Product.non_halal,
    Product.non_halal_ingredient,
)


@cache
def card_options() -> tuple:
    """Loader options for anything that shows product cards: only the card's columns, vendor
    and category joined in, photos in one query however many cards; the halal badge and the
    price range of the sizes on offer read as three columns of the same query (loading every
    permit and variant of 25 cards was a third of a listing's time, docs/performance.md).
    Built once: the options depend on nothing of the request."""
    return (
        load_only(*CARD_PRODUCT_COLUMNS),
        joinedload(Product.vendor).load_only(*CARD_VENDOR_COLUMNS),
        joinedload(Product.category),
        selectinload(Product.photos),
        with_expression(Product.card_halal, _halal_permit_id().is_not(None)),
        with_expression(Product.card_min_delta, _sellable_deltas(func.min)),
        with_expression(Product.card_max_delta, _sellable_deltas(func.max)),
    )


def _halal_permit_id():
    """The card's halal badge, one index lookup per card. (As an EXISTS in the column list
    PostgreSQL hashes every halal permit of the shop first: 7 ms at 100,000 products.)"""
    return (
        select(ProductPermit.id)
        .where(
            ProductPermit.product_id == Product.id,
            ProductPermit.kind == PermitKind.HALAL.value,
        )
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


def _sellable_deltas(aggregate):
    return (
        select(aggregate(ProductVariant.price_delta))
        .where(
            ProductVariant.product_id == Product.id,
            ProductVariant.active.is_(True),
            ProductVariant.review == VariantReview.APPROVED.value,
        )
        .correlate(Product)
        .scalar_subquery()
    )


def card_price(product: Product) -> tuple[int, bool]:
    """(price, whether it is a "from" price) for a product card: the lowest price of the
    sizes or colours on offer when they differ, else the product's price."""
    if product.card_halal is not None:  # loaded with `card_options`
        low, high = product.card_min_delta, product.card_max_delta
    else:
        deltas = [v.price_delta for v in product.variants if v.sellable]
        low, high = min(deltas, default=None), max(deltas, default=None)
    if low is None:
        return product.current_price, False
    return product.current_price + low, low != high


def card_halal(product: Product) -> bool:
    """Whether a card shows the halal badge: the product has a halal certificate."""
    if product.card_halal is not None:
        return bool(product.card_halal)
    return any(permit.kind == PermitKind.HALAL.value for permit in product.permits)


def has_halal_permit():
    return exists().where(
        ProductPermit.product_id == Product.id, ProductPermit.kind == PermitKind.HALAL.value
    )


def has_photo():
    return exists().where(ProductPhoto.product_id == Product.id)


def in_stock(today: date | None = None):
    """Products a shopper can buy now. Each batch's on hand − reserved is never negative (a
    CHECK constraint), so "the sum over sellable batches is above zero" is the same as "some
    sellable batch has more on hand than reserved" — an EXISTS the database stops early on."""
    first_expiry = ledger.sellable_from("online", today or today_wib())
    return exists().where(
        StockLevel.product_id == Product.id,
        StockLevel.on_hand > StockLevel.reserved,
        Batch.id == StockLevel.batch_id,
        or_(Batch.expires_on.is_(None), Batch.expires_on >= first_expiry),
    )


def _matches(query: str) -> Select | None:
    """`product_matches(query)`, once per request: a listing page asks for it three times
    (the page, the count, the size filter), and each asks the search vocabulary again."""
    if not has_app_context():
        return product_matches(query)
    memo = g.setdefault("listing_matches", {})
    if query not in memo:
        memo[query] = product_matches(query)
    return memo[query]


def _filtered(filters: ListingFilters, window: int | None = None, scored: bool = True):
    """(statement, matches subquery or None): visible products matching `filters`, unordered.
    `window`: only the best `window` matches by relevance (`product_listing`); `scored=False`:
    the matches without their relevance (a count does not rank)."""
    statement = visible_products()
    matches = _matches(filters.q) if filters.q else None
    found = None
    if matches is not None:
        if not scored:
            matches = matches.with_only_columns(matches.selected_columns.product_id)
        if window:
            best = matches.selected_columns
            matches = matches.order_by(best.score.desc(), best.product_id.desc()).limit(window)
        found = matches.subquery("matches")
        statement = statement.join(found, found.c.product_id == Product.id)
    if filters.category is not None:
        statement = statement.where(Product.category_id == filters.category.id)
    if filters.vendor is not None:
        statement = statement.where(Product.vendor_id == filters.vendor.id)
    if filters.halal:
        statement = statement.where(has_halal_permit())
    price = effective_price(today_wib())
    if filters.min_price is not None:
        statement = statement.where(price >= filters.min_price)
    if filters.max_price is not None:
        statement = statement.where(price <= filters.max_price)
    if filters.in_stock:
        statement = statement.where(in_stock())
    if filters.size:
        statement = statement.where(has_size_in_stock(filters.size))
    return statement, found


def listing_sizes(filters: ListingFilters) -> list[str]:
    """The sizes the "Ukuran" filter offers: those in stock among the products the other
    filters list (empty where no listed product comes in sizes)."""
    statement, _found = _filtered(replace(filters, size=""))
    return sizes_in_stock(statement.with_only_columns(Product.id))


def listing_statement(filters: ListingFilters, window: int | None = None) -> Select:
    """Visible products matching `filters`, in the chosen order (ties broken by id, so pages
    never repeat or skip a product). Equally relevant matches: the product added last first
    (its id; the search window below needs an order the search index itself can give)."""
    statement, found = _filtered(filters, window)
    statement = statement.options(*card_options())
    newest = (Product.created_at.desc(), Product.id.desc())
    if filters.sort == "relevance" and found is not None:
        order = (found.c.score.desc(), Product.id.desc())
    elif filters.sort == "price_asc":
        order = (effective_price(today_wib()).asc(), Product.id.asc())
    elif filters.sort == "price_desc":
        order = (effective_price(today_wib()).desc(), Product.id.desc())
    elif filters.sort == NAME_SORT:
        order = (Product.name.asc(), Product.id.asc())
    else:
        order = newest
    return statement.order_by(*order)


@dataclass
class ListingPage:
    """One page of a listing, with what the templates' pagination needs. `total` is exact up
    to COUNT_CAP; past it `total_capped` is set, `total` is COUNT_CAP and `pages` is None."""

    items: list[Product]
    page: int
    per_page: int
    total: int
    total_capped: bool
    has_next: bool

    @property
    def pages(self) -> int | None:
        return None if self.total_capped else max(1, math.ceil(self.total / self.per_page))

    @property
    def total_display(self) -> str:
        """The total as the shopper's language writes numbers: 1.000 or 1,000."""
        return format_decimal(self.total)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def product_listing(filters: ListingFilters, page: int = 1, per_page: int = PER_PAGE):
    """One page of the listing (a page past the end is empty). Two statements however many
    products match: the count, capped, and per_page + 1 rows (the extra one says whether there
    is a next page)."""
    page = max(1, page)
    offset = (page - 1) * per_page
    counted = _filtered(filters, scored=False)[0].with_only_columns(Product.id)
    capped = counted.limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped))
    rows = None
    wanted = min(per_page + 1, max(0, total - offset))
    if filters.sort == "relevance" and filters.q and offset + per_page < COUNT_CAP:
        # Rank only the best matches: at 100,000 products a common word ("keripik") matches
        # thousands, and joining every one to its product to check that it is on sale cost
        # more than the rest of the page (docs/performance.md). The window is exact when it
        # holds the page: the matches outside it rank after every match in it (same order,
        # score then id), so the page is the same unless too few in it are on sale; then the
        # page is read again from every match.
        window = max(RANK_WINDOW, 4 * (offset + per_page + 1))
        statement = listing_statement(filters, window=window)
        rows = list(db.session.scalars(statement.limit(per_page + 1).offset(offset)))
        if len(rows) < wanted:
            rows = None
    if rows is None:
        statement = listing_statement(filters).limit(per_page + 1).offset(offset)
        rows = list(db.session.scalars(statement))
    return ListingPage(
        items=rows[:per_page],
        page=page,
        per_page=per_page,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        has_next=len(rows) > per_page,
    )


class VendorOption(NamedTuple):
    id: int
    slug: str
    name: str


def listing_vendors(selected: Vendor | None = None) -> list[VendorOption]:
    """Makers for the vendor filter: the VENDOR_OPTIONS with the most products on show (by
    name), plus the one already chosen. Counted at most once a minute per process: with 2,500
    makers a full list made the listing page 183 KB. Any maker can still be filtered by from
    its own page's link (`?vendor=<slug>`)."""
    options = cached("catalog:vendor-options", _top_vendors)
    if selected is not None and all(option.id != selected.id for option in options):
        options = sorted(
            [*options, VendorOption(selected.id, selected.slug, selected.name)],
            key=lambda option: (option.name, option.id),
        )
    return options


def _top_vendors() -> list[VendorOption]:
    # Counts approved products, hidden or not: one pass over the covering index
    # ix_products_vendor_status (15 ms at 100,000 products on SQLite), where counting only
    # visible ones read every product row (220 ms). A menu ranking does not need more.
    product_count = func.count().label("products")
    counts = (
        select(Product.vendor_id, product_count)
        .where(Product.status == ProductStatus.APPROVED.value)
        .group_by(Product.vendor_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Vendor.id, Vendor.slug, Vendor.name)
        .join(counts, counts.c.vendor_id == Vendor.id)
        .where(Vendor.status == VendorStatus.APPROVED.value)
        .order_by(counts.c.products.desc(), Vendor.id)
        .limit(VENDOR_OPTIONS)
    )
    return sorted((VendorOption(*row) for row in rows), key=lambda v: (v.name, v.id))


# --- the home page ---------------------------------------------------------------------------

FEATURED_LIMIT = 4
NEW_ARRIVALS_LIMIT = 8
SPOTLIGHT_LIMIT = 3
# Featured products are looked for among this many newest products only: with no photos or no
# stock anywhere, an unbounded search walked all 100,000 (239 ms on SQLite).
FEATURED_WINDOW = 300
# The spotlight's candidates are read again after this long (a maker suspended meanwhile is
# left out at once anyway: the chosen makers are loaded with their status checked).
SPOTLIGHT_SECONDS = 600
SPOTLIGHT_COLUMNS = (*CARD_VENDOR_COLUMNS, Vendor.story, Vendor.logo_key, Vendor.kecamatan)


def featured_products(limit: int = FEATURED_LIMIT) -> list[Product]:
    """What the shop window shows first: products with a photo that a shopper can buy today,
    newest first among the newest FEATURED_WINDOW. A product without a picture or stock makes a
    poor first impression."""
    # LIMIT inside IN (...) is refused by some databases; a derived table is not.
    newest = (
        visible_products()
        .with_only_columns(Product.id)
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(FEATURED_WINDOW)
        .subquery()
    )
    statement = (
        select(Product)
        .options(*card_options())
        .where(Product.id.in_(select(newest.c.id)), has_photo(), in_stock())
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def new_arrivals(
    limit: int = NEW_ARRIVALS_LIMIT, exclude: list[int] | None = None
) -> list[Product]:
    """The newest listed products, leaving out those already featured above them."""
    statement = visible_products().options(*card_options())
    if exclude:
        statement = statement.where(Product.id.not_in(exclude))
    statement = statement.order_by(Product.created_at.desc(), Product.id.desc()).limit(limit)
    return list(db.session.scalars(statement))


def spotlight_vendors(today: date | None = None, limit: int = SPOTLIGHT_LIMIT) -> list[Vendor]:
    """A few approved makers who have told their story and have something on sale, a different
    few each day (by the WIB date, so the page is the same all day and can be cached)."""
    today = today or today_wib()
    ids = cached(f"catalog:spotlight:{today.isoformat()}", _spotlight_candidates, SPOTLIGHT_SECONDS)
    if not ids:
        return []
    start = today.toordinal() % len(ids)
    chosen = [ids[(start + n) % len(ids)] for n in range(min(limit, len(ids)))]
    spotlight = (
        select(Vendor)
        .options(load_only(*SPOTLIGHT_COLUMNS))
        .where(Vendor.id.in_(chosen), Vendor.status == VendorStatus.APPROVED.value)
    )
    vendors = {v.id: v for v in db.session.scalars(spotlight)}
    return [vendors[vendor_id] for vendor_id in chosen if vendor_id in vendors]


def _spotlight_candidates() -> list[int]:
    """Ids of approved makers with a story and something on show."""
    # The visibility rules, correlated to each vendor (a JOIN cannot be correlated).
    listed = exists().where(Product.vendor_id == Vendor.id, visible_products().whereclause)
    return list(
        db.session.scalars(
            select(Vendor.id)
            .where(
                Vendor.status == VendorStatus.APPROVED.value,
                Vendor.story != "",
                listed,
            )
            .order_by(Vendor.id)
        )
    )
