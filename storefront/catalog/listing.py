"""The shop's product listing: filters, sorting and pages for /search and /category/<slug>.

Everything is decided in SQL (visibility, filters, order, LIMIT/OFFSET) so page 3 of "halal,
in stock, under Rp50.000" is right however many products there are. A page always costs the
same few statements: the count, the 24 products with vendor and category joined in, their
photos, their permits and their stock (`consignment.availability.availability_for`).

`parse_listing_args` reads what a shopper's browser sends (GET parameters) into
`ListingFilters`; bad values are ignored with a message, never an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from storefront.catalog.models import Category, PermitKind, Product, ProductPermit, ProductPhoto
from storefront.catalog.permits import today_wib
from storefront.catalog.search import MAX_QUERY_LENGTH, product_matches
from storefront.catalog.services import visible_products
from storefront.consignment.models import Batch, StockLevel
from storefront.extensions import db
from storefront.money import InvalidAmount, parse_rupiah
from storefront.vendors.models import Vendor, VendorStatus

PER_PAGE = 24

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


def card_options() -> tuple:
    """Loader options for anything that shows product cards: vendor and category joined in,
    photos and permits (the halal badge) in one query each, however many cards."""
    return (
        joinedload(Product.vendor).load_only(*CARD_VENDOR_COLUMNS),
        joinedload(Product.category),
        selectinload(Product.photos),
        selectinload(Product.permits),
    )


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
    today = today or today_wib()
    return exists().where(
        StockLevel.product_id == Product.id,
        StockLevel.on_hand > StockLevel.reserved,
        Batch.id == StockLevel.batch_id,
        or_(Batch.expires_on.is_(None), Batch.expires_on >= today),
    )


def listing_statement(filters: ListingFilters) -> Select:
    """Visible products matching `filters`, in the chosen order (ties broken by id, so pages
    never repeat or skip a product)."""
    statement = visible_products().options(*card_options())
    matches = product_matches(filters.q) if filters.q else None
    if matches is not None:
        found = matches.subquery("matches")
        statement = statement.join(found, found.c.product_id == Product.id)
    if filters.category is not None:
        statement = statement.where(Product.category_id == filters.category.id)
    if filters.vendor is not None:
        statement = statement.where(Product.vendor_id == filters.vendor.id)
    if filters.halal:
        statement = statement.where(has_halal_permit())
    if filters.min_price is not None:
        statement = statement.where(Product.price >= filters.min_price)
    if filters.max_price is not None:
        statement = statement.where(Product.price <= filters.max_price)
    if filters.in_stock:
        statement = statement.where(in_stock())
    newest = (Product.created_at.desc(), Product.id.desc())
    if filters.sort == "relevance" and matches is not None:
        order = (found.c.score.desc(), *newest)
    elif filters.sort == "price_asc":
        order = (Product.price.asc(), Product.id.asc())
    elif filters.sort == "price_desc":
        order = (Product.price.desc(), Product.id.desc())
    elif filters.sort == NAME_SORT:
        order = (Product.name.asc(), Product.id.asc())
    else:
        order = newest
    return statement.order_by(*order)


def product_listing(filters: ListingFilters, page: int = 1, per_page: int = PER_PAGE):
    """One page of the listing (a Flask-SQLAlchemy Pagination; a page past the end is empty)."""
    return db.paginate(listing_statement(filters), page=page, per_page=per_page, error_out=False)


def listing_vendors() -> list[Vendor]:
    """Approved vendors, for the vendor filter."""
    return list(
        db.session.scalars(
            select(Vendor)
            .options(load_only(*CARD_VENDOR_COLUMNS))
            .where(Vendor.status == VendorStatus.APPROVED.value)
            .order_by(Vendor.name, Vendor.id)
        )
    )


# --- the home page ---------------------------------------------------------------------------

FEATURED_LIMIT = 4
NEW_ARRIVALS_LIMIT = 8
SPOTLIGHT_LIMIT = 3
SPOTLIGHT_COLUMNS = (*CARD_VENDOR_COLUMNS, Vendor.story, Vendor.logo_key, Vendor.kecamatan)


def featured_products(limit: int = FEATURED_LIMIT) -> list[Product]:
    """What the shop window shows first: products with a photo that a shopper can buy today,
    newest first. A product without a picture or stock makes a poor first impression."""
    statement = (
        visible_products()
        .options(*card_options())
        .where(has_photo(), in_stock())
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
    # The visibility rules, correlated to each vendor (a JOIN cannot be correlated).
    listed = exists().where(Product.vendor_id == Vendor.id, visible_products().whereclause)
    ids = list(
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
    if not ids:
        return []
    start = today.toordinal() % len(ids)
    chosen = [ids[(start + n) % len(ids)] for n in range(min(limit, len(ids)))]
    spotlight = select(Vendor).options(load_only(*SPOTLIGHT_COLUMNS)).where(Vendor.id.in_(chosen))
    vendors = {v.id: v for v in db.session.scalars(spotlight)}
    return [vendors[vendor_id] for vendor_id in chosen]
