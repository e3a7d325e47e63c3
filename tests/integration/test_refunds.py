"""Refunds: per line or in full, in cash or back to the card (once per form submission), never
more than is left, goods back on the shelf only when the manager says so."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.clock import today_wib
from storefront.extensions import db
from storefront.orders import fulfilment, refunds, services
from storefront.orders.models import Order, OrderEvent, OrderStatus, PaidWith, Refund
from storefront.orders.services import OrderError
from storefront.payments.providers import PaymentError
from storefront.stock import ledger
from storefront.stock.models import MovementKind
from tests.conftest import Client, act
from tests.factories import PASSWORD, ProductFactory
from tests.integration.order_helpers import (
    audit_actions,
    level,
    manager,
    movements,
    order_for,
    stocked_product,
)
from tests.stock_helpers import receive


@pytest.fixture
def ctx(app):
    """Services here email the shopper a link to the order, as they do inside a request."""
    with app.test_request_context():
        yield


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def paid_in_cash(order, boss):
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=boss)
    return reload(order)


def refund_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Refund))


def test_partial_refund_with_restock_returns_units_to_the_batches_they_came_from(ctx, outbox):
    boss = manager()
    sambal = ProductFactory(price=20000, name="Sambal Roa")
    soon = receive(sambal, 2, expires_on=today_wib() + timedelta(days=20), code="SR-OLD")
    later = receive(sambal, 5, expires_on=today_wib() + timedelta(days=200), code="SR-NEW")
    keripik, keripik_batch = stocked_product(5, price=12000)
    order = paid_in_cash(order_for({sambal: 3, keripik: 1}), boss)
    sambal_line = next(line for line in order.lines if line.product_id == sambal.id)

    record = act(
        refunds.refund,
        order,
        lines={sambal_line.id: 3},
        method="cash",
        restock=True,
        reason="Tutup botol rusak, diganti uang",
        actor=boss,
        idempotency_key="form-1",
    )

    order = reload(order)
    assert record.amount == 60000 and order.refunded_amount == 60000
    assert order.status == OrderStatus.PAID  # partly refunded: the order goes on
    assert order.refundable_amount == 12000
    returns = movements(MovementKind.CUSTOMER_RETURN, reference_type="refund")
    assert sorted((m.batch_id, m.quantity) for m in returns) == [(soon.id, 2), (later.id, 1)]
    assert (level(soon).on_hand, level(later).on_hand) == (2, 5)
    assert level(keripik_batch).on_hand == 4  # not refunded, still sold
    assert ledger.verify_ledger()[1] == []
    timeline = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "refund")
    ).all()
    assert len(timeline) == 1 and "Rp60.000" in timeline[0].comment
    assert audit_actions(order)[-1] == "order.refund"
    mail = outbox()[-1]
    assert mail["To"] == "sari@example.com" and "Rp60.000" in mail.get_content()

    with pytest.raises(OrderError) as again:
        act(
            refunds.refund,
            order,
            lines={sambal_line.id: 1},
            method="cash",
            restock=True,
            reason="lagi",
            actor=boss,
            idempotency_key="form-2",
        )
    assert again.value.field == "lines"
    assert refund_count() == 1


def test_full_refund_gives_back_the_delivery_fee_and_marks_the_order_refunded(ctx):
    boss = manager()
    kopi, batch = stocked_product(5, price=30000)
    madu, _madu_batch = stocked_product(5, price=45000)
    order = order_for({kopi: 1, madu: 1}, fulfilment="delivery")
    order = paid_in_cash(order, boss)
    assert order.total == 30000 + 45000 + 10000
    kopi_line = next(line for line in order.lines if line.product_id == kopi.id)
    act(
        refunds.refund,
        order,
        lines={kopi_line.id: 1},
        method="cash",
        reason="Kopi salah gilingan",
        actor=boss,
        idempotency_key="part",
    )
    assert reload(order).refunded_amount == 30000  # no delivery fee with a partial refund

    record = act(
        refunds.refund,
        order,
        full=True,
        method="cash",
        reason="Pembeli membatalkan sisanya",
        actor=boss,
        idempotency_key="rest",
    )
    order = reload(order)
    assert record.amount == 45000 + 10000
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_amount == order.total and order.refundable_amount == 0
    assert all(line.refunded_quantity == line.quantity for line in order.lines)
    assert level(batch).on_hand == 4  # not restocked: the manager did not say so
    with pytest.raises(OrderError):
        act(
            refunds.refund,
            order,
            full=True,
            method="cash",
            reason="x",
            actor=boss,
            idempotency_key="more",
        )


class FakeCardProvider:
    """Stands in for Stripe: records each call; optionally fails once."""

    def __init__(self, fail: bool = False):
        self.calls: list[tuple[int, str]] = []
        self.fail = fail

    def refund(self, order, amount: int, *, idempotency_key: str) -> str:
        self.calls.append((amount, idempotency_key))
        if self.fail:
            self.fail = False
            raise PaymentError("Stripe is not reachable")
        return f"re_{len(self.calls)}"


def card_order(product, quantity: int):
    order = act(
        services.place_order,
        {product.id: quantity},
        services.CheckoutDetails(
            name="Budi",
            email="budi@example.com",
            phone="+6281299990000",
            fulfilment="pickup",
            payment_method="stripe",
        ),
        card_enabled=True,
    )
    act(services.mark_paid, order, paid_with=PaidWith.CARD, amount=order.total, reference="pi_1")
    db.session.commit()
    return order


def test_refund_above_what_is_left_is_refused_before_calling_the_provider(ctx, monkeypatch):
    fake = FakeCardProvider()
    monkeypatch.setattr(refunds, "provider", lambda name="stripe": fake)
    product, _batch = stocked_product(5)
    order = card_order(product, 2)
    line = order.lines[0]

    with pytest.raises(OrderError) as error:
        act(
            refunds.refund,
            order,
            lines={line.id: 3},
            method="stripe",
            reason="terlalu banyak",
            actor=manager(),
            idempotency_key="k-1",
        )
    assert error.value.field == "lines"
    assert any(text in str(error.value.message) for text in ("Only 2", "Hanya 2"))
    assert fake.calls == []
    order = reload(order)
    assert order.refunded_amount == 0 and order.lines[0].refunded_quantity == 0
    assert refund_count() == 0


def test_card_refund_reaches_the_provider_once_per_form_submission(ctx, monkeypatch):
    fake = FakeCardProvider(fail=True)
    monkeypatch.setattr(refunds, "provider", lambda name="stripe": fake)
    product, _batch = stocked_product(5)
    order = card_order(product, 2)
    boss = manager()
    request = dict(
        lines={order.lines[0].id: 1},
        method="stripe",
        reason="Kemasan penyok",
        actor=boss,
        idempotency_key="token-abc",
    )

    with pytest.raises(OrderError) as failed:
        act(refunds.refund, order, **request)
    assert "Stripe is not reachable" in str(failed.value.message)
    assert refund_count() == 0 and reload(order).refunded_amount == 0

    record = act(refunds.refund, reload(order), **request)  # the manager presses the button again
    assert record.provider_reference == "re_2"
    again = act(refunds.refund, reload(order), **request)  # and once more (a double click)
    assert again.id == record.id
    assert fake.calls == [(25000, "token-abc"), (25000, "token-abc")]
    order = reload(order)
    assert order.refunded_amount == 25000 and refund_count() == 1


def test_unpaid_order_cannot_be_refunded(app, ctx):
    product, _batch = stocked_product(3)
    order = order_for({product: 1})
    with pytest.raises(OrderError) as error:
        act(
            refunds.refund,
            order,
            full=True,
            method="cash",
            reason="x",
            actor=manager(),
            idempotency_key="u",
        )
    assert any(text in str(error.value.message) for text in ("paid", "dibayar"))
    assert refund_count() == 0 and reload(order).status == OrderStatus.PENDING_PAYMENT


def test_manager_refunds_in_cash_through_the_form_once(app, ctx, outbox):
    product, batch = stocked_product(5, price=18000)
    boss = manager()
    order = paid_in_cash(order_for({product: 3}), boss)
    client = Client(app.test_client())
    client.login(boss.email, PASSWORD)
    url = f"/manage/orders/{order.id}/refund"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="token" name="token" type="hidden" value="([^"]+)"', page
    )
    assert token, "the form carries its idempotency token"
    line_id = order.lines[0].id
    form = {
        "token": token.group(1),
        "scope": "lines",
        "method": "cash",
        "reason": "Satu botol bocor",
        "restock": "",
        f"qty-{line_id}": "abc",
    }

    bad = client.post_form(url, form)
    assert bad.status_code == 400 and refund_count() == 0

    form[f"qty-{line_id}"] = "1"
    assert client.post_form(url, form).status_code == 302
    assert client.post_form(url, form).status_code == 302  # the same submission again
    order = reload(order)
    assert refund_count() == 1 and order.refunded_amount == 18000
    assert level(batch).on_hand == 2  # not restocked
    detail = client.get(f"/manage/orders/{order.id}").get_data(as_text=True)
    assert "Satu botol bocor" in detail
    assert "Rp18.000" in outbox()[-1].get_content()
