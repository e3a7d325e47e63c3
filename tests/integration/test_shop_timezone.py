"""The shop's days follow the `TIMEZONE` setting, not a zone written into the code: an outlet in
Jayapura (WIT, UTC+9) closes its books at its own midnight and prints its own zone's name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storefront.dates import datetime_text
from storefront.extensions import db
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.test_settlements import counter_sale, intake, paid_order


@pytest.fixture
def app_config(monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Asia/Jayapura")
    return {}


def wit(text: str) -> datetime:
    return datetime.fromisoformat(text + "+09:00").astimezone(UTC)


def test_settlement_periods_end_at_midnight_in_the_configured_zone(app, ctx):
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Jayapura"
    cashier = UserFactory(role="manager")
    product = ProductFactory(
        vendor=VendorFactory(), category=CategoryFactory(commission_bp=None), price=10_000
    )
    intake(product, 10, wit("2026-10-01 08:00"))
    # 1 November 00:30 in Jayapura is 31 October 22:30 in Jakarta: a November sale here.
    paid_order([(product, 1)], wit("2026-11-01 00:30"))
    counter_sale(cashier, [(product, 2)], wit("2026-11-01 00:45"))
    # 31 October 23:30 in Jayapura: still October.
    counter_sale(cashier, [(product, 3)], wit("2026-10-31 23:30"))

    settlements.generate_month(2026, 10, actor=cashier)
    settlements.generate_month(2026, 11, actor=cashier)
    db.session.commit()
    october, november = db.session.scalars(
        select(Settlement).order_by(Settlement.period_start)
    ).all()

    assert (october.gross_online, october.gross_counter) == (0, 30_000)
    assert (november.gross_online, november.gross_counter) == (10_000, 20_000)
    first, second = october.lines[0], november.lines[0]
    assert (first.sold_online, first.sold_counter, first.closing) == (0, 3, 7)
    assert (second.opening, second.sold_online, second.sold_counter) == (7, 1, 2)


def test_times_are_shown_with_the_configured_zones_name(app):
    with app.test_request_context():
        shown = datetime_text(datetime(2026, 11, 1, 0, 30, tzinfo=UTC), "short")
    assert shown.endswith(" 09.30 WIT"), shown
