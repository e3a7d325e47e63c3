"""product search index (SQLite FTS5 / PostgreSQL tsvector)

Revision ID: 0004_product_search
Revises: 0003_stock_ledger
Create Date: 2026-11-23 19:15:00

The index is kept outside the models' metadata (see storefront/catalog/search_index.py), so
this migration writes its DDL by hand, per database, and fills it from the existing products.
The statements and the document builder are copies, on purpose: a migration must not change
when application code does. `flask reindex-search` rebuilds the rows with the current code.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_product_search"
down_revision = "0003_stock_ledger"
branch_labels = None
depends_on = None

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5("
    "product_id UNINDEXED, name, labels, description, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE TRIGGER IF NOT EXISTS product_search_forget_product AFTER DELETE ON products "
    "BEGIN DELETE FROM product_search WHERE rowid = old.id; END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS product_search_forget_product",
    "DROP TABLE IF EXISTS product_search",
)
POSTGRESQL_CREATE = (
    "CREATE TABLE IF NOT EXISTS product_search ("
    "product_id integer NOT NULL, "
    "document text NOT NULL, "
    "tsv tsvector NOT NULL, "
    "CONSTRAINT pk_product_search PRIMARY KEY (product_id), "
    "CONSTRAINT fk_product_search_product_id_products FOREIGN KEY (product_id) "
    "REFERENCES products (id) ON DELETE CASCADE)",
    "CREATE INDEX IF NOT EXISTS ix_product_search_tsv ON product_search USING gin (tsv)",
)
POSTGRESQL_DROP = ("DROP TABLE IF EXISTS product_search",)

PRODUCTS = sa.text(
    "SELECT p.id, p.name, p.description, v.name AS vendor_name, c.name AS category_name, "
    "c.name_en AS category_name_en "
    "FROM products p JOIN vendors v ON v.id = p.vendor_id "
    "JOIN categories c ON c.id = p.category_id"
)
SQLITE_INSERT = sa.text(
    "INSERT INTO product_search (rowid, product_id, name, labels, description) "
    "VALUES (:pid, :pid, :name, :labels, :description)"
)
POSTGRESQL_INSERT = sa.text(
    "INSERT INTO product_search (product_id, document, tsv) VALUES (:pid, "
    "concat_ws(' ', CAST(:name AS text), CAST(:labels AS text), CAST(:description AS text)), "
    "setweight(to_tsvector('simple'::regconfig, CAST(:name AS text)), 'A') "
    "|| setweight(to_tsvector('simple'::regconfig, CAST(:labels AS text)), 'B') "
    "|| setweight(to_tsvector('simple'::regconfig, CAST(:description AS text)), 'D'))"
)


def _plain(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fill(bind, insert):
    documents = [
        {
            "pid": row.id,
            "name": _plain(row.name),
            "labels": " ".join(
                _plain(part) for part in (row.vendor_name, row.category_name, row.category_name_en)
            ),
            "description": _plain(row.description),
        }
        for row in bind.execute(PRODUCTS)
    ]
    if documents:
        bind.execute(insert, documents)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_CREATE:
            op.execute(statement)
        _fill(bind, SQLITE_INSERT)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRESQL_CREATE:
            op.execute(statement)
        _fill(bind, POSTGRESQL_INSERT)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRESQL_DROP:
            op.execute(statement)
