"""visibility index: what decides whether a product is on sale, readable by its id alone

A search at 100,000 products joins thousands of matches to their products to count and rank
the ones on sale; with this covering index the database reads those few columns from the index
instead of each product's whole row (the count went from 1.4 to 0.7 ms, docs/performance.md).

Revision ID: 0023_visibility_index
Revises: 0022_variants
"""

from alembic import op

revision = "0023_visibility_index"
down_revision = "0022_variants"
branch_labels = None
depends_on = None

COLUMNS = ["id", "status", "hidden", "permits_complete", "permits_valid_until", "vendor_id"]


def upgrade():
    op.create_index("ix_products_visibility", "products", COLUMNS)


def downgrade():
    op.drop_index("ix_products_visibility", table_name="products")
