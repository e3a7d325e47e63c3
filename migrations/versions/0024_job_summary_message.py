"""job summary message: a job's last summary kept as its English source and values (JSON)

The messages page words each job's last run in the reader's language (Indonesian or English)
from this column; `summary` keeps the English text the log says. Rows from before have it
empty and show their `summary` as they did.

Revision ID: 0024_job_summary_message
Revises: 0023_visibility_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_job_summary_message"
down_revision = "0023_visibility_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(sa.Column("summary_message", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("summary_message")
