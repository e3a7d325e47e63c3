"""Indonesian rules as the outlet meets them (issue 14): food types, animal-derived material and
the named non-halal ingredient on products; permit reminders sent once per threshold; "Bank
lain" and the holder confirmed at the first transfer; the search index's spelling helpers.

`products.permit_warned_for` goes: `permit_reminders` records each reminder instead.

After upgrading run `flask reindex-search`: the index now stores each word's canonical
spelling too ("kripik" -> "keripik"), which only a rebuild adds to existing rows.

Revision ID: 0013_indonesian_rules
Revises: 0012_one_way
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_indonesian_rules"
down_revision = "0012_one_way"
branch_labels = None
depends_on = None

# Written out, not imported: a migration states the schema as it was when it ran.
FOOD_TYPES = "food_type IN ('packaged', 'ready_to_eat', 'fresh')"
SQLITE_SEARCH_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS product_search_forget_product AFTER DELETE ON products "
    "BEGIN DELETE FROM product_search WHERE rowid = old.id; END"
)
SQLITE_VOCAB = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search_vocab "
    "USING fts5vocab(product_search, 'row')"
)
POSTGRESQL_WORDS = (
    "CREATE TABLE IF NOT EXISTS product_search_words (word text NOT NULL, "
    "CONSTRAINT pk_product_search_words PRIMARY KEY (word))",
    "CREATE INDEX IF NOT EXISTS ix_product_search_words_pattern ON product_search_words "
    "(word text_pattern_ops)",
)
TRIGRAM_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_product_search_document_trgm ON product_search "
    "USING gin (document gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_product_search_words_trgm ON product_search_words "
    "USING gin (word gin_trgm_ops)",
)


def _search_helpers_up():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Rebuilding `products` in batch mode dropped the search index's trigger.
        op.execute(SQLITE_SEARCH_TRIGGER)
        op.execute(SQLITE_VOCAB)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRESQL_WORDS:
            op.execute(statement)
        # pg_trgm where the database allows it; the search falls back without it.
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError:
            return
        for statement in TRIGRAM_INDEXES:
            op.execute(statement)


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "food_type", sa.String(length=20), nullable=False, server_default="packaged"
            )
        )
        batch_op.add_column(
            sa.Column(
                "non_halal_ingredient", sa.String(length=120), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("animal_derived", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(op.f("ck_products_food_type_known"), FOOD_TYPES)
        batch_op.drop_column("permit_warned_for")

    op.create_table(
        "permit_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "days_before > 0", name=op.f("ck_permit_reminders_days_before_positive")
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"],
            ["product_permits.id"],
            name=op.f("fk_permit_reminders_permit_id_product_permits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_reminders")),
        sa.UniqueConstraint(
            "permit_id", "expires_on", "days_before", name="uq_permit_reminders_once"
        ),
    )

    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_name", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("bank_holder_confirmed", sa.String(length=120), nullable=True)
        )
        batch_op.add_column(sa.Column("bank_holder_confirmed_on", sa.Date(), nullable=True))

    _search_helpers_up()


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS product_search_vocab")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_product_search_document_trgm")
        op.execute("DROP TABLE IF EXISTS product_search_words")

    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.drop_column("bank_holder_confirmed_on")
        batch_op.drop_column("bank_holder_confirmed")
        batch_op.drop_column("bank_name")

    op.drop_table("permit_reminders")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permit_warned_for", sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f("ck_products_food_type_known"), type_="check")
        batch_op.drop_column("animal_derived")
        batch_op.drop_column("non_halal_ingredient")
        batch_op.drop_column("food_type")
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_SEARCH_TRIGGER)
