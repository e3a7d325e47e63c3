"""Finding an order by number and email never opens it: the link goes to the order's email.

Order numbers are sequential per day (GTG-261123-0042), so number + email must not be enough
to see a stranger's pickup code, name and phone, or to cancel their order.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order, OrderStatus
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.integration.test_checkout import CHECKOUT, add
from tests.stock_helpers import receive

SAME_ANSWER = "Jika ada pesanan dengan nomor dan email itu"


@pytest.fixture
def order(ctx, app):
    """A guest's pickup order, placed from its own browser."""
    product = ProductFactory(name="Kopi Robusta Cikupa", price=45_000)
    receive(product, 5)
    shopper = Client(app.test_client())
    add(shopper, product, "1")
    assert shopper.post_form("/checkout", CHECKOUT).status_code == 302
    return db.session.scalar(select(Order))


def look_up(client, number, email):
    return client.post_form("/orders/find", {"number": number, "email": email})


def test_the_lookup_answers_the_same_whether_or_not_the_order_exists(app, order, outbox):
    sent_before = len(outbox())
    answers = []
    for number, email in [
        (order.number, "orang.lain@example.com"),  # right number, wrong email
        ("GTG-000101-0001", "siti@example.com"),  # no such order
        (order.number.lower(), " SITI@example.com "),  # the order (any case, spaces)
    ]:
        stranger = Client(app.test_client())
        response = look_up(stranger, number, email)
        assert response.status_code == 302
        assert response.headers["Location"] == "/orders/find"
        page = stranger.get("/orders/find").get_data(as_text=True)
        answers.append(page.replace(order.number, "").count(SAME_ANSWER))
        for secret in (order.pickup_code, order.access_key, order.contact_name, order.phone):
            assert secret not in page
            assert secret not in response.headers["Location"]
    assert answers == [1, 1, 1]
    mail = outbox()[sent_before:]
    assert len(mail) == 1  # only the real order, and only to its own address
    assert mail[0]["To"] == "siti@example.com"
    assert f"/orders/{order.number}?key={order.access_key}" in mail[0].get_content()


def test_the_lookup_never_lets_a_stranger_see_or_cancel_the_order(app, order):
    stranger = Client(app.test_client())
    look_up(stranger, order.number, "siti@example.com")
    assert stranger.get(f"/orders/{order.number}").status_code == 404
    cancel = stranger.post_form(f"/orders/{order.number}/cancel", {})
    assert cancel.status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING_PAYMENT


def test_the_lookup_is_rate_limited_per_email(app, order, outbox):
    stranger = Client(app.test_client())
    for _ in range(5):
        assert look_up(stranger, order.number, "siti@example.com").status_code == 302
    another_ip = Client(app.test_client())
    refused = another_ip.post_form(
        "/orders/find",
        {"number": order.number, "email": "siti@example.com"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert refused.status_code == 429
    assert len([m for m in outbox() if "tautan" in m["Subject"].lower()]) == 5


def test_an_empty_lookup_says_what_is_missing(app, order, outbox):
    sent_before = len(outbox())
    response = look_up(Client(app.test_client()), "", "")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Isi nomor pesanan." in page or "nomor pesanan" in page
    assert len(outbox()) == sent_before


def test_the_pickup_code_needs_the_link_or_the_account(app, order):
    # The browser that placed the order still sees it, but not the code without the link.
    url = f"/orders/{order.number}"
    manager = UserFactory(role="manager")
    boss = Client(app.test_client())
    assert boss.login(manager.email, PASSWORD).status_code == 302
    page = boss.get(url).get_data(as_text=True)
    assert order.number in page and order.pickup_code not in page

    with_link = Client(app.test_client()).get(f"{url}?key={order.access_key}")
    assert order.pickup_code in with_link.get_data(as_text=True)


def test_a_signed_in_shopper_sees_the_code_of_their_own_order(app, ctx):
    product = ProductFactory(price=20_000)
    receive(product, 3)
    UserFactory(email="siti@example.com", name="Siti Rahma")
    shopper = Client(app.test_client())
    assert shopper.login("siti@example.com", PASSWORD).status_code == 302
    add(shopper, product, "1")
    assert shopper.post_form("/checkout", CHECKOUT).status_code == 302
    order = db.session.scalar(select(Order))
    assert order.user_id is not None
    page = shopper.get(f"/orders/{order.number}").get_data(as_text=True)
    assert order.pickup_code in page
