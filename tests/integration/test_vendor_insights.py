"""Vendor insights: a vendor's own sales, stock and statements, and views and add-to-carts per
product counted without personal data, also for pages served from the page cache."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from storefront.catalog.interest import ProductDailyCount
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.orders import fulfilment
from storefront.orders.models import PaidWith
from tests.conftest import Client, act
from tests.factories import PASSWORD, ProductFactory
from tests.integration.order_helpers import manager, order_for
from tests.security.account_helpers import make_vendor
from tests.stock_helpers import receive


@pytest.fixture
def app_config():
    # The catalogue pages as production serves them to anonymous shoppers: from the cache.
    return {"CATALOG_CACHE_SECONDS": 60}


@pytest.fixture
def two_vendors(ctx):
    mine, _owner = make_vendor("owner@example.com", name="Dapur Nyai", slug="dapur-nyai")
    theirs, _other = make_vendor("other@example.com", name="Kopi Pak Darto", slug="kopi-pak-darto")
    sambal = ProductFactory(vendor=mine, name="Sambal Roa", price=30000)
    kopi = ProductFactory(vendor=theirs, name="Kopi Robusta Darto", price=45000)
    for product in (sambal, kopi):
        receive(product, 10)
    return sambal, kopi


def counts(product) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.get(ProductDailyCount, (product.id, today_wib()))
    return (row.views, row.add_to_carts) if row else (0, 0)


def test_the_counter_table_holds_no_personal_data():
    columns = {c.name for c in inspect(ProductDailyCount).columns}
    assert columns == {"product_id", "day", "views", "add_to_carts"}


def test_a_product_page_counts_one_view_per_beacon_even_from_the_cache(app, two_vendors):
    sambal, _kopi = two_vendors
    shopper = Client(app.test_client())
    first = shopper.get(f"/product/{sambal.slug}")
    cached = shopper.get(f"/product/{sambal.slug}")
    assert cached.headers.get("X-Page-Cache") == "hit"
    for page in (first, cached):
        assert f'data-seen-url="/product/{sambal.id}/seen"' in page.get_data(as_text=True)
        response = shopper.post(
            f"/product/{sambal.id}/seen", headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert response.status_code == 204
        assert "Set-Cookie" not in response.headers
    assert counts(sambal) == (2, 0)


def test_a_beacon_from_another_site_or_for_no_product_counts_nothing(app, two_vendors):
    sambal, _kopi = two_vendors
    shopper = Client(app.test_client())
    response = shopper.post(f"/product/{sambal.id}/seen", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert shopper.post("/product/999999/seen").status_code == 404
    assert counts(sambal) == (0, 0)


def test_adding_to_the_cart_is_counted(app, two_vendors):
    sambal, _kopi = two_vendors
    shopper = Client(app.test_client())
    shopper.post("/cart/add", data={"product_id": str(sambal.id), "quantity": "2"})
    shopper.post("/cart/add", data={"product_id": str(sambal.id), "quantity": "1"})
    assert counts(sambal) == (0, 2)


def test_a_vendor_sees_their_own_sales_views_and_stock_and_nothing_of_others(app, two_vendors):
    sambal, kopi = two_vendors
    staff = manager()
    for product in (sambal, kopi):
        order = order_for({product: 2})
        act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=staff)
    shopper = Client(app.test_client())
    shopper.post(f"/product/{sambal.id}/seen", headers={"Sec-Fetch-Site": "same-origin"})

    owner = Client(app.test_client())
    assert owner.login("owner@example.com", PASSWORD).status_code == 302
    page = owner.get("/vendor/insights").get_data(as_text=True)
    assert "Sambal Roa" in page
    assert format_rupiah(60000) in page  # two jars sold
    assert "Kopi Robusta Darto" not in page and format_rupiah(90000) not in page
    assert 'src="data:image/svg+xml;base64,' in page
    row = page.split("Sambal Roa")[1].split("</tr>")[0]
    assert '<td data-label="Dilihat" class="num">1</td>' in row
    # The period is one of the offered ones; anything else is the default 30 days.
    assert owner.get("/vendor/insights?days=7000").status_code == 200


def test_only_vendors_open_insights(app, two_vendors):
    manager(email="bu.rina@example.com")
    client = Client(app.test_client())
    client.login("bu.rina@example.com", PASSWORD)
    assert client.get("/vendor/insights").status_code == 403


def test_insights_count_nothing_of_a_visitor(app, two_vendors):
    """No table but the daily counts grows when a shopper looks at a product."""
    sambal, _kopi = two_vendors
    tables = {t.name: t for t in db.metadata.sorted_tables}
    before = {
        name: db.session.scalar(select(db.func.count()).select_from(t))
        for name, t in tables.items()
    }
    shopper = Client(app.test_client())
    shopper.get(f"/product/{sambal.slug}")
    shopper.post(f"/product/{sambal.id}/seen", headers={"Sec-Fetch-Site": "same-origin"})
    db.session.expire_all()
    grown = [
        name
        for name, t in tables.items()
        if db.session.scalar(select(db.func.count()).select_from(t)) != before[name]
    ]
    assert grown == ["product_daily_counts"]
