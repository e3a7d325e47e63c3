"""books: advances against an open period, payment differences carried forward, compensation for
goods lost in the outlet's care, final statements; the guard on closed statements covers the
new figures

Revision ID: 0019_books
Revises: 0018_gateway
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_books"
down_revision = "0018_gateway"
branch_labels = None
depends_on = None

# The guards on closed statements, copied (not imported) so this migration keeps doing what it
# did when the models change. SQLite's batch mode rebuilds `settlements`, which drops its trigger
# and trips over the lines' triggers that name it: all three are dropped first and made again.
_MESSAGE = "a closed settlement cannot change"
_OLD = (
    "period_start, period_end, vendor_id, gross_online, gross_counter, refunds, commission, "
    "vendor_share, carried_in, net_payable, carried_out, minimum_payout"
)
_NEW = _OLD + ", compensation, advances, difference_in, final"


def _sqlite_guards(frozen: str) -> list[str]:
    return [
        f"""CREATE TRIGGER settlements_frozen BEFORE UPDATE OF {frozen} ON settlements
        WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
        f"""CREATE TRIGGER settlement_lines_frozen_insert BEFORE INSERT ON settlement_lines
        WHEN (SELECT status FROM settlements WHERE id = NEW.settlement_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",  # noqa: S608 (constants only)
        f"""CREATE TRIGGER settlement_lines_frozen_update BEFORE UPDATE ON settlement_lines
        WHEN (SELECT status FROM settlements WHERE id = OLD.settlement_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",  # noqa: S608 (constants only)
    ]


_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS settlements_frozen",
    "DROP TRIGGER IF EXISTS settlement_lines_frozen_insert",
    "DROP TRIGGER IF EXISTS settlement_lines_frozen_update",
]


def _postgres_function(frozen: str) -> str:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen.split(", "))
    return f"""CREATE OR REPLACE FUNCTION settlements_frozen() RETURNS trigger AS $$
    BEGIN
      IF OLD.status <> 'draft' AND ({changed}) THEN
        RAISE EXCEPTION '{_MESSAGE}';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql"""


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_DROP:
            op.execute(statement)

    with op.batch_alter_table("settlements", schema=None) as batch_op:
        for name in ("compensation", "advances", "difference_in"):
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
        batch_op.add_column(
            sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("payment_difference", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("difference_carried_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_settlements_difference_carried_to_id_settlements"),
            "settlements",
            ["difference_carried_to_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_settlements_payout_adds_up"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_settlements_payout_adds_up"),
            "net_payable + carried_out + advances"
            " = vendor_share + compensation + carried_in + difference_in",
        )
    # Payments recorded before: what they left unpaid or overpaid had been lost; it counts now
    # and lands on the next statement to close.
    op.execute(
        "UPDATE settlements SET payment_difference = net_payable - paid_amount "
        "WHERE paid_amount IS NOT NULL"
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        for name in ("compensation", "advances", "difference_in", "final"):
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("compensated", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("compensation", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.alter_column("compensated", server_default=None)
        batch_op.alter_column("compensation", server_default=None)

    op.create_table(
        "settlement_advances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_settlement_advances_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_settlement_advances_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_settlement_advances_settlement_id_settlements"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_settlement_advances_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_advances")),
    )
    with op.batch_alter_table("settlement_advances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_advances_settlement_id"), ["settlement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_settlement_advances_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "stock_losses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("compensation", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "responsible IN ('outlet', 'vendor')", name=op.f("ck_stock_losses_responsible_known")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_losses_quantity_positive")),
        sa.CheckConstraint(
            "compensation >= 0", name=op.f("ck_stock_losses_compensation_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_stock_losses_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["stock_movements.id"],
            name=op.f("fk_stock_losses_movement_id_stock_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_losses_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_stock_losses_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_losses")),
        sa.UniqueConstraint("movement_id", name=op.f("uq_stock_losses_movement_id")),
    )
    with op.batch_alter_table("stock_losses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_losses_vendor_created", ["vendor_id", "created_at"], unique=False
        )

    if dialect == "sqlite":
        for statement in _sqlite_guards(_NEW):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(_postgres_function(_NEW))


def downgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("stock_losses", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_losses_vendor_created")
    op.drop_table("stock_losses")
    with op.batch_alter_table("settlement_advances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_advances_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_advances_settlement_id"))
    op.drop_table("settlement_advances")

    if dialect == "sqlite":
        for statement in _SQLITE_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(_postgres_function(_OLD))
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.drop_column("compensation")
        batch_op.drop_column("compensated")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_settlements_payout_adds_up"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_settlements_payout_adds_up"),
            "net_payable + carried_out = vendor_share + carried_in",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_settlements_difference_carried_to_id_settlements"), type_="foreignkey"
        )
        for name in (
            "difference_carried_to_id",
            "payment_difference",
            "final",
            "difference_in",
            "advances",
            "compensation",
        ):
            batch_op.drop_column(name)
    if dialect == "sqlite":
        for statement in _sqlite_guards(_OLD):
            op.execute(statement)
