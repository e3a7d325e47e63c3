"""account security: email verification, a session version, pending vendor owners, and one
live vendor per NIB instead of one vendor per NIB

Existing rows (docs/security.md, "Accounts: email verification"): outlet staff and accounts
already in a vendor's team count as verified (a manager or the vendor's owner vouched for them
and they work today); plain shoppers stay unverified and confirm when they first need it, so an
account someone registered with another person's address before this change gains nothing.

Revision ID: 0011_account_security
Revises: 0010_money_bounds
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011_account_security"
down_revision = "0010_money_bounds"
branch_labels = None
depends_on = None

LIVE = "status IN ('approved', 'suspended')"


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.get_bind().execute(
        sa.text(
            "UPDATE users SET email_verified_at = :now "
            "WHERE role <> 'shopper' OR id IN (SELECT user_id FROM vendor_members)"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        {"now": datetime.now(UTC)},
    )

    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_owner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_vendors_pending_owner_id_users"),
            "users",
            ["pending_owner_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_vendors_pending_owner_id"), ["pending_owner_id"], unique=False
        )
        batch_op.drop_constraint(batch_op.f("uq_vendors_nib"), type_="unique")
        batch_op.create_index(batch_op.f("ix_vendors_nib"), ["nib"], unique=False)
        batch_op.create_index(
            "uq_vendors_nib_live",
            ["nib"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade():
    # Refuses (unique violation) while two applications share a NIB: decide them first.
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.drop_index("uq_vendors_nib_live")
        batch_op.drop_index(batch_op.f("ix_vendors_nib"))
        batch_op.create_unique_constraint(batch_op.f("uq_vendors_nib"), ["nib"])
        batch_op.drop_index(batch_op.f("ix_vendors_pending_owner_id"))
        batch_op.drop_constraint(batch_op.f("fk_vendors_pending_owner_id_users"), type_="foreignkey")
        batch_op.drop_column("pending_owner_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.drop_column("email_verified_at")
