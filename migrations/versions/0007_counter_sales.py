"""counter shifts, counter sales with their lines and payments; the cashier role

Revision ID: 0007_counter_sales
Revises: 0006_orders
Create Date: 2026-11-23 20:34:56.238661

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_counter_sales"
down_revision = "0006_orders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("counted_cash", sa.BigInteger(), nullable=True),
        sa.Column("expected_cash", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_shifts_status_known")),
        sa.CheckConstraint(
            "counted_cash IS NULL OR counted_cash >= 0", name=op.f("ck_shifts_count_not_negative")
        ),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_shifts_float_not_negative")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_shifts_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_shifts_opened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_opened_at", ["opened_at"], unique=False)
        batch_op.create_index(
            "uq_shifts_one_open_per_person",
            ["opened_by_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "counter_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(status = 'voided') = (voided_at IS NOT NULL)",
            name=op.f("ck_counter_sales_voided_when_void_recorded"),
        ),
        sa.CheckConstraint(
            "status IN ('completed', 'voided')", name=op.f("ck_counter_sales_status_known")
        ),
        sa.CheckConstraint(
            "subtotal > 0 AND total = subtotal", name=op.f("ck_counter_sales_amounts_valid")
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"], ["users.id"], name=op.f("fk_counter_sales_cashier_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_counter_sales_shift_id_shifts")
        ),
        sa.ForeignKeyConstraint(
            ["void_approved_by_id"],
            ["users.id"],
            name=op.f("fk_counter_sales_void_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["users.id"], name=op.f("fk_counter_sales_voided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_sales")),
        sa.UniqueConstraint("number", name=op.f("uq_counter_sales_number")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_counter_sales_submission_key")),
    )
    with op.batch_alter_table("counter_sales", schema=None) as batch_op:
        batch_op.create_index("ix_counter_sales_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_counter_sales_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "counter_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tendered", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "method = 'cash' OR change = 0", name=op.f("ck_counter_payments_change_only_in_cash")
        ),
        sa.CheckConstraint(
            "method IN ('cash', 'qris', 'debit')", name=op.f("ck_counter_payments_method_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_counter_payments_amount_positive")),
        sa.CheckConstraint(
            "change >= 0 AND tendered = amount + change",
            name=op.f("ck_counter_payments_change_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["counter_sales.id"],
            name=op.f("fk_counter_payments_sale_id_counter_sales"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_payments")),
    )
    with op.batch_alter_table("counter_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counter_payments_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "counter_sale_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=120), nullable=False),
        sa.Column("product_code", sa.String(length=32), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("vendor_share", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "commission + vendor_share = gross", name=op.f("ck_counter_sale_lines_split_adds_up")
        ),
        sa.CheckConstraint(
            "gross = unit_price * quantity", name=op.f("ck_counter_sale_lines_gross_adds_up")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_counter_sale_lines_quantity_positive")),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_counter_sale_lines_price_positive")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_counter_sale_lines_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["counter_sales.id"],
            name=op.f("fk_counter_sale_lines_sale_id_counter_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_counter_sale_lines_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_sale_lines")),
    )
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_sale_lines_sale_id"), ["sale_id"], unique=False
        )
        batch_op.create_index(
            "ix_counter_sale_lines_vendor", ["vendor_id", "sale_id"], unique=False
        )

    # Counter staff get a role of their own: the counter, nothing else of the manager pages.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(
            "role_known", "role IN ('shopper', 'vendor', 'manager', 'admin', 'cashier')"
        )


def downgrade():
    # Without the role a cashier account is an ordinary account; it keeps its history.
    op.execute("UPDATE users SET role = 'shopper' WHERE role = 'cashier'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(
            "role_known", "role IN ('shopper', 'vendor', 'manager', 'admin')"
        )
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_sale_lines_vendor")
        batch_op.drop_index(batch_op.f("ix_counter_sale_lines_sale_id"))

    op.drop_table("counter_sale_lines")
    with op.batch_alter_table("counter_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_payments_sale_id"))

    op.drop_table("counter_payments")
    with op.batch_alter_table("counter_sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_sales_shift_id"))
        batch_op.drop_index("ix_counter_sales_created")

    op.drop_table("counter_sales")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("uq_shifts_one_open_per_person")
        batch_op.drop_index("ix_shifts_opened_at")

    op.drop_table("shifts")
