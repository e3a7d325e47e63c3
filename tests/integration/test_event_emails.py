"""The emails the shop promised: each event reaches its people once, in their own language,
with a text and an HTML part whose links open the right page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.catalog import products as listings
from storefront.extensions import db
from storefront.orders import fulfilment, notify
from storefront.orders.models import PaidWith
from storefront.outbox import OutboxMessage
from tests.conftest import Client, act
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.integration import onboarding_helpers as onboarding
from tests.integration.order_helpers import manager, order_for, stocked_product
from tests.security.account_helpers import make_vendor


def to(outbox, address: str) -> list:
    return [mail for mail in outbox() if mail["To"] == address]


def test_a_delivery_order_tells_the_shopper_it_is_on_its_way_and_delivered(ctx, outbox):
    product, _batch = stocked_product(5)
    order = order_for({product: 1}, fulfilment="delivery")
    boss = manager()
    act(fulfilment.pack, order, actor=boss)
    act(fulfilment.out_for_delivery, order, actor=boss)
    act(
        fulfilment.complete_delivery,
        order,
        actor=boss,
        payment=fulfilment.Payment(PaidWith.QRIS, "QR-1"),
    )
    subjects = [mail["Subject"] for mail in to(outbox, "sari@example.com")]
    assert f"Pesanan Anda sedang diantar · {order.number}" in subjects
    assert f"Pesanan Anda sudah diantar · {order.number}" in subjects


def test_an_order_email_is_in_the_language_the_shopper_ordered_in(ctx, outbox):
    product, _batch = stocked_product(5)
    order = order_for({product: 1}, fulfilment="delivery")
    order.locale = "en"
    db.session.commit()
    boss = manager()
    act(fulfilment.pack, order, actor=boss)
    act(fulfilment.out_for_delivery, order, actor=boss)
    [mail] = [m for m in to(outbox, "sari@example.com") if "on its way" in m["Subject"]]
    assert "is on its way to you" in mail.get_content()
    html = mail.get_body(("html",)).get_content()
    assert f'<a href="http://localhost/orders/{order.number}?key=' in html
    assert '<html lang="en">' in html


def test_an_event_reported_twice_mails_once(ctx, outbox):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    act(notify.order_ready, order)
    act(notify.order_ready, order)
    assert len([m for m in to(outbox, "sari@example.com") if "siap" in m["Subject"]]) == 1


def test_the_applicant_and_every_manager_hear_of_a_new_application(app, ctx, outbox):
    UserFactory(email="rina@example.com", role="manager", name="Rina", locale="en")
    db.session.commit()
    client = Client(app.test_client())
    onboarding.applicant(client)
    vendor = onboarding.complete_application(client)
    [received] = to(outbox, "nyai@example.com")
    assert received["Subject"] == "Kami menerima pendaftaran Anda"
    [told] = to(outbox, "rina@example.com")
    assert told["Subject"] == f"New partner application: {vendor.name}"
    assert f"http://localhost/manage/vendors/{vendor.id}" in told.get_content()


@pytest.fixture
def product_for_review(ctx):
    vendor, owner = make_vendor(owner_email="nyai@example.com")
    category = CategoryFactory(slug="kerajinan", name="Kerajinan", is_food=False)
    product = ProductFactory(
        vendor=vendor, category=category, status="submitted", name="Tas Anyaman Pandan"
    )
    db.session.commit()
    return product, owner


def test_the_vendor_hears_a_product_was_approved_in_their_language(product_for_review, outbox):
    product, owner = product_for_review
    owner.locale = "en"
    db.session.commit()
    act(listings.approve, db.session.get(type(product), product.id), manager())
    [mail] = [m for m in to(outbox, owner.email) if "approved" in m["Subject"]]
    assert f"{product.name} was approved" in mail.get_content()


def test_every_message_is_in_the_outbox_with_its_event(ctx, outbox):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    act(notify.order_placed, order)
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.event == "order_placed" and message.status == "sent"
    assert message.key == f"order:{order.id}:placed:email:sari@example.com"
