"""indexes for newest-first catalogue listings

Revision ID: 0005_listing_indexes
Revises: 0004_product_search
"""

from alembic import op

revision = "0005_listing_indexes"
down_revision = "0004_product_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_products_status_created", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_products_category_created", ["category_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_category_created")
        batch_op.drop_index("ix_products_status_created")
