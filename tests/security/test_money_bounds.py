"""Amounts people type are at most Rp1.000.000.000: a larger one gets a clear form error (it
used to overflow the database column and answer 500), and the database refuses such a price
whatever the code does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storefront.catalog.models import PriceChange, Product
from storefront.extensions import db
from storefront.money import MAX_AMOUNT, AmountTooLarge, parse_rupiah
from storefront.orders.delivery import delivery_fees
from storefront.pos.models import CounterSale, Shift
from storefront.settings.services import set_setting
from storefront.settlements import services as service
from tests.factories import ProductFactory
from tests.integration.test_pos import cashier_client, shop  # noqa: F401 (fixtures)
from tests.integration.test_product_listings import crafts, new_product, vendor_client  # noqa: F401
from tests.integration.test_settlements import month, sign_in, statement  # noqa: F401

HUGE = ["1.000.000.001", "Rp 3.000.000.000", "99999999999999999999999", "9" * 5000]
TOO_LARGE = "Paling banyak Rp1.000.000.000."


def test_the_largest_amount_is_a_billion_rupiah():
    assert MAX_AMOUNT == 1_000_000_000
    assert parse_rupiah("Rp1.000.000.000") == MAX_AMOUNT
    assert parse_rupiah("-1.000.000.000") == -MAX_AMOUNT
    for text in HUGE:
        with pytest.raises(AmountTooLarge):
            parse_rupiah(text)


@pytest.mark.parametrize("price", HUGE, ids=lambda p: p[:24])
def test_a_huge_product_price_is_a_form_error(app, ctx, crafts, price):  # noqa: F811
    client, _vendor = vendor_client(app)
    response, product = new_product(client, crafts, price=price)
    assert response.status_code == 200
    assert TOO_LARGE in response.get_data(as_text=True)
    assert product is None


def test_a_billion_rupiah_is_still_a_price(app, ctx, crafts):  # noqa: F811
    client, _vendor = vendor_client(app)
    response, product = new_product(client, crafts, price="Rp1.000.000.000")
    assert response.status_code == 302
    assert product.price == MAX_AMOUNT


def test_editing_a_price_to_a_huge_one_changes_nothing(app, ctx, crafts):  # noqa: F811
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, crafts, name="Tas Anyaman", price="100000")
    response = client.post_form(
        f"/vendor/products/{product.id}",
        {
            "name": "Tas Anyaman",
            "category_id": str(crafts.id),
            "description": "Anyaman pandan.",
            "price": "100.000.000.000",
            "unit": "pcs",
        },
    )
    assert response.status_code == 200
    assert TOO_LARGE in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Product, product.id).price == 100_000


def test_the_database_refuses_a_price_above_the_limit(ctx):
    with pytest.raises(IntegrityError):
        ProductFactory(price=MAX_AMOUNT + 1)
    db.session.rollback()
    product = ProductFactory(price=MAX_AMOUNT)
    db.session.add(PriceChange(product_id=product.id, new_price=MAX_AMOUNT + 1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_huge_amounts_at_the_counter_are_form_errors(cashier_client, shop):  # noqa: F811
    client = cashier_client
    refused = client.post_form("/counter/shift/open", {"opening_float": HUGE[2]})
    assert TOO_LARGE in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0

    client.post_form("/counter/shift/open", {"opening_float": "100.000"})
    client.post_form("/counter/scan", {"code": "GTG00012"})
    for field in ("cash", "qris", "debit"):
        paid = client.post_form("/counter/pay", {field: HUGE[0], f"{field}_reference": "R-1"})
        assert paid.status_code == 400
        assert TOO_LARGE in paid.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CounterSale)) == 0

    closing = client.post_form("/counter/shift/close", {"counted_cash": HUGE[1]})
    assert TOO_LARGE in closing.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Shift.status)) == "open"


def test_a_huge_payout_amount_is_refused(app, month):  # noqa: F811
    service.generate_month(2026, 10, actor=month["manager"])
    db.session.commit()
    a = statement(month["a"])
    service.close_settlement(a, actor=month["manager"])
    db.session.commit()
    client = sign_in(app, month["manager"])
    page = client.post_form(
        f"/manage/settlements/{a.id}/pay",
        {"paid_on": "2026-11-03", "reference": "TRF-77", "amount": HUGE[2], "confirmed": "y"},
        follow_redirects=True,
    )
    assert TOO_LARGE in page.get_data(as_text=True)
    db.session.expire_all()
    assert statement(month["a"]).status == "closed"


@pytest.mark.parametrize("name", ["min", "max"])
def test_a_huge_price_filter_is_ignored_with_a_message(client, ctx, name):
    ProductFactory(name="Kopi Robusta")
    response = client.get(f"/search?{name}=99999999999999999999")
    assert response.status_code == 200
    assert "Kopi Robusta" in response.get_data(as_text=True)


def test_a_delivery_zone_with_an_impossible_fee_is_not_offered(ctx):
    set_setting("delivery_zones", "10000: Cikupa\n99999999999999999999: Mauk\n-5000: Kresek")
    db.session.commit()
    assert delivery_fees() == {"Cikupa": 10_000}


def test_the_migration_adds_the_price_limit_and_takes_it_away(empty_database_url, tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import make_app

    app = make_app(empty_database_url, tmp_path)
    insert = text(
        "INSERT INTO price_changes (product_id, new_price, changed_at) "
        "VALUES (:product, :price, CURRENT_TIMESTAMP)"
    )
    with app.app_context():
        upgrade()
        # The id, not the row: after downgrading, the model has columns the table lacks.
        product_id = ProductFactory(price=MAX_AMOUNT).id
        with pytest.raises(IntegrityError):
            db.session.execute(
                text("UPDATE products SET price = :price"), {"price": MAX_AMOUNT + 1}
            )
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(insert, {"product": product_id, "price": MAX_AMOUNT + 1})
        db.session.rollback()

        downgrade(revision="0009_sale_line_times")
        db.session.execute(text("UPDATE products SET price = :price"), {"price": MAX_AMOUNT + 1})
        db.session.execute(insert, {"product": product_id, "price": MAX_AMOUNT + 1})
        db.session.commit()
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
