"""QRIS, e-wallets and virtual accounts through the local gateway (Midtrans Core API), driven
with the real `midtransclient` against the local fake (storefront/payments/fake_gateway.py), its
notifications signed with the fake's server key and posted to our webhook."""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.auth.models import User
from storefront.database import utcnow
from storefront.extensions import db
from storefront.orders import services
from storefront.orders.gateway_events import poll_pending_payments
from storefront.orders.models import Order, OrderStatus, Refund
from storefront.payments.models import GatewayPayment, PaymentEvent
from storefront.settings.services import set_setting
from storefront.stock import ledger
from storefront.stock.ledger import verify_ledger
from storefront.stock.models import MovementKind, StockMovement
from tests.conftest import act
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.fake_gateway import gateway_config, sign
from tests.integration.test_checkout import CHECKOUT
from tests.stock_helpers import receive

WEBHOOK = "/payments/midtrans/notification"


@pytest.fixture
def app_config(fake_gateway):
    return gateway_config(fake_gateway)


@pytest.fixture
def kopi(ctx):
    product = ProductFactory(name="Kopi Robusta Cikupa", price=45_000)
    receive(product, 5)
    db.session.commit()
    return product


def fresh(model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


def checkout(client, product, method: str, quantity: str = "2"):
    client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    response = client.post_form("/checkout", {**CHECKOUT, "payment_method": method})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    order = db.session.scalar(select(Order).order_by(Order.id.desc()))
    return order, response


def notify(client, body: dict):
    return client.post(WEBHOOK, data=json.dumps(body), content_type="application/json")


def available(product) -> int:
    db.session.expire_all()
    return ledger.available_quantity(product.id)


def events() -> list[PaymentEvent]:
    return db.session.scalars(select(PaymentEvent).order_by(PaymentEvent.id)).all()


# --- checkout and the order page -----------------------------------------------------------


def test_qris_checkout_shows_our_qr_code_and_holds_the_goods_for_the_qris_time(
    client, kopi, fake_gateway
):
    set_setting("reservation_minutes_qris", "25")
    db.session.commit()
    order, response = checkout(client, kopi, "qris")

    assert order.payment_method == "gateway" and order.status == OrderStatus.PENDING_PAYMENT
    hold = order.reserved_until - order.created_at
    assert timedelta(minutes=24) < hold <= timedelta(minutes=25)
    [call] = fake_gateway.calls_to("POST", "/v2/charge")
    body = call[2]
    assert body["payment_type"] == "qris"
    assert body["transaction_details"] == {"order_id": order.number, "gross_amount": 90_000}
    assert body["custom_expiry"]["unit"] == "minute"
    assert 23 <= body["custom_expiry"]["expiry_duration"] <= 25
    payment = db.session.scalar(select(GatewayPayment))
    assert payment.reference == order.number and payment.transaction_id
    assert payment.qr_string.startswith("000201") and payment.channel == "qris"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="qris-code"' in page and "<svg" in page
    assert "payment-status" in page  # the live status asks this address
    assert 'http-equiv="refresh"' in page  # …and without JavaScript the page reloads itself
    assert client.get(f"/orders/{order.number}/payment-status").get_json() == {
        "status": "pending_payment",
        "paid": False,
        "payment": "pending",
    }


def test_va_checkout_shows_the_number_with_copy_buttons_and_bank_steps(client, kopi, fake_gateway):
    order, response = checkout(client, kopi, "bca")
    hold = order.reserved_until - order.created_at
    assert timedelta(hours=11) < hold <= timedelta(hours=12)  # reservation_hours_va default
    payment = db.session.scalar(select(GatewayPayment))
    assert payment.va_number.startswith("8")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert payment.va_number in page and 'data-copy="' + payment.va_number + '"' in page
    assert "BCA" in page


def test_mandiri_is_a_bill_payment_with_company_code_and_bill_key(client, kopi, fake_gateway):
    _order, response = checkout(client, kopi, "mandiri")
    [call] = fake_gateway.calls_to("POST", "/v2/charge")
    assert call[2]["payment_type"] == "echannel"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="biller-code"' in page and "70012" in page


def test_ewallet_checkout_shows_the_app_link(client, kopi, fake_gateway):
    _order, response = checkout(client, kopi, "shopeepay")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="wallet-link"' in page


def test_gateway_down_at_checkout_keeps_the_order_and_offers_pay_at_the_outlet(
    client, kopi, fake_gateway
):
    fake_gateway.down = True
    order, response = checkout(client, kopi, "qris")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="pay-at-outlet"' in page
    assert available(kopi) == 3  # the goods are still held

    response = client.post_form(f"/orders/{order.number}/pay-at-outlet")
    assert response.status_code == 302
    order = fresh(Order, order.id)
    assert order.payment_method == "outlet"
    assert order.reserved_until - utcnow() > timedelta(hours=47)
    assert order.reservation.expires_at == order.reserved_until
    assert available(kopi) == 3

    # …and it cannot switch twice.
    client.post_form(f"/orders/{order.number}/pay-at-outlet")
    assert fresh(Order, order.id).payment_method == "outlet"


def test_gateway_down_then_up_the_shopper_tries_again(client, kopi, fake_gateway):
    fake_gateway.down = True
    order, _ = checkout(client, kopi, "bri")
    fake_gateway.down = False
    response = client.post_form(f"/orders/{order.number}/pay")
    assert response.status_code in (302, 303)
    payment = db.session.scalar(select(GatewayPayment))
    db.session.refresh(payment)
    assert payment.va_number and payment.transaction_id


def test_gateway_not_configured_is_not_offered_and_refused(client, kopi, app):
    app.config["PAYMENT_GATEWAY"] = ""
    page = client.get("/cart") and client.post(
        "/cart/add", data={"product_id": kopi.id, "quantity": "1"}
    )
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="qris"' not in page
    response = client.post_form("/checkout", {**CHECKOUT, "payment_method": "qris"})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


# --- notifications -------------------------------------------------------------------------


def test_paid_notification_marks_the_order_paid_and_sells_the_held_stock(
    client, kopi, fake_gateway
):
    order, _ = checkout(client, kopi, "qris")
    body = fake_gateway.pay(order.number, send=False)

    response = notify(client, body)
    assert response.status_code == 200 and response.get_data(as_text=True) == "paid"
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.PAID and order.paid_with == "qris"
    assert order.paid_amount == 90_000
    sales = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.ONLINE_SALE)
    ).all()
    assert sum(-m.quantity for m in sales) == 2
    assert client.get(f"/orders/{order.number}/payment-status").get_json()["paid"] is True

    # The same notification again changes nothing.
    again = notify(client, body)
    assert again.status_code == 200 and again.get_data(as_text=True) == "already processed"
    assert len(events()) == 1
    assert verify_ledger()[1] == []


def test_bad_signature_is_refused_and_changes_nothing(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    body = fake_gateway.pay(order.number, send=False)
    forged = {**body, "signature_key": sign(order.number, "200", "90000.00", "wrong-key")}
    assert notify(client, forged).status_code == 403
    assert notify(client, {**body, "gross_amount": "1.00"}).status_code == 403  # not re-signed
    assert client.post(WEBHOOK, data=b"not json").status_code == 403
    assert notify(client, {k: v for k, v in body.items() if k != "signature_key"}).status_code == (
        403
    )
    assert fresh(Order, order.id).status == OrderStatus.PENDING_PAYMENT
    assert events() == []


def test_notification_for_an_unknown_order_is_stored_and_changes_nothing(
    client, kopi, fake_gateway
):
    order, _ = checkout(client, kopi, "qris")
    body = fake_gateway.notification(order.number, order_id="GTG-000000-9999")
    body["signature_key"] = sign(
        "GTG-000000-9999", body["status_code"], body["gross_amount"], fake_gateway.server_key
    )
    response = notify(client, body)
    assert response.status_code == 200 and "unknown" in response.get_data(as_text=True)
    assert [e.order_id for e in events()] == [None]
    assert fresh(Order, order.id).status == OrderStatus.PENDING_PAYMENT


def test_wrong_amount_is_flagged_not_paid(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    body = fake_gateway.pay(order.number, amount=9_000, send=False)
    response = notify(client, body)
    assert response.status_code == 200 and "mismatch" in response.get_data(as_text=True)
    order = fresh(Order, order.id)
    assert order.paid_at is None and order.status == OrderStatus.PENDING_PAYMENT
    assert "Rp9.000" in order.attention and "Rp90.000" in order.attention
    assert db.session.scalar(select(GatewayPayment.status)) == "mismatch"


def test_fractional_amount_is_never_rounded_into_a_payment(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    fake_gateway.pay(order.number, send=False)
    body = fake_gateway.notification(order.number, gross_amount="90000.50")
    assert notify(client, body).status_code == 200
    assert fresh(Order, order.id).paid_at is None


def test_expired_payment_releases_the_hold(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "bni")
    assert available(kopi) == 3
    response = notify(client, fake_gateway.expire(order.number, send=False))
    assert response.get_data(as_text=True) == "cancelled, stock released"
    assert fresh(Order, order.id).status == OrderStatus.CANCELLED
    assert available(kopi) == 5


def test_expiry_after_payment_changes_nothing(client, kopi, fake_gateway):
    """Out of order: the settlement is applied first, the older 'expire' news comes later."""
    order, _ = checkout(client, kopi, "qris")
    paid = fake_gateway.pay(order.number, send=False)
    late = fake_gateway.notification(order.number, transaction_status="expire", status_code="407")
    late["signature_key"] = sign(order.number, "407", late["gross_amount"], fake_gateway.server_key)
    assert notify(client, paid).status_code == 200
    assert notify(client, late).get_data(as_text=True) == "ignored: order already paid"
    pending = fake_gateway.notification(
        order.number, transaction_status="pending", status_code="201"
    )
    pending["signature_key"] = sign(
        order.number, "201", pending["gross_amount"], fake_gateway.server_key
    )
    assert notify(client, pending).status_code == 200
    assert fresh(Order, order.id).status == OrderStatus.PAID


def test_paid_after_expiry_holds_the_goods_again_when_they_are_there(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        client.get(f"/orders/{order.number}")  # the hold ran out: cancelled on reading
        assert fresh(Order, order.id).status == OrderStatus.CANCELLED
        response = notify(client, fake_gateway.pay(order.number, send=False))
    assert response.get_data(as_text=True) == "paid after expiry, stock held again"
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.PAID and available(kopi) == 3


def test_paid_after_expiry_when_the_goods_are_gone_is_flagged_for_a_refund(
    client, kopi, fake_gateway
):
    order, _ = checkout(client, kopi, "qris", quantity="5")
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        client.get(f"/orders/{order.number}")
        other = ledger.reserve([ledger.Line(kopi.id, 5)], timedelta(hours=1), reference="other")
        assert other.id
        db.session.commit()
        response = notify(client, fake_gateway.pay(order.number, send=False))
    assert "goods gone" in response.get_data(as_text=True)
    order = fresh(Order, order.id)
    assert order.paid_at is not None and order.attention


# --- the race and the safety net -----------------------------------------------------------


def test_two_notifications_at_once_record_one_payment(app, client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    body = json.dumps(fake_gateway.pay(order.number, send=False))
    start = threading.Barrier(4)

    def deliver(_):
        webhook = app.test_client()
        start.wait(timeout=30)
        return webhook.post(WEBHOOK, data=body, content_type="application/json")

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(deliver, range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    texts = sorted(a.get_data(as_text=True) for a in answers)
    assert texts == ["already processed"] * 3 + ["paid"]
    db.session.expire_all()
    assert len(events()) == 1
    sales = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.ONLINE_SALE)
    ).all()
    assert sum(-m.quantity for m in sales) == 2
    assert verify_ledger()[1] == []


def test_poll_finds_a_payment_whose_notification_never_came(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "gopay")
    fake_gateway.pay(order.number, send=False)
    counts = act(poll_pending_payments)
    assert counts == {"asked": 1, "changed": 1, "unreachable": 0}
    assert fresh(Order, order.id).status == OrderStatus.PAID
    # The notification arriving afterwards is a replay.
    response = notify(client, fake_gateway.notification(order.number))
    assert response.get_data(as_text=True) == "already processed"
    assert act(poll_pending_payments) == {"asked": 0, "changed": 0, "unreachable": 0}


def test_poll_with_the_gateway_down_changes_nothing(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    fake_gateway.down = True
    assert act(poll_pending_payments) == {"asked": 1, "changed": 0, "unreachable": 1}
    assert fresh(Order, order.id).status == OrderStatus.PENDING_PAYMENT


def test_poll_payments_command(app, client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    fake_gateway.expire(order.number, send=False)
    result = app.test_cli_runner().invoke(args=["poll-payments"])
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    assert fresh(Order, order.id).status == OrderStatus.CANCELLED


def test_shopper_cancelling_closes_the_payment_at_the_gateway(client, kopi, fake_gateway):
    order, _ = checkout(client, kopi, "qris")
    client.post_form(f"/orders/{order.number}/cancel")
    assert fresh(Order, order.id).status == OrderStatus.CANCELLED
    assert fake_gateway.payments[order.number]["transaction_status"] == "expire"


# --- refunds -------------------------------------------------------------------------------


def paid_order(client, product, fake_gateway, method: str) -> Order:
    order, _ = checkout(client, product, method)
    assert notify(client, fake_gateway.pay(order.number, send=False)).status_code == 200
    return fresh(Order, order.id)


def gateway_refund(order: Order, key: str = "refund-key-1", **kwargs):
    from storefront.orders import refunds

    manager = db.session.scalar(select(User).where(User.role == "manager")) or UserFactory(
        email="manajer@example.com", role="manager"
    )
    return act(
        refunds.refund,
        order,
        method=kwargs.pop("method", "gateway"),
        reason="Rusak",
        actor=manager,
        idempotency_key=key,
        full=True,
        **kwargs,
    )


def test_ewallet_payment_is_refunded_through_the_gateway_once(client, kopi, fake_gateway):
    from storefront.orders import refunds

    order = paid_order(client, kopi, fake_gateway, "gopay")
    assert [m.value for m in refunds.methods_for(order)] == ["gateway", "cash", "transfer"]
    record = gateway_refund(order)
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == 90_000
    [call] = fake_gateway.calls_to("POST", f"/v2/{order.number}/refund")
    assert call[2]["refund_key"] == "refund-key-1" and call[2]["amount"] == 90_000
    assert record.provider_reference == "gateway-refund-key-1"
    # The same form again changes nothing and asks nobody.
    again = gateway_refund(order)
    assert again.id == record.id
    assert len(fake_gateway.calls_to("POST", f"/v2/{order.number}/refund")) == 1
    assert fresh(Order, order.id).refunded_amount == 90_000


def test_qris_and_va_payments_are_not_refunded_through_the_gateway(client, kopi, fake_gateway):
    from storefront.orders import refunds

    order = paid_order(client, kopi, fake_gateway, "qris")
    assert [m.value for m in refunds.methods_for(order)] == ["cash", "transfer"]
    with pytest.raises(services.OrderError):
        gateway_refund(order)
    assert fake_gateway.calls_to("POST", f"/v2/{order.number}/refund") == []


def test_a_refund_the_gateway_refuses_changes_nothing(client, kopi, fake_gateway):
    order = paid_order(client, kopi, fake_gateway, "shopeepay")
    fake_gateway.fail_next(412, "Transaction cannot be refunded")
    with pytest.raises(services.OrderError) as refused:
        gateway_refund(order)
    assert "Transaction cannot be refunded" in str(refused.value.message)
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.PAID and order.refunded_amount == 0
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


# --- reconciliation ------------------------------------------------------------------------


def manager_client(client):
    UserFactory(email="rekon@example.com", role="manager")
    db.session.commit()
    assert client.login("rekon@example.com", PASSWORD).status_code == 302
    return client


def test_reconciliation_from_the_status_api_finds_what_differs(client, kopi, fake_gateway):
    from storefront.clock import today_wib

    paid = paid_order(client, kopi, fake_gateway, "qris")
    lost, _ = checkout(client, kopi, "bca", quantity="1")
    fake_gateway.pay(lost.number, send=False)  # paid there; its notification never came
    manager = manager_client(client)
    day = today_wib().isoformat()
    page = manager.get(f"/manage/payments/reconciliation?start={day}&end={day}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 masalah" in html or "1 problem" in html
    assert lost.number in html and paid.number in html
    assert "Dibayar di payment gateway, belum tercatat di sini" in html


def test_reconciliation_from_a_settlement_file_shows_fees_and_strangers(client, kopi, fake_gateway):
    from storefront.clock import today_wib

    paid = paid_order(client, kopi, fake_gateway, "qris")
    csv_text = fake_gateway.settlement_csv() + "GTG-000000-7777,tx-stranger,qris,5000,35,4965,\n"
    manager = manager_client(client)
    day = today_wib().isoformat()
    page = manager.post_form(
        "/manage/payments/reconciliation",
        {"start": day, "end": day, "file": (io.BytesIO(csv_text.encode()), "settlement.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert paid.number in html and "GTG-000000-7777" in html
    assert "Rp630" in html  # 0.7 % of Rp90.000
    assert "Bukan pembayaran dari toko ini" in html

    bad = manager.post_form(
        "/manage/payments/reconciliation",
        {"start": day, "end": day, "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400


def test_reconciliation_range_is_checked(client, kopi, fake_gateway):
    manager = manager_client(client)
    page = manager.get("/manage/payments/reconciliation?start=2026-12-05&end=2026-12-01")
    assert page.status_code == 400


def test_daily_takings_count_ewallet_and_va_as_online_payments(client, kopi, fake_gateway):
    from storefront.clock import today_wib
    from storefront.reports.ranges import DateRange
    from storefront.reports.sales import daily_takings

    paid_order(client, kopi, fake_gateway, "gopay")
    va, _ = checkout(client, kopi, "bri", quantity="1")
    notify(client, fake_gateway.pay(va.number, send=False))
    [day] = daily_takings(DateRange(today_wib(), today_wib()))
    assert (day.method("card"), day.method("qris")) == (135_000, 0)


def test_va_order_email_repeats_the_number_and_the_deadline(client, kopi, fake_gateway, outbox):
    order, _ = checkout(client, kopi, "bni")
    payment = db.session.scalar(select(GatewayPayment))
    [message] = outbox()
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert payment.va_number in body and "BNI" in body and order.number in body
