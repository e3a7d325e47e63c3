"""Sizes across products, for the listings' "Ukuran" filter, and what an option's name means to
search engines (size, colour).

A product's sizes are the values of its option named Ukuran (or Size): text the vendor typed
("40", "XL"), so the filter matches by that text, case aside, across products. A size is
offered when some listed product has a sellable variant (active, approved) of that size with
stock a shopper can buy now; choosing it keeps the products that have one.
"""

from __future__ import annotations

import re

from sqlalchemy import Select, exists, func, or_, select

from storefront.catalog.models import (
    Product,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
    VariantReview,
    variant_values,
)
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.models import Batch, StockLevel

# Option names (case aside) that are a size, a colour...: schema.org's property for each.
SIZE_NAMES = ("ukuran", "size")
SCHEMA_PROPERTIES = {
    **dict.fromkeys(SIZE_NAMES, "size"),
    **dict.fromkeys(("warna", "color", "colour"), "color"),
    **dict.fromkeys(("motif", "corak", "pattern"), "pattern"),
    **dict.fromkeys(("bahan", "material"), "material"),
}
# Clothing sizes in the order a shopper reads them.
LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "XXXL", "3XL", "4XL", "5XL")
MAX_SIZE_LENGTH = 40


def schema_property(option_name: str) -> str | None:
    """ "Ukuran" -> "size", "Warna" -> "color"; None for a name schema.org has no word for."""
    return SCHEMA_PROPERTIES.get(" ".join(option_name.split()).casefold())


def size_order(value: str):
    """Sort key: numbers by value (36 before 40, 9 before 10), then letter sizes S to XXL,
    then the rest alphabetically."""
    text = value.strip().upper()
    if re.fullmatch(r"\d+([.,]\d+)?", text):
        return (0, float(text.replace(",", ".")), "")
    if text in LETTER_SIZES:
        return (1, LETTER_SIZES.index(text), "")
    return (2, 0, text)


def _sellable_variant():
    return (ProductVariant.active.is_(True), ProductVariant.review == VariantReview.APPROVED.value)


def _variant_in_stock():
    first_expiry = ledger.sellable_from("online", today_wib())
    return exists().where(
        StockLevel.variant_id == ProductVariant.id,
        StockLevel.on_hand > StockLevel.reserved,
        Batch.id == StockLevel.batch_id,
        or_(Batch.expires_on.is_(None), Batch.expires_on >= first_expiry),
    )


def _size_values():
    """The joins from a variant to its size value."""
    return (
        variant_values.c.variant_id == ProductVariant.id,
        ProductOptionValue.id == variant_values.c.value_id,
        ProductOption.id == ProductOptionValue.option_id,
        func.lower(ProductOption.name).in_(SIZE_NAMES),
    )


def has_size_in_stock(size: str):
    """Products with a sellable variant of size `size` that a shopper can buy now."""
    return exists().where(
        ProductVariant.product_id == Product.id,
        *_sellable_variant(),
        *_size_values(),
        func.lower(ProductOptionValue.value) == size.strip().lower(),
        _variant_in_stock(),
    )


# Past this many products in sizes, the listing's own filter narrows the query instead.
SIZED_LIST_LIMIT = 5000


def sizes_in_stock(product_ids: Select) -> list[str]:
    """The sizes on offer among the products `product_ids` selects (one column of ids), in
    size order, each once (case aside).

    Few products come in sizes (footwear, clothing), so it starts from them: a listing with
    none asks nothing more, instead of joining every listed product's variants (a food
    category of 100k products took 70 ms for an empty answer, bench/profile_page.py)."""
    sized = db.session.scalars(
        select(ProductOption.product_id)
        .where(func.lower(ProductOption.name).in_(SIZE_NAMES))
        .limit(SIZED_LIST_LIMIT + 1)
    ).all()
    if not sized:
        return []
    narrowed = (ProductVariant.product_id.in_(sized),) if len(sized) <= SIZED_LIST_LIMIT else ()
    rows = db.session.scalars(
        select(ProductOptionValue.value)
        .distinct()
        .where(
            *narrowed,
            ProductVariant.product_id.in_(product_ids),
            *_sellable_variant(),
            *_size_values(),
            _variant_in_stock(),
        )
    )
    seen: dict[str, str] = {}
    for value in rows:
        seen.setdefault(value.casefold(), value)
    return sorted(seen.values(), key=size_order)
