"""A dynamic QRIS for a counter sale, from the local fake gateway: the till shows the QR code,
the gateway's notification marks it paid, and the till rings the sale up as a QRIS payment."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.extensions import db
from storefront.payments.models import GatewayPayment
from storefront.pos.models import CounterPayment, CounterSale
from tests.factories import PASSWORD
from tests.fake_gateway import gateway_config
from tests.integration.test_pos import shop  # noqa: F401  (fixture)

WEBHOOK = "/payments/midtrans/notification"


@pytest.fixture
def app_config(fake_gateway):
    return gateway_config(fake_gateway)


@pytest.fixture
def till(client, shop):  # noqa: F811
    assert client.login("kasir@example.com", PASSWORD).status_code == 302
    client.post_form("/counter/shift/open", {"opening_float": "100.000"})
    client.post_form("/counter/scan", {"code": "GTG00012"})
    client.post_form("/counter/scan", {"code": "GTG00012"})
    return client


def notify(client, body):
    return client.post(WEBHOOK, data=json.dumps(body), content_type="application/json")


def sales() -> int:
    return db.session.scalar(select(func.count()).select_from(CounterSale))


def test_dynamic_qris_completes_the_sale_when_the_payment_arrives(till, fake_gateway):
    assert till.post_form("/counter/qris").status_code == 302
    payment = db.session.scalar(select(GatewayPayment))
    assert payment.purpose == "counter" and payment.amount == 25_000
    page = till.get("/counter/").get_data(as_text=True)
    assert 'data-testid="counter-qris-code"' in page and "<svg" in page
    assert till.get("/counter/qris/status").get_json() == {"status": "pending"}

    # Not paid yet: the sale cannot be finished.
    till.post_form("/counter/qris/complete")
    assert sales() == 0

    assert notify(till, fake_gateway.pay(payment.reference, send=False)).status_code == 200
    assert till.get("/counter/qris/status").get_json() == {"status": "paid"}
    done = till.post_form("/counter/qris/complete")
    assert done.status_code == 302 and "/counter/sales/" in done.headers["Location"]
    [record] = db.session.scalars(select(CounterPayment)).all()
    assert record.method == "qris" and record.amount == 25_000
    assert record.reference == fake_gateway.payments[payment.reference]["transaction_id"]
    assert sales() == 1
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "counter_sale.qris_start" in actions and "counter_sale.ring_up" in actions


def test_wrong_amount_at_the_counter_is_not_paid(till, fake_gateway):
    till.post_form("/counter/qris")
    payment = db.session.scalar(select(GatewayPayment))
    notify(till, fake_gateway.pay(payment.reference, amount=2_500, send=False))
    db.session.expire_all()
    assert db.session.get(GatewayPayment, payment.id).status == "mismatch"
    till.post_form("/counter/qris/complete")
    assert sales() == 0


def test_the_sale_changed_after_the_qr_code_is_refused(till, fake_gateway, shop):  # noqa: F811
    till.post_form("/counter/qris")
    payment = db.session.scalar(select(GatewayPayment))
    notify(till, fake_gateway.pay(payment.reference, send=False))
    till.post_form("/counter/scan", {"code": "GTG00013"})
    page = till.post_form("/counter/qris/complete", follow_redirects=True).get_data(as_text=True)
    assert sales() == 0 and "QR" in page


def test_gateway_down_at_the_counter_leaves_the_static_qris(till, fake_gateway):
    fake_gateway.down = True
    page = till.post_form("/counter/qris", follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="counter-qris-code"' not in page
    assert sales() == 0


def test_cancelling_the_qr_code_closes_it_at_the_gateway(till, fake_gateway):
    till.post_form("/counter/qris")
    payment = db.session.scalar(select(GatewayPayment))
    till.post_form("/counter/qris/cancel")
    assert fake_gateway.payments[payment.reference]["transaction_status"] == "expire"
    db.session.expire_all()
    assert db.session.get(GatewayPayment, payment.id).status == "failed"
    # A new QR code for the same sale has its own reference.
    till.post_form("/counter/qris")
    references = db.session.scalars(select(GatewayPayment.reference).order_by(GatewayPayment.id))
    first, second = references.all()
    assert first != second and first.endswith("-1") and second.endswith("-2")
