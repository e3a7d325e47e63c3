"""marketing: what each shared link brought, per product (visits, add-to-carts, orders) and
per vendor page (visits), per day, source and campaign — no personal data

The marketing kit's share images and posters need no table: they are made on demand and kept
on disk under a name made from what they show.

Revision ID: 0021_marketing
Revises: 0020_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_marketing"
down_revision = "0020_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "link_daily_counts",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.String(length=40), nullable=False),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("add_to_carts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_link_daily_counts_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "day", "source", "campaign", name=op.f("pk_link_daily_counts")
        ),
    )
    op.create_table(
        "vendor_link_daily_counts",
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.String(length=40), nullable=False),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_vendor_link_daily_counts_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "vendor_id", "day", "source", "campaign", name=op.f("pk_vendor_link_daily_counts")
        ),
    )


def downgrade():
    op.drop_table("vendor_link_daily_counts")
    op.drop_table("link_daily_counts")
