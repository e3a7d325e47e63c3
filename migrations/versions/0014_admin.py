"""admin: manager notifications with read marks per person, daily view and add-to-cart counts
per product (no personal data), and indexes for the dashboard's and reports' sales by time

Shop settings need no schema change: the typed registry validates the same text values, and
`settings_version` is one more row, written on the first save.

Revision ID: 0014_admin
Revises: 0013_indonesian_rules
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_admin"
down_revision = "0013_indonesian_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "manager_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_notifications")),
    )
    with op.batch_alter_table("manager_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manager_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_manager_notifications_subject", ["subject_type", "subject_id"], unique=False
        )
    op.create_table(
        "manager_notification_reads",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["manager_notifications.id"],
            name=op.f("fk_manager_notification_reads_notification_id_manager_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_manager_notification_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "notification_id", "user_id", name=op.f("pk_manager_notification_reads")
        ),
    )
    op.create_table(
        "product_daily_counts",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), server_default="0", nullable=False),
        sa.Column("add_to_carts", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_daily_counts_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "day", name=op.f("pk_product_daily_counts")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_sold", ["sold_at"], unique=False)
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.create_index("ix_counter_sale_lines_sold", ["sold_at"], unique=False)


def downgrade():
    with op.batch_alter_table("counter_sale_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_sale_lines_sold")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_sold")
    op.drop_table("product_daily_counts")
    op.drop_table("manager_notification_reads")
    with op.batch_alter_table("manager_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_manager_notifications_subject")
        batch_op.drop_index(batch_op.f("ix_manager_notifications_created_at"))
    op.drop_table("manager_notifications")
