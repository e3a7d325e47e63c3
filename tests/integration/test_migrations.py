"""Migrations build the same schema as the models, from empty, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from storefront.catalog.search_index import alembic_include_name
from storefront.extensions import db
from tests.conftest import make_app


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_database_url, tmp_path):
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    # The search index lives outside the models (FTS5 / tsvector).
                    "include_name": alembic_include_name,
                },
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"

        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()
