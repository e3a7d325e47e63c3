"""Fixtures shared by integration test modules."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from tests.conftest import empty_tables, make_app
from tests.integration.busy_demo import build_busy_demo


@pytest.fixture(scope="module")
def busy_shop(database_url, _schema, tmp_path_factory):
    """(app, BusyDemo): the demo after a day of trade, seeded once for the whole module (the
    standard `app` fixture empties the tables for every test)."""
    # Nine accounts sign in from one address within seconds; the login limits have their own
    # tests (test_accounts.py).
    app = make_app(database_url, tmp_path_factory.mktemp("busy"), RATELIMIT_ENABLED=False)
    with app.app_context():
        empty_tables()
    with app.test_request_context():  # emails sent along the way build links
        demo = build_busy_demo()
        db.session.remove()
    yield app, demo
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
