"""prices are at most Rp1.000.000.000 (storefront.money.MAX_AMOUNT), checked by the database

Revision ID: 0010_money_bounds
Revises: 0009_sale_line_times
"""

from alembic import op

revision = "0010_money_bounds"
down_revision = "0009_sale_line_times"
branch_labels = None
depends_on = None

# Written out, not imported: a migration states the rule as it was when it ran.
MAX_AMOUNT = 1_000_000_000


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_products_price_at_most_max"), f"price <= {MAX_AMOUNT}"
        )
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_price_changes_new_price_at_most_max"), f"new_price <= {MAX_AMOUNT}"
        )


def downgrade():
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_price_changes_new_price_at_most_max"), type_="check")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_price_at_most_max"), type_="check")
