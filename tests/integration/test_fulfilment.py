"""Managers prepare online orders: pack, ready for pickup, hand-over with the pickup code,
delivery, payment at the counter, cancellation, the pick list and the work queues."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.orders import fulfilment, services
from storefront.orders.models import Order, OrderStatus, PaidWith
from storefront.orders.services import OrderError
from storefront.stock import ledger
from storefront.stock.models import MovementKind
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory, VendorFactory
from tests.integration.order_helpers import (
    audit_actions,
    level,
    manager,
    movements,
    order_for,
    stocked_product,
)


@pytest.fixture
def ctx(app):
    """Services here email the shopper a link to the order, as they do inside a request."""
    with app.test_request_context():
        yield


def signed_in(app, user) -> Client:
    client = Client(app.test_client())
    assert client.login(user.email, PASSWORD).status_code == 302
    return client


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_pickup_order_is_packed_made_ready_and_handed_over_for_cash(app, ctx, client, outbox):
    product, batch = stocked_product(10)
    order = order_for({product: 2})
    boss = manager()
    client = signed_in(app, boss)
    base = f"/manage/orders/{order.id}"

    queue = client.get("/manage/orders").get_data(as_text=True)
    assert order.number in queue

    assert client.post_form(f"{base}/pack").status_code == 302
    assert reload(order).status == OrderStatus.PACKED

    response = client.post_form(f"{base}/ready")
    assert response.status_code == 302
    assert reload(order).status == OrderStatus.READY_FOR_PICKUP
    mail = outbox()[-1]
    assert mail["To"] == "sari@example.com"
    assert order.pickup_code in mail.get_content()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "https://wa.me/6281234567890?text=" in page

    wrong = "000000" if order.pickup_code != "000000" else "111111"
    refused = client.post_form(
        f"{base}/hand-over", {"code": wrong, "collector_name": "Sari", "paid_with": "cash"}
    )
    assert refused.status_code == 400
    assert "not this order" in refused.get_data(as_text=True) or "bukan kode" in (
        refused.get_data(as_text=True)
    )
    order = reload(order)
    assert order.status == OrderStatus.READY_FOR_PICKUP and order.paid_at is None
    assert movements(MovementKind.ONLINE_SALE) == []

    # The right code alone is not enough: the collector says the name on the order.
    stranger = client.post_form(
        f"{base}/hand-over",
        {"code": order.pickup_code, "collector_name": "Dewi Lestari", "paid_with": "cash"},
    )
    assert stranger.status_code == 400
    assert "bukan nama pada pesanan" in stranger.get_data(as_text=True)
    order = reload(order)
    assert order.status == OrderStatus.READY_FOR_PICKUP and order.paid_at is None
    assert movements(MovementKind.ONLINE_SALE) == []

    done = client.post_form(
        f"{base}/hand-over",
        {
            "code": order.pickup_code,
            "collector_name": "  sari ",
            "paid_with": "cash",
            "reference": "laci 1",
        },
    )
    assert done.status_code == 302
    order = reload(order)
    assert order.status == OrderStatus.COMPLETED
    assert order.paid_with == PaidWith.CASH and order.paid_amount == 50000
    sales = movements(MovementKind.ONLINE_SALE, reference_type="order", reference_id=order.id)
    assert [(m.batch_id, m.quantity) for m in sales] == [(batch.id, -2)]
    assert (level(batch).on_hand, level(batch).reserved) == (8, 0)
    assert ledger.verify_ledger()[1] == []
    assert audit_actions(order) == [
        "order.packed",
        "order.ready",
        "order.paid",
        "order.handed_over",
    ]
    page = client.get(base).get_data(as_text=True)
    assert "Bu Rina" in page  # the timeline says who did it


@pytest.mark.parametrize(
    ("said", "matches"),
    [
        ("Sari Wulandari", True),
        ("sari", True),
        ("WULANDARI", True),
        ("wulandari sari", True),
        ("SariWulandari", True),
        ("  Sari   Wulandari. ", True),
        ("Sari Lestari", False),
        ("Sar", False),
        ("", False),
        ("   ", False),
    ],
)
def test_the_collector_name_is_compared_loosely(said, matches):
    assert fulfilment.collector_name_matches(said, "Sari Wulandari") is matches


def test_delivery_order_is_paid_to_the_courier(ctx, outbox):
    product, batch = stocked_product(5)
    order = order_for({product: 1}, fulfilment="delivery")
    boss = manager()
    act(fulfilment.pack, order, actor=boss)
    with pytest.raises(OrderError):
        act(fulfilment.ready_for_pickup, order, actor=boss)
    act(fulfilment.out_for_delivery, order, actor=boss)

    with pytest.raises(OrderError) as unpaid:
        act(fulfilment.complete_delivery, order, actor=boss)
    assert unpaid.value.field == "paid_with"
    assert reload(order).status == OrderStatus.OUT_FOR_DELIVERY

    act(
        fulfilment.complete_delivery,
        order,
        actor=boss,
        payment=fulfilment.Payment(PaidWith.QRIS, "QR-778812"),
    )
    order = reload(order)
    assert order.status == OrderStatus.COMPLETED
    assert order.total == 25000 + 10000  # Cikupa's delivery fee
    assert (order.paid_with, order.payment_reference) == ("qris", "QR-778812")
    assert (level(batch).on_hand, level(batch).reserved) == (4, 0)
    assert ledger.verify_ledger()[1] == []


def test_card_paid_order_is_handed_over_without_taking_money(ctx):
    product, batch = stocked_product(5)
    details_order = order_for({product: 1}, payment_method="outlet")
    assert details_order.payment_method == "outlet"
    card = act(
        services.place_order,
        {product.id: 2},
        services.CheckoutDetails(
            name="Budi",
            email="budi@example.com",
            phone="+6281299990000",
            fulfilment="pickup",
            payment_method="stripe",
        ),
        card_enabled=True,
    )
    boss = manager()
    with pytest.raises(OrderError):
        act(fulfilment.pack, card, actor=boss)  # the card has not paid yet
    act(services.mark_paid, card, paid_with=PaidWith.CARD, amount=card.total, reference="pi_123")
    db.session.commit()

    act(fulfilment.pack, card, actor=boss)
    act(fulfilment.ready_for_pickup, card, actor=boss)
    act(fulfilment.hand_over, card, card.pickup_code, card.contact_name, actor=boss)
    card = reload(card)
    assert card.status == OrderStatus.COMPLETED and card.paid_with == PaidWith.CARD
    assert "order.paid" not in audit_actions(card)
    assert level(batch).on_hand == 3 and level(batch).reserved == 1
    assert ledger.verify_ledger()[1] == []


def test_ready_order_is_not_completed_without_payment(ctx):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    boss = manager()
    act(fulfilment.pack, order, actor=boss)
    act(fulfilment.ready_for_pickup, order, actor=boss)
    with pytest.raises(OrderError) as error:
        act(fulfilment.hand_over, order, order.pickup_code, "Sari Wulandari", actor=boss)
    assert error.value.field == "paid_with"  # "not paid yet: record how the shopper paid"
    order = reload(order)
    assert order.status == OrderStatus.READY_FOR_PICKUP and order.paid_at is None
    with pytest.raises(OrderError):
        act(
            fulfilment.hand_over,
            order,
            order.pickup_code,
            "Sari Wulandari",
            actor=boss,
            payment=fulfilment.Payment(PaidWith.CARD),
        )
    assert reload(order).paid_at is None


def test_manager_cancels_unpaid_order_and_its_stock_is_on_sale_again(app, ctx, outbox):
    product, batch = stocked_product(3)
    order = order_for({product: 3})
    assert ledger.available_quantity(product.id) == 0
    client = signed_in(app, manager())
    base = f"/manage/orders/{order.id}"

    without_reason = client.post_form(f"{base}/cancel", {"reason": ""})
    assert without_reason.status_code == 400
    assert reload(order).status == OrderStatus.PENDING_PAYMENT

    client.post_form(f"{base}/cancel", {"reason": "Pembeli minta batal lewat WA"})
    order = reload(order)
    assert order.status == OrderStatus.CANCELLED
    assert ledger.available_quantity(product.id) == 3
    assert level(batch).reserved == 0
    assert audit_actions(order) == ["order.cancelled"]
    assert "Pembeli minta batal" in outbox()[-1].get_content()
    assert ledger.verify_ledger()[1] == []


def test_moves_the_state_table_forbids_are_refused_and_change_nothing(app, ctx):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    client = signed_in(app, manager())
    base = f"/manage/orders/{order.id}"

    response = client.post_form(f"{base}/ready", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "cannot become" in text or "tidak bisa menjadi" in text
    assert reload(order).status == OrderStatus.PENDING_PAYMENT

    response = client.post_form(f"{base}/out-for-delivery", follow_redirects=True)
    assert reload(order).status == OrderStatus.PENDING_PAYMENT

    response = client.post_form(
        f"{base}/hand-over",
        {"code": order.pickup_code, "collector_name": "Sari", "paid_with": "cash"},
    )
    assert response.status_code == 400
    order = reload(order)
    assert order.status == OrderStatus.PENDING_PAYMENT and order.paid_at is None
    assert audit_actions(order) == []


def test_payment_at_the_counter_before_collection(app, ctx):
    product, batch = stocked_product(4)
    order = order_for({product: 1})
    client = signed_in(app, manager())
    base = f"/manage/orders/{order.id}"
    bad = client.post_form(f"{base}/paid", {"paid_with": "card"})
    assert bad.status_code == 400 and reload(order).paid_at is None

    client.post_form(f"{base}/paid", {"paid_with": "debit", "reference": "EDC 0042"})
    order = reload(order)
    assert order.status == OrderStatus.PAID and order.paid_with == "debit"
    assert order.payment_reference == "EDC 0042"
    assert level(batch).on_hand == 3
    assert audit_actions(order) == ["order.paid"]


def test_pick_list_groups_orders_by_vendor_and_batch(app, ctx):
    kopi, kopi_old = stocked_product(2, vendor=VendorFactory(name="Kopi Cikupa"))
    from tests.stock_helpers import receive

    kopi_new = receive(kopi, 5, code="KOPI-NEW")
    batik, _b = stocked_product(5, vendor=VendorFactory(name="Batik Tigaraksa"))
    first = order_for({kopi: 3, batik: 1})
    second = order_for({kopi: 1}, email="dewi@example.com")

    groups = fulfilment.pick_list([first, second])
    assert [g.vendor_name for g in groups] == ["Batik Tigaraksa", "Kopi Cikupa"]
    kopi_items = {i.batch_code: (i.quantity, i.orders) for i in groups[1].items}
    # FEFO: the batch expiring first is emptied first (the new batch has no date, so last).
    assert kopi_items[kopi_old.code] == (2, [first.number])
    assert kopi_items[kopi_new.code] == (2, [first.number, second.number])

    page = signed_in(app, manager()).get("/manage/orders/pick-list").get_data(as_text=True)
    assert "Kopi Cikupa" in page and "KOPI-NEW" in page and second.number in page


def test_queue_tabs_counts_and_search(app, ctx):
    product, _batch = stocked_product(10)
    waiting = order_for({product: 1})
    other = order_for({product: 1}, email="joko@example.com")
    act(fulfilment.pack, other, actor=manager())
    client = signed_in(app, UserFactory(role="admin"))

    to_pack = client.get("/manage/orders").get_data(as_text=True)
    assert waiting.number in to_pack and other.number not in to_pack
    packed = client.get("/manage/orders?tab=packed").get_data(as_text=True)
    assert other.number in packed and waiting.number not in packed
    assert fulfilment.queue_counts()["waiting_payment"] == 2

    found = client.get("/manage/orders?tab=all&q=joko@").get_data(as_text=True)
    assert other.number in found and waiting.number not in found
    by_phone = client.get("/manage/orders?tab=all&q=0812-3456").get_data(as_text=True)
    assert waiting.number in by_phone
    nav = client.get("/manage/").get_data(as_text=True)
    assert 'href="/manage/orders"' in nav


@pytest.mark.parametrize("role", ["shopper", "vendor"])
def test_shoppers_and_vendors_cannot_use_manager_order_pages(app, ctx, role):
    product, _batch = stocked_product(3)
    order = order_for({product: 1})
    user = UserFactory(role=role)
    client = signed_in(app, user)
    base = f"/manage/orders/{order.id}"
    for url in ("/manage/orders", base, "/manage/orders/pick-list", f"{base}/refund"):
        assert client.get(url).status_code == 403
    token = client.csrf_token("/")
    assert client.post(f"{base}/pack", data={"csrf_token": token}).status_code == 403
    assert reload(order).status == OrderStatus.PENDING_PAYMENT
    anonymous = Client(app.test_client()).get(base)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
