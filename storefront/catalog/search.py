"""The one search service for the catalogue.

`product_matches(query)` returns a SELECT of (product_id, score) for products whose name,
description, vendor or category (Indonesian or English name) contain every word of the query as
a word or the start of one ("kerip pedas" finds "Keripik Singkong Pedas Level 5"), higher
score = better match. Callers join it to their own product query, so filters, visibility and
sorting stay in one place (shop/browse.py). `suggest(prefix)` gives product names for
search-as-you-type.

The index and its upkeep live in `search_index.py`: SQLite FTS5 ranked by bm25, PostgreSQL
tsvector ranked by ts_rank, both weighting the product name above vendor and category, and
those above the description.
"""

from __future__ import annotations

import re

from sqlalchemy import Float, Select, exists, func, literal, literal_column, select, union_all

from storefront.catalog.models import Product
from storefront.catalog.search_index import REGCONFIG, TABLE, fts_table, pg_table, plain
from storefront.catalog.services import visible_products
from storefront.extensions import db

MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
# One letter matches half the catalogue; suggestions start at two.
MIN_SUGGEST_LENGTH = 2
SUGGEST_LIMIT = 8
# Letters and digits only (no underscore, a LIKE wildcard): whatever else a shopper types —
# quotes, stars, colons, brackets — separates words and never reaches the database.
_WORD = re.compile(r"[^\W_]+")
# bm25 weight per FTS5 column: product_id (never matched), name, labels, description.
_BM25_WEIGHTS = (0.0, 10.0, 4.0, 1.0)


def words(query: str) -> list[str]:
    """The searchable words of what a shopper typed: letters and digits only, lower case and
    without accents (as the index holds them), at most MAX_WORDS from the first
    MAX_QUERY_LENGTH characters."""
    return _WORD.findall(plain((query or "")[:MAX_QUERY_LENGTH]))[:MAX_WORDS]


def product_matches(query: str) -> Select | None:
    """SELECT product_id, score for the products matching every word; None for an empty query."""
    terms = words(query)
    if not terms:
        return None
    if db.engine.dialect.name == "postgresql":
        return _postgresql_matches(terms)
    return _sqlite_matches(terms)


def suggest(prefix: str, limit: int = SUGGEST_LIMIT) -> list[str]:
    """Names of visible products whose name has every word of `prefix` (as a word start), best
    match first. Only names: the browser shows a suggestion under the search box only when it
    contains what was typed, so a product found through its vendor would be filtered out
    anyway."""
    terms = words(prefix)
    if not terms or sum(len(term) for term in terms) < MIN_SUGGEST_LENGTH:
        return []
    if db.engine.dialect.name == "postgresql":
        matches = _postgresql_matches(terms, names_only=True)
    else:
        matches = _sqlite_matches(terms, names_only=True)
    found = matches.subquery("matches")
    statement = (
        visible_products()
        .join(found, found.c.product_id == Product.id)
        .with_only_columns(Product.name)
        .order_by(found.c.score.desc(), Product.name)
        .limit(limit * 2)
    )
    # Two vendors may sell a "Kopi Robusta": suggest the name once.
    names = dict.fromkeys(db.session.scalars(statement))
    return list(names)[:limit]


def _sqlite_matches(terms: list[str], names_only: bool = False) -> Select:
    # Each word a quoted phrase with a prefix star: "kopi"* AND "pedas"*. The quotes make FTS5
    # read AND, OR, NOT and NEAR typed by a shopper as plain words.
    column = "name : " if names_only else ""
    expression = " AND ".join(f'{column}"{term}"*' for term in terms)
    index = literal_column(TABLE)
    # bm25 is lower for better matches; the interface promises higher = better.
    score = -func.bm25(index, *_BM25_WEIGHTS)
    return select(fts_table.c.rowid.label("product_id"), score.label("score")).where(
        index.op("MATCH")(expression)
    )


def _postgresql_matches(terms: list[str], names_only: bool = False) -> Select:
    # to_tsquery('simple', 'kopi:* & pedas:*'); ":*A" restricts a word to the name (weight A).
    suffix = ":*A" if names_only else ":*"
    query = func.to_tsquery(REGCONFIG, " & ".join(term + suffix for term in terms))
    hits = pg_table.c.tsv.op("@@")(query)
    ranked = select(pg_table.c.product_id, func.ts_rank(pg_table.c.tsv, query).label("score"))
    if names_only:
        return ranked.where(hits)
    # When no word-start matches anywhere, look for the words inside words ("singkong" in
    # "keripiksingkong", "robusta" in "arabika-robusta"): a sequential scan, fine at the shop's
    # size, and only ever run for searches that would otherwise show nothing. pg_trgm would
    # index it, but managed databases do not always allow the extension, so it is not required.
    # NOT EXISTS is evaluated once (an InitPlan), so the fallback costs nothing when the index
    # found something. The words are letters and digits only: no LIKE wildcard can slip in.
    fallback = select(pg_table.c.product_id, literal(0.0, Float).label("score")).where(
        ~exists().where(hits),
        *(pg_table.c.document.ilike(f"%{term}%") for term in terms),
    )
    both = union_all(ranked.where(hits), fallback).subquery("ranked_matches")
    return select(both.c.product_id, both.c.score)
