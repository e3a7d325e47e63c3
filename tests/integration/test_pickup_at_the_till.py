"""A cashier hands over online pickup orders at the till (issue 13, defect 12): pickup code and
name checked, an outlet-paid order's money taken into the open shift, the shift's cash count
expecting it, and the shift report listing it for managers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.orders import fulfilment
from storefront.orders.models import Order, OrderStatus
from storefront.pos import services as pos
from storefront.pos.models import PickupPayment, Shift
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory
from tests.integration.order_helpers import manager, order_for, stocked_product


@pytest.fixture
def ready(app):
    with app.test_request_context():
        product, _batch = stocked_product(5, price=45_000)
        boss = manager(email="rina@example.com")
        order = order_for({product: 1})  # pay at the outlet, collect at the outlet
        act(fulfilment.pack, order, actor=boss)
        act(fulfilment.ready_for_pickup, db.session.get(Order, order.id), actor=boss)
        cashier = UserFactory(email="kasir@example.com", role="cashier", name="Kasir Satu")
        db.session.commit()
        yield db.session.get(Order, order.id), cashier, boss


def test_a_cashier_hands_over_a_pickup_taking_the_cash_into_the_shift(app, ready):
    order, cashier, boss = ready
    shift = act(pos.open_shift, cashier, 100_000)
    client = Client(app.test_client())
    client.login(cashier.email, PASSWORD)
    assert client.get("/manage/orders").status_code == 403  # the manager's queue stays theirs
    listing = client.get("/counter/pickups").get_data(as_text=True)
    assert order.number in listing
    path = f"/counter/pickups/{order.id}"

    base = {"collector_name": "sari", "method": "cash", "tendered": "50000"}
    wrong = client.post_form(path, {**base, "code": "000000"})
    assert wrong.status_code == 400
    assert "bukan kode pengambilan" in wrong.get_data(as_text=True)
    short = client.post_form(path, {**base, "code": order.pickup_code, "tendered": "40000"})
    assert short.status_code == 400
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.READY_FOR_PICKUP
    assert db.session.scalar(select(func.count()).select_from(PickupPayment)) == 0

    done = client.post_form(path, {**base, "code": order.pickup_code}, follow_redirects=True)
    assert done.status_code == 200 and "Rp5.000" in done.get_data(as_text=True)  # the change
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.COMPLETED and order.paid_with == "cash"
    payment = db.session.scalar(select(PickupPayment))
    assert (payment.shift_id, payment.amount, payment.tendered, payment.change) == (
        shift.id,
        45_000,
        50_000,
        5_000,
    )
    summary = pos.summarise(db.session.get(Shift, shift.id))
    assert summary.expected_cash == 100_000 + 45_000
    assert (summary.pickups, summary.pickup_total) == (1, 45_000)
    closed = act(pos.close_shift, db.session.get(Shift, shift.id), cashier, 145_000, "")
    assert closed.difference == 0  # no note needed: the drawer holds what was expected

    boss_client = Client(app.test_client())
    boss_client.login(boss.email, PASSWORD)
    report = boss_client.get(f"/counter/shifts/{shift.id}").get_data(as_text=True)
    assert order.number in report and "Rp45.000" in report


def test_a_pickup_to_be_paid_is_refused_without_an_open_shift_and_nothing_changes(app, ready):
    order, cashier, _boss = ready
    client = Client(app.test_client())
    client.login(cashier.email, PASSWORD)
    response = client.post_form(
        f"/counter/pickups/{order.id}",
        {
            "code": order.pickup_code,
            "collector_name": "Sari Wulandari",
            "method": "cash",
            "tendered": "45000",
        },
    )
    assert response.status_code == 400
    assert "shift" in response.get_data(as_text=True).lower()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.READY_FOR_PICKUP
