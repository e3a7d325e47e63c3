"""shelf prices: a vendor's price change takes effect from a date (products.next_price and
next_price_from, price_changes.effective_on), near-expiry markdowns per batch, and the
discount each sale line gave (order_lines and counter_sale_lines: discount, vendor_discount)

Revision ID: 0016_shelf_prices
Revises: 0015_refunds_voids_pickups
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_shelf_prices"
down_revision = "0015_refunds_voids_pickups"
branch_labels = None
depends_on = None

SALE_LINE_TABLES = ("order_lines", "counter_sale_lines")
# Written out, not imported: a migration states the schema as it was when it ran.
SQLITE_SEARCH_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS product_search_forget_product AFTER DELETE ON products "
    "BEGIN DELETE FROM product_search WHERE rowid = old.id; END"
)


def _search_trigger_back():
    """Rebuilding `products` in batch mode (SQLite) drops the search index's trigger."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_SEARCH_TRIGGER)


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("next_price_from", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            "next_price_valid",
            "next_price IS NULL OR (next_price > 0 AND next_price <= 1000000000)",
        )
        batch_op.create_check_constraint(
            "next_price_has_date", "(next_price IS NULL) = (next_price_from IS NULL)"
        )
    _search_trigger_back()
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_price_changes_effective_on"), ["effective_on"], unique=False
        )
    for table in SALE_LINE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.add_column(
                sa.Column("vendor_discount", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.create_check_constraint(
                "discount_valid",
                "discount >= 0 AND vendor_discount >= 0 AND vendor_discount <= discount",
            )
    op.create_table(
        "markdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("bearer", sa.String(length=10), nullable=False),
        sa.Column("vendor_part_bp", sa.Integer(), nullable=False),
        sa.Column("agreed_by", sa.String(length=120), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_via", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "bearer IN ('vendor', 'outlet', 'split')", name=op.f("ck_markdowns_bearer_known")
        ),
        sa.CheckConstraint(
            "agreed_via IN ('whatsapp', 'phone', 'in_person')",
            name=op.f("ck_markdowns_agreed_via_known"),
        ),
        sa.CheckConstraint(
            "percent_bp > 0 AND percent_bp < 10000", name=op.f("ck_markdowns_percent_valid")
        ),
        sa.CheckConstraint(
            "vendor_part_bp >= 0 AND vendor_part_bp <= 10000",
            name=op.f("ck_markdowns_vendor_part_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_markdowns_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_markdowns_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markdowns")),
    )
    with op.batch_alter_table("markdowns", schema=None) as batch_op:
        batch_op.create_index("ix_markdowns_batch_ended", ["batch_id", "ended_at"], unique=False)


def downgrade():
    with op.batch_alter_table("markdowns", schema=None) as batch_op:
        batch_op.drop_index("ix_markdowns_batch_ended")
    op.drop_table("markdowns")
    for table in SALE_LINE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_discount_valid"), type_="check")
            batch_op.drop_column("vendor_discount")
            batch_op.drop_column("discount")
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_changes_effective_on"))
        batch_op.drop_column("effective_on")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_next_price_has_date"), type_="check")
        batch_op.drop_constraint(op.f("ck_products_next_price_valid"), type_="check")
        batch_op.drop_column("next_price_from")
        batch_op.drop_column("next_price")
    _search_trigger_back()
