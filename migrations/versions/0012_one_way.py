"""one way to do each thing: status history for stock counts, shifts and counter sales; one
name for the moment a sale line counts (order_lines.paid_at -> sold_at, as on counter lines);
settlement history's status columns as wide as every other history table's

Counts, shifts and counter sales now change state through `states.move`, which writes a history
row like orders, vendors, products and statements do. Rows that moved before this migration
get the row their own columns already record: a posted count (who, when, the reason), a closed
shift (who, when, the note) and a voided sale (who, when, the reason). A cancelled count kept no
time or person, so it has none (its audit entry tells).

Revision ID: 0012_one_way
Revises: 0011_account_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_one_way"
down_revision = "0011_account_security"
branch_labels = None
depends_on = None

HISTORIES = (
    # table, key column, the table it points at
    ("stock_count_status_changes", "count_id", "stock_counts"),
    ("shift_status_changes", "shift_id", "shifts"),
    ("counter_sale_status_changes", "sale_id", "counter_sales"),
)

BACKFILL = (
    "INSERT INTO stock_count_status_changes "
    "(count_id, from_status, to_status, actor_id, comment, created_at) "
    "SELECT id, 'open', 'posted', posted_by_id, reason, posted_at FROM stock_counts "
    "WHERE status = 'posted' AND posted_at IS NOT NULL",
    "INSERT INTO shift_status_changes "
    "(shift_id, from_status, to_status, actor_id, comment, created_at) "
    "SELECT id, 'open', 'closed', closed_by_id, note, closed_at FROM shifts "
    "WHERE status = 'closed' AND closed_at IS NOT NULL",
    "INSERT INTO counter_sale_status_changes "
    "(sale_id, from_status, to_status, actor_id, comment, created_at) "
    "SELECT id, 'completed', 'voided', voided_by_id, void_reason, voided_at FROM counter_sales "
    "WHERE status = 'voided' AND voided_at IS NOT NULL",
)


def upgrade():
    for table, key, parent in HISTORIES:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column("from_status", sa.String(length=20), nullable=False),
            sa.Column("to_status", sa.String(length=20), nullable=False),
            sa.Column("actor_id", sa.Integer(), nullable=True),
            sa.Column("comment", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["actor_id"], ["users.id"], name=op.f(f"fk_{table}_actor_id_users")
            ),
            sa.ForeignKeyConstraint([key], [f"{parent}.id"], name=op.f(f"fk_{table}_{key}_{parent}")),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{key}"), [key], unique=False)
    for statement in BACKFILL:
        op.execute(statement)

    # Both sale-line tables call the moment a sale counts `sold_at` (catalog/sale_lines.py).
    # RENAME COLUMN keeps the data and works on PostgreSQL and SQLite (3.25+).
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_vendor_paid")
    op.execute("ALTER TABLE order_lines RENAME COLUMN paid_at TO sold_at")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_vendor_sold", ["vendor_id", "sold_at"], unique=False)

    with op.batch_alter_table("settlement_status_changes", schema=None) as batch_op:
        for column in ("from_status", "to_status"):
            batch_op.alter_column(
                column, existing_type=sa.String(length=10), type_=sa.String(length=20)
            )


def downgrade():
    with op.batch_alter_table("settlement_status_changes", schema=None) as batch_op:
        for column in ("from_status", "to_status"):
            batch_op.alter_column(
                column, existing_type=sa.String(length=20), type_=sa.String(length=10)
            )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_vendor_sold")
    op.execute("ALTER TABLE order_lines RENAME COLUMN sold_at TO paid_at")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_vendor_paid", ["vendor_id", "paid_at"], unique=False)

    for table, key, _parent in reversed(HISTORIES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{key}"))
        op.drop_table(table)
