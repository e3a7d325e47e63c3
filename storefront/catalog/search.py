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

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import (
    Float,
    Select,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
)

from storefront.catalog.models import Product
from storefront.catalog.search_index import (
    REGCONFIG,
    TABLE,
    fts_table,
    pg_table,
    plain,
    words_table,
)
from storefront.catalog.services import visible_products
from storefront.catalog.spelling import canonical
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
# At most this many nearest spellings per word.
NEAR_WORDS = 3
# Whether each PostgreSQL database has pg_trgm, by URL: asked once per process.
_TRIGRAMS: dict[str, bool] = {}


def has_trigrams() -> bool:
    key = db.engine.url.render_as_string(hide_password=True)
    if key not in _TRIGRAMS:
        _TRIGRAMS[key] = (
            db.session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
            is not None
        )
    return _TRIGRAMS[key]


def words(query: str) -> list[str]:
    """The searchable words of what a shopper typed: letters and digits only, lower case and
    without accents (as the index holds them), each in its canonical spelling ("kripik" ->
    "keripik", catalog/spelling.py), at most MAX_WORDS from the first MAX_QUERY_LENGTH
    characters."""
    found = _WORD.findall(plain((query or "")[:MAX_QUERY_LENGTH]))[:MAX_WORDS]
    return [canonical(word) for word in found]


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
    # read AND, OR, NOT and NEAR typed by a shopper as plain words. A word that starts no
    # indexed word is also tried as its nearest spellings: ("bawng"* OR "bawang").
    column = "name : " if names_only else ""
    groups = []
    for term in terms:
        options = [f'"{term}"*'] + [f'"{near}"' for near in _sqlite_near_words(term)]
        joined = " OR ".join(options)
        groups.append(f"{column}({joined})" if len(options) > 1 else f"{column}{options[0]}")
    expression = " AND ".join(groups)
    index = literal_column(TABLE)
    # bm25 is lower for better matches; the interface promises higher = better.
    score = -func.bm25(index, *_BM25_WEIGHTS)
    return select(fts_table.c.rowid.label("product_id"), score.label("score")).where(
        index.op("MATCH")(expression)
    )


def max_typos(term: str) -> int:
    """Edits a word may be away from what was meant: none for short words (too many
    neighbours: "teh", "tas", "kopi"), one up to seven letters ("kerpik" is "keripik"), two
    from eight ("sambalbawang")."""
    if len(term) < 5 or term.isdigit():
        return 0
    return 1 if len(term) <= 7 else 2


def _sqlite_near_words(term: str) -> list[str]:
    """Indexed words within `max_typos` of `term` (optimal string alignment: a swap of two
    letters is one typo), when no indexed word starts with `term`. Candidates share its first
    letter and have a similar length, read from the FTS5 vocabulary by a range on the term."""
    typos = max_typos(term)
    if not typos:
        return []
    connection = db.session.connection()
    starts = connection.execute(
        text("SELECT 1 FROM product_search_vocab WHERE term >= :lo AND term < :hi LIMIT 1"),
        {"lo": term, "hi": term + "\uffff"},
    ).first()
    if starts is not None:
        return []
    first = term[0]
    candidates = connection.scalars(
        text(
            "SELECT term FROM product_search_vocab WHERE term >= :lo AND term < :hi "
            "AND length(term) BETWEEN :short AND :long"
        ),
        {
            "lo": first,
            "hi": first + "\uffff",
            "short": len(term) - typos,
            "long": len(term) + typos,
        },
    ).all()
    return _nearest(term, candidates)


def _nearest(term: str, candidates) -> list[str]:
    near = process.extract(
        term, list(candidates), scorer=OSA.distance, score_cutoff=max_typos(term), limit=NEAR_WORDS
    )
    return [word for word, _distance, _index in near if word != term and _WORD.fullmatch(word)]


def _postgresql_near_words(term: str) -> list[str]:
    """As `_sqlite_near_words`, from `product_search_words`: the candidates are the words most
    alike by trigrams (pg_trgm's `%`, indexed) or, without pg_trgm, those sharing the first
    letter and a similar length; the edit distance then decides, as on SQLite."""
    typos = max_typos(term)
    if not typos:
        return []
    prefix = func.to_tsquery(REGCONFIG, term + ":*")
    if db.session.scalar(select(literal(1)).where(pg_table.c.tsv.op("@@")(prefix)).limit(1)):
        return []
    word = words_table.c.word
    if has_trigrams():
        candidates = select(word).where(word.op("%")(term))
        candidates = candidates.order_by(func.similarity(word, term).desc()).limit(50)
    else:
        candidates = select(word).where(
            word.startswith(term[0], autoescape=True),
            func.length(word).between(len(term) - typos, len(term) + typos),
        )
    return _nearest(term, db.session.scalars(candidates))


def _postgresql_matches(terms: list[str], names_only: bool = False) -> Select:
    # to_tsquery('simple', 'kopi:* & pedas:*'); ":*A" restricts a word to the name (weight A).
    # A word that starts no indexed word is also tried as its nearest spellings:
    # (bawng:* | bawang) & sambal:*.
    suffix, exact = (":*A", ":A") if names_only else (":*", "")
    groups = []
    for term in terms:
        options = [term + suffix] + [near + exact for near in _postgresql_near_words(term)]
        groups.append(f"({' | '.join(options)})" if len(options) > 1 else options[0])
    query = func.to_tsquery(REGCONFIG, " & ".join(groups))
    hits = pg_table.c.tsv.op("@@")(query)
    ranked = select(pg_table.c.product_id, func.ts_rank(pg_table.c.tsv, query).label("score"))
    if names_only:
        return ranked.where(hits)
    # When no word-start matches anywhere, look for the words inside words ("singkong" in
    # "keripiksingkong", "robusta" in "arabika-robusta"). With pg_trgm the trigram index on the
    # documents serves it; without (a managed database may refuse the extension) it is a
    # sequential scan, fine at the shop's size. Only ever run for searches that would otherwise
    # show nothing: NOT EXISTS is evaluated once (an InitPlan). The words are letters and
    # digits only: no LIKE wildcard can slip in.
    fallback = select(pg_table.c.product_id, literal(0.0, Float).label("score")).where(
        ~exists().where(hits),
        *(pg_table.c.document.ilike(f"%{term}%") for term in terms),
    )
    both = union_all(ranked.where(hits), fallback).subquery("ranked_matches")
    return select(both.c.product_id, both.c.score)
