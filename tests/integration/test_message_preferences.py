"""Shoppers and vendors choose how the shop tells them things: at checkout and on the account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.auth.models import User
from storefront.extensions import db
from storefront.orders.models import Order
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.stock_helpers import receive

CHECKOUT = {
    "name": "Siti Rahma",
    "email": "siti@example.com",
    "phone": "0812-3456-7890",
    "fulfilment": "pickup",
    "payment_method": "outlet",
}


def test_the_checkout_keeps_the_shoppers_choice(client, ctx):
    product = ProductFactory(price=45_000)
    receive(product, 5)
    db.session.commit()
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    assert "Kabar pesanan lewat" in client.get("/checkout").get_data(as_text=True)
    response = client.post_form("/checkout", {**CHECKOUT, "message_channel": "both"})
    assert response.status_code == 302
    assert db.session.scalar(select(Order.message_channel)) == "both"


def test_an_unknown_choice_at_checkout_is_refused(client, ctx):
    product = ProductFactory(price=45_000)
    receive(product, 5)
    db.session.commit()
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    response = client.post_form("/checkout", {**CHECKOUT, "message_channel": "pigeon"})
    assert response.status_code == 200
    assert db.session.scalar(select(Order.id)) is None


@pytest.fixture
def ani(client, ctx):
    user = UserFactory(email="ani@example.com", name="Ani")
    db.session.commit()
    assert client.login("ani@example.com", PASSWORD).status_code == 302
    return user


def saved(user) -> tuple[str, str | None]:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    return fresh.message_channel, fresh.phone


def test_a_shopper_chooses_whatsapp_on_their_account(client, ani):
    response = client.post_form(
        "/account/messages", {"message_channel": "whatsapp", "phone": "0812 1111 2222"}
    )
    assert response.status_code == 302
    assert saved(ani) == ("whatsapp", "+6281211112222")
    page = client.get("/account/").get_data(as_text=True)
    assert (
        'checked id="message_channel-1" name="message_channel" type="radio" value="whatsapp"'
        in page
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message_channel": "whatsapp", "phone": ""}, "Isi nomor WhatsApp Anda"),
        ({"message_channel": "both", "phone": "12"}, "Masukkan nomor telepon yang benar"),
        ({"message_channel": "fax", "phone": ""}, ""),
    ],
)
def test_a_bad_choice_is_refused_and_nothing_changes(client, ani, data, message):
    response = client.post_form("/account/messages", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert saved(ani) == ("email", ani.phone)
