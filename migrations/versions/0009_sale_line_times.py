"""the sale time on sale lines, so a vendor's settlement period reads only its own lines

Revision ID: 0009_sale_line_times
Revises: 0008_settlements
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_sale_line_times"
down_revision = "0008_settlements"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sold_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))

    # Data: existing lines take their order's payment time and their sale's ring-up time.
    op.execute(
        "UPDATE order_lines SET paid_at = "
        "(SELECT orders.paid_at FROM orders WHERE orders.id = order_lines.order_id)"
    )
    op.execute(
        "UPDATE counter_sale_lines SET sold_at = "
        "(SELECT counter_sales.created_at FROM counter_sales "
        "WHERE counter_sales.id = counter_sale_lines.sale_id)"
    )

    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counter_sale_lines_vendor_sold", ["vendor_id", "sold_at"], unique=False
        )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_vendor_paid", ["vendor_id", "paid_at"], unique=False)
    with op.batch_alter_table("counter_sales", schema=None) as batch_op:
        batch_op.create_index("ix_counter_sales_status", ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("counter_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_sales_status")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_vendor_paid")
        batch_op.drop_column("paid_at")
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_sale_lines_vendor_sold")
        batch_op.drop_column("sold_at")
