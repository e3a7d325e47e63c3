"""refunds confirmed before they count, by bank transfer too, each line with the commission it
gives back; counter payments for online pickup orders handed over at the till

- refunds.confirmed_at: cash refunds (and card refunds Stripe answered) get their creation time;
  a card refund still waiting for Stripe stays empty and counts in no statement until confirmed.
- refunds.transfer_*: the shopper's account of a bank-transfer refund (the number encrypted).
- refund_lines.commission: filled for past refunds with the rule that now fixes it at the
  refund (catalog.commission.refund_commission): the commission of the units refunded so far,
  never more than the line was charged. Closed statements keep their frozen figures.
- pickup_payments: money a cashier took at the hand-over of an online pickup order, in the
  open shift, so the drawer count expects it.

Revision ID: 0015_refunds_voids_pickups
Revises: 0014_admin
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0015_refunds_voids_pickups"
down_revision = "0014_admin"
branch_labels = None
depends_on = None

BASIS_POINTS = 10_000


def _commission(gross: int, rate_bp: int) -> int:
    # money.commission_split's half-up rounding, copied: a migration must not change when the
    # app's code does.
    return (gross * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS


def _backfill_refund_commission() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT rl.id, rl.quantity, ol.id, ol.quantity, ol.unit_price, ol.commission, "
            "ol.commission_bp FROM refund_lines rl "
            "JOIN refunds r ON r.id = rl.refund_id "
            "JOIN order_lines ol ON ol.id = rl.order_line_id "
            "ORDER BY r.created_at, rl.id"
        )
    ).all()
    refunded: dict[int, int] = defaultdict(int)
    for rl_id, quantity, ol_id, ol_quantity, unit_price, commission, rate in rows:

        def given_back(units, ol_quantity=ol_quantity, unit_price=unit_price):
            if units >= ol_quantity:
                return commission
            return min(_commission(unit_price * units, rate), commission)

        before = refunded[ol_id]
        refunded[ol_id] = before + quantity
        bind.execute(
            sa.text("UPDATE refund_lines SET commission = :c WHERE id = :id"),
            {"c": given_back(before + quantity) - given_back(before), "id": rl_id},
        )


def upgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("transfer_bank_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("transfer_bank_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("transfer_account", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("transfer_holder", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "transfer_reference", sa.String(length=120), server_default="", nullable=False
            )
        )
        batch_op.drop_constraint(op.f("ck_refunds_method_known"), type_="check")
        batch_op.create_check_constraint(
            "method_known", "method IN ('stripe', 'cash', 'transfer')"
        )
        batch_op.create_check_constraint(
            "transfer_has_account",
            "method <> 'transfer' OR (transfer_account IS NOT NULL AND transfer_reference <> '')",
        )
        batch_op.create_index("ix_refunds_confirmed", ["confirmed_at"], unique=False)
    op.execute(
        "UPDATE refunds SET confirmed_at = created_at "
        "WHERE method <> 'stripe' OR provider_reference IS NOT NULL"
    )
    with op.batch_alter_table("refund_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("commission", sa.BigInteger(), server_default="0", nullable=False)
        )
    _backfill_refund_commission()
    with op.batch_alter_table("refund_lines", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "commission_within", "commission <= amount"
        )
    op.create_table(
        "pickup_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tendered", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('cash', 'qris', 'debit')", name=op.f("ck_pickup_payments_method_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pickup_payments_amount_positive")),
        sa.CheckConstraint(
            "change >= 0 AND tendered = amount + change",
            name=op.f("ck_pickup_payments_change_adds_up"),
        ),
        sa.CheckConstraint(
            "method = 'cash' OR change = 0", name=op.f("ck_pickup_payments_change_only_in_cash")
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"], ["users.id"], name=op.f("fk_pickup_payments_cashier_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_pickup_payments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_pickup_payments_shift_id_shifts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_payments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_pickup_payments_order_id")),
    )
    with op.batch_alter_table("pickup_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pickup_payments_shift_id"), ["shift_id"], unique=False
        )


def downgrade():
    op.drop_table("pickup_payments")
    with op.batch_alter_table("refund_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refund_lines_commission_within"), type_="check")
        batch_op.drop_column("commission")
    if op.get_bind().scalar(sa.text("SELECT count(*) FROM refunds WHERE method = 'transfer'")):
        # Money given back by transfer cannot be expressed in the old schema: keep it.
        raise RuntimeError("bank-transfer refunds exist; the downgrade would lose them")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_confirmed")
        batch_op.drop_constraint(op.f("ck_refunds_transfer_has_account"), type_="check")
        batch_op.drop_constraint(op.f("ck_refunds_method_known"), type_="check")
        batch_op.create_check_constraint("method_known", "method IN ('stripe', 'cash')")
        for column in (
            "transfer_reference",
            "transfer_holder",
            "transfer_account",
            "transfer_bank_name",
            "transfer_bank_code",
            "confirmed_at",
        ):
            batch_op.drop_column(column)
