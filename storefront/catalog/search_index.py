"""The product search index (table `product_search`) and how it is kept up to date.

One row per product holds the text a shopper may search for: the product's name, its vendor's
name, its category's Indonesian and English names, and its description, lower-cased and without
accents. Each database gets the index it is good at:

- SQLite: an FTS5 virtual table (`product_id UNINDEXED, name, labels, description`) whose rowid
  is the product id, so rewriting or forgetting one product is an index lookup, not a scan.
- PostgreSQL: a plain table (`product_id` primary key → products ON DELETE CASCADE, `document`,
  `tsv`) with a GIN index on `tsv`. `tsv` weighs the name A, vendor and category B and the
  description D, so ts_rank puts a name match first (FTS5 does the same with bm25 weights).

The index is not in `db.metadata` (an FTS5 table is no SQLAlchemy table, and its shadow tables
would look like strays to Alembic): `db.create_all()` builds it through the DDL events below,
migration 0004 builds the same thing, and `alembic_include_name` keeps Alembic's model
comparison from reporting it. A test checks that both ways produce the same objects.

Upkeep needs no caller's help: after every flush `_reindex_after_flush` (listening from
`catalog.init_app` on) rewrites the rows of
products that were added, changed or deleted, and of every product of a vendor or category
that was renamed. Rows of deleted products also go when the database deletes them (the
foreign key cascade on PostgreSQL, a trigger on SQLite). A stray row could only point at an id
no product has, and callers always join the matches to `products`, so it can never show.
Bulk `UPDATE` statements bypass the session's bookkeeping: call `reindex_products` after them,
or `flask reindex-search` to rebuild everything.

Visibility is not the index's business: it holds every product, and callers join the matches
with `visible_products()`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from sqlalchemy import (
    DDL,
    Integer,
    Text,
    bindparam,
    column,
    delete,
    event,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from storefront.catalog.models import Product
from storefront.catalog.spelling import with_canonical_forms
from storefront.categories import Category
from storefront.extensions import db
from storefront.vendors.models import Vendor

TABLE = "product_search"
WORDS = "product_search_words"
VOCAB_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search_vocab USING fts5vocab(product_search, 'row')"
)
# PostgreSQL's trigram indexes, where the pg_trgm extension can be installed (managed
# databases do not always allow it): the nearest indexed words to a typo, and the substring
# fallback. Without them both still work, by a prefix range and a scan.
TRIGRAM_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
TRIGRAM_INDEXES = (
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_document_trgm ON {TABLE} "
    "USING gin (document gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS ix_{WORDS}_trgm ON {WORDS} USING gin (word gin_trgm_ops)",
)

# Migration 0004 carries its own copy of these statements (migrations never import app code);
# tests/integration/test_search.py checks that both build the same index.
SQLITE_CREATE = (
    # unicode61 folds case and (remove_diacritics 2) accents again, for text indexed by older
    # code; prefix indexes of 2 and 3 characters make the "kop"* of search-as-you-type cheap.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "product_id UNINDEXED, name, labels, description, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    # Deleting a product by any route (ORM, bulk DELETE, the tests' table wipe) forgets it. A
    # migration that rebuilds `products` in batch mode drops this trigger: recreate it there
    # (the migration test compares the schema with create_all's and will say so).
    "CREATE TRIGGER IF NOT EXISTS product_search_forget_product AFTER DELETE ON products "
    "BEGIN DELETE FROM product_search WHERE rowid = old.id; END",
    # Every distinct word in the index, for the spelling fallback (search.py: a word that
    # starts no indexed word is matched to the nearest ones by edit distance). Migration 0012.
    VOCAB_CREATE,
)
SQLITE_DROP = (
    "DROP TABLE IF EXISTS product_search_vocab",
    "DROP TRIGGER IF EXISTS product_search_forget_product",
    "DROP TABLE IF EXISTS product_search",
)

POSTGRESQL_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "product_id integer NOT NULL, "
    "document text NOT NULL, "
    "tsv tsvector NOT NULL, "
    f"CONSTRAINT pk_{TABLE} PRIMARY KEY (product_id), "
    f"CONSTRAINT fk_{TABLE}_product_id_products FOREIGN KEY (product_id) "
    "REFERENCES products (id) ON DELETE CASCADE)",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_tsv ON {TABLE} USING gin (tsv)",
    # Every word ever indexed, for the spelling fallback (what FTS5's vocabulary table is on
    # SQLite). Words of products since changed stay: a stale word only finds nothing.
    f"CREATE TABLE IF NOT EXISTS {WORDS} (word text NOT NULL, "
    f"CONSTRAINT pk_{WORDS} PRIMARY KEY (word))",
    f"CREATE INDEX IF NOT EXISTS ix_{WORDS}_pattern ON {WORDS} (word text_pattern_ops)",
)
POSTGRESQL_DROP = (f"DROP TABLE IF EXISTS {WORDS}", f"DROP TABLE IF EXISTS {TABLE}")

INDEXED_DIALECTS = ("sqlite", "postgresql")

# How the query side sees the index (lightweight table clauses: not part of any MetaData).
fts_table = table_clause(
    TABLE,
    column("rowid", Integer),
    column("product_id", Integer),
    column("name", Text),
    column("labels", Text),
    column("description", Text),
)
pg_table = table_clause(
    TABLE,
    column("product_id", Integer),
    column("document", Text),
    column("tsv", TSVECTOR),
)
words_table = table_clause(WORDS, column("word", Text))
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL has no Indonesian stemmer, and an English one would mangle Indonesian words:
# 'simple' only lower-cases, on both the document and the queries.
REGCONFIG = literal_column("'simple'::regconfig")

# Rows are rewritten this many products at a time (an IN list every database takes well).
CHUNK = 500

# Changes to these attributes change what a product is found by.
_PRODUCT_FIELDS = ("name", "description", "vendor_id", "category_id", "vendor", "category")
_VENDOR_FIELDS = ("name",)
_CATEGORY_FIELDS = ("name", "name_en")


def plain(text: str | None) -> str:
    """Lower case without accents ("Kafé" → "kafe"), for the index and for queries alike, so
    a shopper who types without accents still finds a name written with them."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def alembic_include_name(name, type_, parent_names) -> bool:
    """Alembic `include_name` filter: leave the search index (and on SQLite the FTS5 shadow
    tables `product_search_*`) out of model comparisons; migration 0004 owns them."""
    table_name = name if type_ == "table" else parent_names.get("table_name")
    return not (table_name and (table_name == TABLE or table_name.startswith(f"{TABLE}_")))


# --- building the index with the schema -----------------------------------------------------

for _statement in SQLITE_CREATE:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(db.metadata, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_CREATE:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in POSTGRESQL_DROP:
    event.listen(db.metadata, "before_drop", DDL(_statement).execute_if(dialect="postgresql"))


def create_trigram_index(connection: Connection) -> bool:
    """Install pg_trgm and the trigram index on the documents, if the database allows it.
    Returns whether the index exists. A refused extension (no privilege, not available)
    leaves everything else as it was: the statement runs in a savepoint."""
    if connection.dialect.name != "postgresql":
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(TRIGRAM_EXTENSION)
    except DBAPIError:
        return False
    for statement in TRIGRAM_INDEXES:
        connection.exec_driver_sql(statement)
    return True


def _trigram_after_create(target, connection: Connection, **kw) -> None:
    create_trigram_index(connection)


event.listen(db.metadata, "after_create", _trigram_after_create)


def create_index_objects(connection: Connection) -> None:
    """Create the index (and the SQLite trigger) where they are missing."""
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
    for statement in statements.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)
    create_trigram_index(connection)


# --- writing rows ----------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _documents(connection: Connection, ids: list[int]) -> list[dict]:
    rows = connection.execute(
        select(
            Product.id,
            Product.name,
            Product.description,
            Vendor.name.label("vendor_name"),
            Category.name.label("category_name"),
            Category.name_en.label("category_name_en"),
        )
        .join(Vendor, Vendor.id == Product.vendor_id)
        .join(Category, Category.id == Product.category_id)
        .where(Product.id.in_(ids))
    )
    documents = []
    for row in rows:
        labels = " ".join(
            plain(part) for part in (row.vendor_name, row.category_name, row.category_name_en)
        )
        # Each word's canonical spelling goes in too ("kripik" -> "keripik"), so a query in
        # any listed spelling finds it (catalog/spelling.py).
        documents.append(
            {
                "pid": row.id,
                "name": with_canonical_forms(plain(row.name)),
                "labels": with_canonical_forms(labels),
                "description": with_canonical_forms(plain(row.description)),
            }
        )
    return documents


def reindex_products(product_ids: Iterable[int], connection: Connection | None = None) -> int:
    """Rewrite the index rows of these products from what the database holds now (ids of
    products that no longer exist lose their row). Returns how many rows were written."""
    connection = connection if connection is not None else db.session.connection()
    dialect = connection.dialect.name
    if dialect not in INDEXED_DIALECTS:
        return 0
    written = 0
    for ids in _chunks(sorted({int(i) for i in product_ids if i is not None})):
        documents = _documents(connection, ids)
        if dialect == "sqlite":
            connection.execute(delete(fts_table).where(fts_table.c.rowid.in_(ids)))
            if documents:
                connection.execute(
                    insert(fts_table).values(
                        rowid=bindparam("pid"),
                        product_id=bindparam("pid"),
                        name=bindparam("name"),
                        labels=bindparam("labels"),
                        description=bindparam("description"),
                    ),
                    documents,
                )
        else:
            connection.execute(delete(pg_table).where(pg_table.c.product_id.in_(ids)))
            if documents:
                connection.execute(insert(pg_table).values(**_pg_values()), documents)
                _remember_words(connection, documents)
        written += len(documents)
    return written


def _remember_words(connection: Connection, documents: list[dict]) -> None:
    words = {
        word
        for document in documents
        for part in ("name", "labels", "description")
        for word in _WORD.findall(document[part])
    }
    if words:
        connection.execute(
            pg_insert(words_table).on_conflict_do_nothing(),
            [{"word": word} for word in sorted(words)],
        )


def _pg_values() -> dict:
    def vector(name: str, weight: str):
        # The weight is PostgreSQL's one-byte "char" type, which a bound string is not.
        return func.setweight(
            func.to_tsvector(REGCONFIG, bindparam(name, type_=Text)),
            literal_column(f"'{weight}'"),
        )

    return {
        "product_id": bindparam("pid"),
        # The whole text, for the substring fallback when the word index finds nothing.
        "document": func.concat_ws(
            " ",
            bindparam("name", type_=Text),
            bindparam("labels", type_=Text),
            bindparam("description", type_=Text),
        ),
        "tsv": vector("name", "A")
        .op("||")(vector("labels", "B"))
        .op("||")(vector("description", "D")),
    }


def rebuild_search_index(connection: Connection | None = None) -> int:
    """Rebuild the whole index (and recreate it if it is missing). Returns the product count."""
    connection = connection if connection is not None else db.session.connection()
    if connection.dialect.name not in INDEXED_DIALECTS:
        return 0
    create_index_objects(connection)
    if connection.dialect.name == "sqlite":
        connection.execute(delete(fts_table))
    else:
        connection.execute(delete(pg_table))
        connection.execute(delete(words_table))
    ids = list(connection.scalars(select(Product.id).order_by(Product.id)))
    count = reindex_products(ids, connection)
    if connection.dialect.name == "sqlite":
        # Merge the index's segments after rewriting everything: smaller and faster to query.
        connection.exec_driver_sql("INSERT INTO product_search(product_search) VALUES ('optimize')")
    return count


# --- keeping it up to date -------------------------------------------------------------------


def _changed(instance, fields: tuple[str, ...]) -> bool:
    # Never load anything to find out: an attribute not loaded cannot have been changed.
    return any(
        get_history(instance, field, passive=PASSIVE_NO_INITIALIZE).has_changes()
        for field in fields
    )


def init_app(app) -> None:
    """Keep the index current from every session. SQLAlchemy's session events are
    process-wide, like the mappers, so the listener is added once however many apps exist."""
    if not event.contains(Session, "after_flush", _reindex_after_flush):
        event.listen(Session, "after_flush", _reindex_after_flush)


def _reindex_after_flush(session: Session, flush_context) -> None:
    """Reindex what this flush changed. In `after_flush` the session still knows what was new,
    changed and deleted, and the rows are already written, so the documents are read back from
    the database within the same transaction: a rollback takes the index rows with it."""
    product_ids: set[int] = set()
    vendor_ids: set[int] = set()
    category_ids: set[int] = set()
    for instance in session.new:
        if isinstance(instance, Product):
            product_ids.add(instance.id)
    for instance in session.dirty:
        if isinstance(instance, Product) and _changed(instance, _PRODUCT_FIELDS):
            product_ids.add(instance.id)
        elif isinstance(instance, Vendor) and _changed(instance, _VENDOR_FIELDS):
            vendor_ids.add(instance.id)
        elif isinstance(instance, Category) and _changed(instance, _CATEGORY_FIELDS):
            category_ids.add(instance.id)
    for instance in session.deleted:
        if isinstance(instance, Product):
            product_ids.add(instance.id)
    if not (product_ids or vendor_ids or category_ids):
        return
    # Core statements on the session's connection: an ORM query here would autoflush again.
    connection = session.connection()
    if vendor_ids or category_ids:
        product_ids.update(
            connection.scalars(
                select(Product.id).where(
                    Product.vendor_id.in_(vendor_ids) | Product.category_id.in_(category_ids)
                )
            )
        )
    reindex_products(product_ids, connection)
