"""gateway: QRIS, e-wallet and virtual-account payments through the local payment gateway
(one row per payment, for an order or a counter sale), and "gateway" as an order's way to pay
and as a way a refund goes back

Revision ID: 0018_gateway
Revises: 0017_incubator
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_gateway"
down_revision = "0017_incubator"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_payment_method_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_orders_payment_method_known"),
            "payment_method IN ('outlet', 'stripe', 'gateway')",
        )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refunds_method_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_refunds_method_known"), "method IN ('stripe', 'cash', 'transfer', 'gateway')"
        )
    op.create_table(
        "gateway_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("counter_sale_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=True),
        sa.Column("qr_string", sa.Text(), nullable=False),
        sa.Column("deeplink_url", sa.Text(), nullable=False),
        sa.Column("va_number", sa.String(length=64), nullable=False),
        sa.Column("biller_code", sa.String(length=20), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("fee", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_sale_id"],
            ["counter_sales.id"],
            name=op.f("fk_gateway_payments_counter_sale_id_counter_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_gateway_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_gateway_payments_reference")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_gateway_payments_transaction_id")),
    )
    with op.batch_alter_table("gateway_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_payments_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_gateway_payments_counter_sale_id"), ["counter_sale_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("gateway_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_payments_counter_sale_id"))
        batch_op.drop_index(batch_op.f("ix_gateway_payments_order_id"))
    op.drop_table("gateway_payments")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refunds_method_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_refunds_method_known"), "method IN ('stripe', 'cash', 'transfer')"
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_payment_method_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_orders_payment_method_known"), "payment_method IN ('outlet', 'stripe')"
        )
