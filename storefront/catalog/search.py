"""The one search service for the catalogue.

`product_matches(query)` returns a SELECT of (product_id, score) for products whose name,
description, vendor or category match every word of the query (prefixes count: "kerip" finds
"Keripik"), higher score = better match. Callers join it to their own product query, so filters,
visibility and sorting stay in one place (catalog/listing code).

This first version uses LIKE; the full-text version (SQLite FTS5 / PostgreSQL tsvector) replaces
the body without changing the signature.
"""

from __future__ import annotations

import re

from sqlalchemy import Select, and_, func, literal, or_, select

from storefront.catalog.models import Category, Product
from storefront.vendors.models import Vendor

MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    """The searchable words of what a shopper typed: letters and digits only, lower case, so
    quotes, stars, colons and other query syntax can never reach the database."""
    return _WORD.findall((query or "")[:MAX_QUERY_LENGTH].lower())[:MAX_WORDS]


def product_matches(query: str) -> Select | None:
    """SELECT product_id, score for the products matching every word; None for an empty query."""
    terms = words(query)
    if not terms:
        return None
    conditions = []
    for term in terms:
        pattern = f"%{term}%"
        conditions.append(
            or_(
                func.lower(Product.name).like(pattern),
                func.lower(Product.description).like(pattern),
                func.lower(Vendor.name).like(pattern),
                func.lower(Category.name).like(pattern),
            )
        )
    return (
        select(Product.id.label("product_id"), literal(1.0).label("score"))
        .join(Vendor, Vendor.id == Product.vendor_id)
        .join(Category, Category.id == Product.category_id)
        .where(and_(*conditions))
    )
