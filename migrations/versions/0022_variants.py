"""variants: options (Ukuran, Warna) and variants per product, stock and sales per variant

Every existing product gets one variant without options and without its own code, and every
batch, stock level, movement, hold, cart item, sale line and statement line points at it: the
shop, the till and the statements look exactly as before.

Revision ID: 0022_variants
Revises: 0021_marketing
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_variants"
down_revision = "0021_marketing"
branch_labels = None
depends_on = None

MAX_AMOUNT = 1_000_000_000

# Tables that get a NOT NULL variant_id, filled from their product's one variant.
VARIANT_TABLES = (
    "batches",
    "stock_levels",
    "stock_movements",
    "reservation_lines",
    "cart_items",
    "order_lines",
    "counter_sale_lines",
    "settlement_lines",
)
LABELLED_TABLES = ("order_lines", "counter_sale_lines", "settlement_lines")


def upgrade():
    op.add_column("products", sa.Column("size_guide", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "product_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_options_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_options")),
        sa.UniqueConstraint("product_id", "name", name="uq_product_options_name"),
    )
    op.create_index(
        op.f("ix_product_options_product_id"), "product_options", ["product_id"], unique=False
    )
    op.create_table(
        "product_option_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["product_options.id"],
            name=op.f("fk_product_option_values_option_id_product_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_option_values")),
        sa.UniqueConstraint("option_id", "value", name="uq_product_option_values_value"),
    )
    op.create_index(
        op.f("ix_product_option_values_option_id"),
        "product_option_values",
        ["option_id"],
        unique=False,
    )
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("price_delta", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("review", sa.String(length=10), server_default="approved", nullable=False),
        sa.CheckConstraint(
            "review IN ('approved', 'pending', 'rejected')",
            name=op.f("ck_product_variants_review_known"),
        ),
        sa.CheckConstraint(
            f"price_delta > -{MAX_AMOUNT}", name=op.f("ck_product_variants_price_delta_in_range")
        ),
        sa.CheckConstraint(
            f"price_delta < {MAX_AMOUNT}", name=op.f("ck_product_variants_price_delta_below_max")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_variants_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("sku", name=op.f("uq_product_variants_sku")),
    )
    op.create_index(
        "ix_product_variants_product", "product_variants", ["product_id", "active"], unique=False
    )
    op.create_table(
        "product_variant_values",
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_product_variant_values_variant_id_product_variants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["product_option_values.id"],
            name=op.f("fk_product_variant_values_value_id_product_option_values"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variant_id", "value_id", name=op.f("pk_product_variant_values")),
    )
    op.create_index(
        op.f("ix_product_variant_values_value_id"),
        "product_variant_values",
        ["value_id"],
        unique=False,
    )

    # Each product as it is today: one variant, no options, no own code.
    op.execute(
        "INSERT INTO product_variants (product_id, sku, label, price_delta, position, active,"
        " review) SELECT id, NULL, '', 0, 0, TRUE, 'approved' FROM products"
    )

    with op.batch_alter_table("product_photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_product_photos_variant_id"), ["variant_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_product_photos_variant_id_product_variants"),
            "product_variants",
            ["variant_id"],
            ["id"],
            ondelete="SET NULL",
        )

    for table in VARIANT_TABLES:
        op.add_column(table, sa.Column("variant_id", sa.Integer(), nullable=True))
        if table in LABELLED_TABLES:
            op.add_column(
                table,
                sa.Column(
                    "variant_label", sa.String(length=120), server_default="", nullable=False
                ),
            )
        op.execute(
            f"UPDATE {table} SET variant_id = (SELECT v.id FROM product_variants v"
            f" WHERE v.product_id = {table}.product_id)"
        )
        ondelete = "CASCADE" if table == "cart_items" else None
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("variant_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_variant_id_product_variants"),
                "product_variants",
                ["variant_id"],
                ["id"],
                ondelete=ondelete,
            )
            if table == "cart_items":
                batch_op.drop_constraint("one_line_per_product", type_="unique")
                batch_op.create_unique_constraint("one_line_per_variant", ["user_id", "variant_id"])
            if table == "settlement_lines":
                batch_op.drop_constraint("uq_settlement_lines_product", type_="unique")
                batch_op.create_unique_constraint(
                    "uq_settlement_lines_variant", ["settlement_id", "variant_id"]
                )
            if table == "batches":
                batch_op.create_index(
                    "ix_batches_variant_expiry", ["variant_id", "expires_on"], unique=False
                )
            if table == "stock_levels":
                batch_op.create_index(
                    "ix_stock_levels_variant", ["variant_id", "on_hand"], unique=False
                )


def downgrade():
    for table in reversed(VARIANT_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "stock_levels":
                batch_op.drop_index("ix_stock_levels_variant")
            if table == "batches":
                batch_op.drop_index("ix_batches_variant_expiry")
            if table == "settlement_lines":
                batch_op.drop_constraint("uq_settlement_lines_variant", type_="unique")
                batch_op.create_unique_constraint(
                    "uq_settlement_lines_product", ["settlement_id", "product_id"]
                )
            if table == "cart_items":
                batch_op.drop_constraint("one_line_per_variant", type_="unique")
                batch_op.create_unique_constraint("one_line_per_product", ["user_id", "product_id"])
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_variant_id_product_variants"), type_="foreignkey"
            )
            batch_op.drop_column("variant_id")
            if table in LABELLED_TABLES:
                batch_op.drop_column("variant_label")
    with op.batch_alter_table("product_photos", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_product_photos_variant_id_product_variants"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_product_photos_variant_id"))
        batch_op.drop_column("variant_id")
    op.drop_index(op.f("ix_product_variant_values_value_id"), table_name="product_variant_values")
    op.drop_table("product_variant_values")
    op.drop_index("ix_product_variants_product", table_name="product_variants")
    op.drop_table("product_variants")
    op.drop_index(op.f("ix_product_option_values_option_id"), table_name="product_option_values")
    op.drop_table("product_option_values")
    op.drop_index(op.f("ix_product_options_product_id"), table_name="product_options")
    op.drop_table("product_options")
    op.drop_column("products", "size_guide")
