"""Cart and checkout as a shopper uses them: over HTTP, with stock held by the ledger."""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.orders.models import CartItem, Order, OrderStatus
from storefront.stock import ledger
from storefront.stock.ledger import available_quantity, verify_ledger
from storefront.stock.models import Reservation
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.stock_helpers import receive

CHECKOUT = {
    "name": "Siti Rahma",
    "email": "Siti@Example.com",
    "phone": "0812-3456-7890",
    "fulfilment": "pickup",
    "payment_method": "outlet",
    "kecamatan": "",
    "address": "",
    "note": "",
}


@pytest.fixture
def kopi(ctx):
    product = ProductFactory(name="Kopi Robusta Cikupa", price=45_000)
    receive(product, 5)
    db.session.commit()
    return product


def add(client, product, quantity="1"):
    return client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})


def order_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def test_guest_buys_with_pickup_and_pay_at_outlet(client, kopi, outbox):
    response = add(client, kopi, "2")
    assert response.status_code == 302
    cart_page = client.get("/cart").get_data(as_text=True)
    assert "Kopi Robusta Cikupa" in cart_page and "Rp90.000" in cart_page
    assert 'data-testid="cart-count"' in cart_page

    response = client.post_form("/checkout", CHECKOUT)
    assert response.status_code == 302, response.get_data(as_text=True)
    order = db.session.scalar(select(Order))
    assert re.fullmatch(r"GTG-\d{6}-0001", order.number)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == 90_000 and order.email == "siti@example.com"
    assert order.phone == "+6281234567890"
    assert order.lines[0].commission + order.lines[0].vendor_share == 90_000
    # The stock is held at once: 5 on the shelf, 2 reserved for this order.
    assert available_quantity(kopi.id) == 3
    assert order.reservation.status == "active"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.number in page and order.pickup_code in page
    assert "Menunggu pembayaran" in page
    # The cart is empty again and a confirmation email went out with the link.
    assert "Keranjang Anda masih kosong" in client.get("/cart").get_data(as_text=True)
    mail = outbox()
    assert len(mail) == 1 and order.number in mail[0]["Subject"]
    assert order.access_key in mail[0].get_content()
    assert verify_ledger()[1] == []


@pytest.mark.parametrize("quantity", ["0", "-3", "dua", "", "6"])
def test_bad_quantities_are_refused_and_change_nothing(client, kopi, quantity):
    response = add(client, kopi, quantity)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page
    assert "Keranjang Anda masih kosong" in client.get("/cart").get_data(as_text=True)


def test_adding_more_than_is_left_says_how_many_are_left(client, kopi):
    add(client, kopi, "4")
    response = add(client, kopi, "2")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hanya 5" in page
    cart_page = client.get("/cart").get_data(as_text=True)
    assert 'value="4"' in cart_page


def test_changing_and_removing_cart_lines(client, kopi):
    add(client, kopi, "1")
    response = client.post_form(
        "/cart/update", {"variant_id": kopi.default_variant.id, "quantity": "3"}
    )
    assert response.status_code == 302
    assert "Rp135.000" in client.get("/cart").get_data(as_text=True)
    response = client.post_form(
        "/cart/update", {"variant_id": kopi.default_variant.id, "quantity": "9"}
    )
    page = client.get("/cart").get_data(as_text=True)
    assert "Hanya 5 tersedia" in page and "Rp135.000" in page
    client.post_form("/cart/remove", {"variant_id": kopi.default_variant.id})
    assert "Keranjang Anda masih kosong" in client.get("/cart").get_data(as_text=True)


def test_a_tampered_price_or_total_in_the_form_is_ignored(client, kopi):
    add(client, kopi, "1")
    client.post_form("/checkout", {**CHECKOUT, "total": "1", "price": "1", "subtotal": "1"})
    order = db.session.scalar(select(Order))
    assert order.total == 45_000 and order.lines[0].unit_price == 45_000


def test_sold_out_between_cart_and_checkout_adjusts_the_cart(client, kopi):
    add(client, kopi, "3")
    token = client.csrf_token("/checkout")  # the shopper has the checkout page open...
    # ...while someone else buys 4 of the 5 (through the ledger, as a counter sale would).
    ledger.record_counter_sale(
        [ledger.Line(kopi.id, 4)], reference_type="counter_sale", reference_id=None, actor_id=None
    )
    db.session.commit()
    response = client.raw.post("/checkout", data={**CHECKOUT, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    page = client.get("/cart").get_data(as_text=True)
    assert "tinggal 1" in page or "Hanya 1" in page
    assert 'value="1"' in page
    assert order_count() == 0
    assert verify_ledger()[1] == []


def test_delivery_outside_the_zones_is_refused(client, kopi):
    add(client, kopi, "1")
    data = {**CHECKOUT, "fulfilment": "delivery", "kecamatan": "Serpong", "address": "Jl. X 1"}
    response = client.post_form("/checkout", data)
    assert response.status_code == 200
    assert order_count() == 0
    assert available_quantity(kopi.id) == 5


def test_delivery_in_a_zone_adds_its_fee(client, kopi):
    add(client, kopi, "1")
    data = {
        **CHECKOUT,
        "fulfilment": "delivery",
        "kecamatan": "Cikupa",
        "address": "Jl. Raya Serang No. 5, RT 02/RW 03, Talaga",
    }
    client.post_form("/checkout", data)
    order = db.session.scalar(select(Order))
    assert order.delivery_fee == 10_000 and order.total == 55_000
    assert order.delivery_kecamatan == "Cikupa"


def test_missing_contact_details_show_form_errors(client, kopi):
    add(client, kopi, "1")
    response = client.post_form("/checkout", {**CHECKOUT, "email": "bukan-email", "phone": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("field-error") >= 2
    assert order_count() == 0


def test_card_payment_is_not_offered_without_stripe_keys(client, kopi):
    add(client, kopi, "1")
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="outlet"' in page and 'value="stripe"' not in page
    response = client.post_form("/checkout", {**CHECKOUT, "payment_method": "stripe"})
    assert response.status_code == 200
    assert order_count() == 0


def test_another_shoppers_order_is_not_found(client, kopi, app):
    add(client, kopi, "1")
    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    other = app.test_client()
    assert other.get(f"/orders/{order.number}").status_code == 404
    assert other.get(f"/orders/{order.number}?key=wrong").status_code == 404
    assert other.get(f"/orders/{order.number}?key={order.access_key}").status_code == 200


def test_shopper_cancels_an_unpaid_order_and_the_stock_comes_back(client, kopi, outbox):
    add(client, kopi, "2")
    response = client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    assert available_quantity(kopi.id) == 3
    location = response.headers["Location"]
    client.post_form(f"/orders/{order.number}/cancel", {}, headers={"Referer": location})
    db.session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    assert available_quantity(kopi.id) == 5
    assert [e.to_status for e in order.events] == ["pending_payment", "cancelled"]
    assert verify_ledger()[1] == []


def test_an_unpaid_order_past_its_hold_is_cancelled_when_read(client, kopi, app):
    add(client, kopi, "2")
    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    with time_machine.travel(order.reserved_until.replace(microsecond=0).timestamp() + 60):
        page = client.get(f"/orders/{order.number}?key={order.access_key}")
        assert "Dibatalkan" in page.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    assert available_quantity(kopi.id) == 5
    assert db.session.scalar(select(Reservation.status)) == "released"


def test_a_guest_cart_joins_the_stored_cart_at_sign_in(client, kopi):
    shopper = UserFactory(email="pembeli@example.com")
    db.session.commit()
    add(client, kopi, "2")
    client.login("pembeli@example.com", PASSWORD)
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == shopper.id))
    assert item is not None and item.quantity == 2
    page = client.get("/cart").get_data(as_text=True)
    assert "Kopi Robusta Cikupa" in page
    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    assert order.user_id == shopper.id
    history = client.get("/account/orders").get_data(as_text=True)
    assert order.number in history


def test_expire_reservations_cancels_unpaid_orders_past_their_hold(client, kopi, app):
    add(client, kopi, "2")
    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    runner = app.test_cli_runner()
    assert "Cancelled 0 unpaid" in runner.invoke(args=["expire-reservations"]).output
    with time_machine.travel(order.reserved_until.timestamp() + 60):
        result = runner.invoke(args=["expire-reservations"])
    assert result.exit_code == 0 and "Cancelled 1 unpaid order(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED
    assert available_quantity(kopi.id) == 5


def test_paying_copies_the_payment_time_onto_the_lines(client, kopi):
    from storefront.orders import services
    from storefront.orders.models import PaidWith

    add(client, kopi, "2")
    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    assert order.lines[0].sold_at is None
    services.mark_paid(order, paid_with=PaidWith.CASH, amount=order.total)
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.paid_at is not None
    # The settlement period of an online sale is read from its lines.
    assert [line.sold_at for line in order.lines] == [order.paid_at]
