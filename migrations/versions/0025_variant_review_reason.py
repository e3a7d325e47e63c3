"""variant review reason: why a manager rejected a size or colour, shown to its vendor

A nullable text column on product_variants; existing rejected variants have no reason (the
vendor's page shows them as rejected without one).

Revision ID: 0025_variant_review_reason
Revises: 0024_job_summary_message
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_variant_review_reason"
down_revision = "0024_job_summary_message"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product_variants") as batch_op:
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("product_variants") as batch_op:
        batch_op.drop_column("review_comment")
