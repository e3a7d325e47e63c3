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
# SQLite adds a CHECK by rebuilding `products`, which drops the search index's trigger
# (migration 0004; storefront/catalog/search_index.py): put it back after each rebuild.
SQLITE_SEARCH_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS product_search_forget_product AFTER DELETE ON products "
    "BEGIN DELETE FROM product_search WHERE rowid = old.id; END"
)


def _restore_search_trigger():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_SEARCH_TRIGGER)


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_products_price_at_most_max"), f"price <= {MAX_AMOUNT}"
        )
    _restore_search_trigger()
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_price_changes_new_price_at_most_max"), f"new_price <= {MAX_AMOUNT}"
        )


def downgrade():
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_price_changes_new_price_at_most_max"), type_="check")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_price_at_most_max"), type_="check")
    _restore_search_trigger()
