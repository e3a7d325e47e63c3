"""Card payment through Stripe Checkout, driven with the real `stripe` client against a local
fake (tests/fake_stripe.py), and Stripe's webhooks signed with the test secret."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

import storefront.models  # noqa: F401  (every mapper known before a service module is imported)
from storefront.database import utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderEvent, OrderStatus, Refund
from storefront.orders.services import CheckoutDetails, place_order
from storefront.payments.models import PaymentEvent
from storefront.payments.providers import PaymentError, provider
from storefront.payments.stripe import session_expiry
from storefront.settings.services import set_setting
from storefront.stock import ledger
from storefront.stock.models import MovementKind, ReservationStatus, StockMovement
from tests.conftest import act
from tests.factories import ProductFactory
from tests.fake_stripe import signed, stripe_config
from tests.stock_helpers import receive

WEBHOOK = "/payments/stripe/webhook"


@pytest.fixture
def app_config(fake_stripe):
    return stripe_config(fake_stripe)


def details(**overrides) -> CheckoutDetails:
    values = {
        "name": "Siti Rahma",
        "email": "siti@example.com",
        "phone": "+6281234567890",
        "fulfilment": "pickup",
        "payment_method": "stripe",
    }
    values.update(overrides)
    return CheckoutDetails(**values)


def card_order(*, quantity=2, stock=5, price=85000, **overrides) -> Order:
    product = ProductFactory(price=price, name="Kopi Robusta Tangerang", unit="pack")
    receive(product, stock)
    return act(place_order, {product.id: quantity}, details(**overrides), card_enabled=True)


def start(order: Order):
    checkout = provider().start_checkout(
        order, success_url="http://shop.test/ok", cancel_url="http://shop.test/back"
    )
    db.session.commit()
    return checkout


def paid_card_order(client, fake_stripe, **kwargs) -> tuple[Order, str]:
    order = card_order(**kwargs)
    session_id = start(order).session_id
    assert post(client, fake_stripe.complete(session_id)).status_code == 200
    order = fresh(order)
    return order, order.provider_payment_id


def post(client, event: dict, **sign):
    body, headers = signed(event, **sign)
    return client.post(WEBHOOK, data=body, headers=headers)


def fresh(order: Order) -> Order:
    """The order as the webhook left it (it ran in its own request and session)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Order, order.id)


def available(order: Order) -> int:
    return ledger.available_quantity(order.lines[0].product_id)


def english(message) -> str:
    """Messages are read in English here: outside a request they speak the default, Indonesian."""
    with force_locale("en"):
        return str(message)


def events_of(order: Order) -> list[tuple[str, str]]:
    return [(e.kind, e.to_status) for e in fresh(order).events]


def payment_events() -> list[PaymentEvent]:
    return db.session.scalars(select(PaymentEvent).order_by(PaymentEvent.id)).all()


# --- starting the payment ------------------------------------------------------------------


def test_payment_page_charges_rupiah_times_100_with_the_order_number(ctx, fake_stripe):
    order = card_order(fulfilment="delivery", kecamatan="Cikupa", address="Jl. Raya Serang 1")
    assert order.total == 2 * 85000 + order.delivery_fee and order.delivery_fee > 0

    checkout = start(order)

    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    params = call.params
    product_line, delivery_line = params["line_items"]
    assert product_line["price_data"]["currency"] == "idr"
    assert product_line["price_data"]["unit_amount"] == "8500000"  # Rp85.000, IDR ×100
    assert product_line["price_data"]["product_data"]["name"] == "Kopi Robusta Tangerang (pack)"
    assert product_line["quantity"] == "2"
    assert delivery_line["price_data"]["unit_amount"] == str(order.delivery_fee * 100)
    assert "Cikupa" in delivery_line["price_data"]["product_data"]["name"]
    assert params["mode"] == "payment"
    assert params["metadata"] == {"order_number": order.number}
    assert params["client_reference_id"] == order.number
    assert params["customer_email"] == "siti@example.com"
    assert params["payment_method_types"] == ["card"]
    assert params["success_url"] == "http://shop.test/ok"
    assert call.idempotency_key == f"checkout-{order.number}"
    # The hold is 30 minutes; Stripe wants at least 30 minutes ahead, so the page closes
    # about a minute after the hold ends, never before it.
    expires_at = int(params["expires_at"])
    hold_ends = int(order.reserved_until.timestamp())
    assert hold_ends <= expires_at <= hold_ends + 120

    session = fake_stripe.sessions[checkout.session_id]
    assert session["amount_total"] == order.total * 100
    assert checkout.redirect_url == f"{fake_stripe.base_url}/pay/{checkout.session_id}"
    assert fresh(order).provider_session_id == checkout.session_id


def test_starting_the_payment_twice_makes_one_payment_page(ctx, fake_stripe):
    order = card_order()
    first = start(order)
    second = start(fresh(order))
    assert first.session_id == second.session_id
    assert len(fake_stripe.sessions) == 1


def test_payment_method_types_come_from_the_setting(ctx, fake_stripe):
    set_setting("stripe_payment_method_types", "card, qris")
    db.session.commit()
    start(card_order())
    [call] = fake_stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.params["payment_method_types"] == ["card", "qris"]


def test_payment_page_expiry_stays_inside_stripes_window():
    now = utcnow()
    assert session_expiry(now + timedelta(minutes=29), now) == now + timedelta(minutes=31)
    assert session_expiry(now + timedelta(hours=2), now) == now + timedelta(hours=2)
    assert session_expiry(now + timedelta(days=2), now) == now + timedelta(hours=23, minutes=59)


# --- the payment arrives -------------------------------------------------------------------


def test_paid_webhook_marks_the_order_paid_and_books_the_sale(ctx, client, fake_stripe, outbox):
    order = card_order(quantity=2, stock=5)
    session_id = start(order).session_id
    assert available(order) == 3

    response = post(client, fake_stripe.complete(session_id))

    assert response.status_code == 200
    order = fresh(order)
    assert order.status == OrderStatus.PAID
    assert order.paid_with == "card" and order.paid_amount == order.total
    assert order.provider_payment_id == fake_stripe.sessions[session_id]["payment_intent"]
    assert order.reservation.status == ReservationStatus.COMMITTED
    sales = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.ONLINE_SALE)
    ).all()
    assert [(m.quantity, m.reference_id) for m in sales] == [(-2, order.id)]
    assert available(order) == 3
    assert [e.outcome for e in payment_events()] == ["paid"]
    assert any(
        "Payment received" in str(mail["Subject"]) or order.number in str(mail["Subject"])
        for mail in outbox()
    )


@pytest.mark.parametrize(
    "tamper",
    ["no signature", "wrong secret", "changed body", "old signature", "not json"],
)
def test_webhook_without_a_valid_signature_is_refused_and_changes_nothing(
    ctx, client, fake_stripe, tamper
):
    order = card_order()
    event = fake_stripe.complete(start(order).session_id)
    body, headers = signed(event)
    if tamper == "no signature":
        headers.pop("Stripe-Signature")
    elif tamper == "wrong secret":
        body, headers = signed(event, secret="whsec_someone_else")
    elif tamper == "changed body":
        body = body.replace('"amount_total": ', '"amount_total": 1')
    elif tamper == "old signature":
        import stripe

        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            body, "whsec_test_storefront", timestamp=int(utcnow().timestamp()) - 3600
        )
    elif tamper == "not json":
        body, headers = "{not json", signed(event)[1]
        import stripe

        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            body, "whsec_test_storefront"
        )

    response = client.post(WEBHOOK, data=body, headers=headers)

    assert response.status_code == 400
    assert payment_events() == []
    assert fresh(order).status == OrderStatus.PENDING_PAYMENT
    assert fresh(order).reservation.status == ReservationStatus.ACTIVE


def test_the_same_webhook_five_times_changes_the_order_once(ctx, client, fake_stripe):
    order = card_order(quantity=2, stock=5)
    event = fake_stripe.complete(start(order).session_id)

    answers = [post(client, event) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert answers[1].get_data(as_text=True) == "already processed"
    assert len(payment_events()) == 1
    assert events_of(order).count(("status", OrderStatus.PAID.value)) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.kind == MovementKind.ONLINE_SALE)
        )
        == 1
    )
    assert available(order) == 3


def test_a_payment_of_another_amount_is_flagged_and_not_marked_paid(ctx, client, fake_stripe):
    order = card_order(quantity=2, stock=5)
    session_id = start(order).session_id

    response = post(client, fake_stripe.complete(session_id, amount_total=100 * 100000))

    assert response.status_code == 200
    order = fresh(order)
    assert order.status == OrderStatus.PENDING_PAYMENT and not order.is_paid
    assert "Rp100.000" in order.attention and "Rp170.000" in order.attention
    assert ("problem", OrderStatus.PENDING_PAYMENT.value) in events_of(order)
    # The goods stay held for the shopper while a manager sorts it out.
    assert order.reservation.status == ReservationStatus.ACTIVE
    assert available(order) == 3
    assert payment_events()[0].outcome.startswith("amount mismatch")


def test_a_payment_in_another_currency_is_flagged(ctx, client, fake_stripe):
    order = card_order()
    event = fake_stripe.complete(start(order).session_id)
    event["data"]["object"]["currency"] = "usd"
    post(client, event)
    order = fresh(order)
    assert not order.is_paid and "USD" in order.attention


def test_an_event_for_an_unknown_order_is_stored_and_acknowledged(ctx, client, fake_stripe):
    order = card_order()
    event = fake_stripe.complete(start(order).session_id)
    event["data"]["object"]["metadata"] = {"order_number": "GTG-000000-9999"}
    event["data"]["object"]["client_reference_id"] = None
    event["data"]["object"]["id"] = "cs_test_somewhere_else"

    assert post(client, event).status_code == 200
    assert [e.outcome for e in payment_events()] == ["unknown order"]
    assert not fresh(order).is_paid


# --- expiry, and events out of order -------------------------------------------------------


def test_expired_payment_page_cancels_the_order_and_frees_the_stock(ctx, client, fake_stripe):
    order = card_order(quantity=2, stock=5)
    session_id = start(order).session_id
    assert available(order) == 3

    assert post(client, fake_stripe.expire(session_id)).status_code == 200

    order = fresh(order)
    assert order.status == OrderStatus.CANCELLED
    assert order.reservation.status == ReservationStatus.RELEASED
    assert available(order) == 5
    assert payment_events()[0].outcome == "cancelled, stock released"


def test_failed_bank_payment_cancels_the_order(ctx, client, fake_stripe):
    order = card_order()
    event = fake_stripe.expire(start(order).session_id)
    event["type"] = "checkout.session.async_payment_failed"
    post(client, event)
    assert fresh(order).status == OrderStatus.CANCELLED


def test_payment_after_expiry_is_accepted_while_the_goods_are_still_there(ctx, client, fake_stripe):
    order = card_order(quantity=2, stock=5)
    session_id = start(order).session_id
    post(client, fake_stripe.expire(session_id))
    assert available(fresh(order)) == 5

    post(client, fake_stripe.complete(session_id))

    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.attention == ""
    assert order.reservation.status == ReservationStatus.COMMITTED
    assert available(order) == 3


def test_payment_after_expiry_is_flagged_when_the_goods_were_sold(ctx, client, fake_stripe):
    order = card_order(quantity=2, stock=2)
    session_id = start(order).session_id
    post(client, fake_stripe.expire(session_id))
    product_id = fresh(order).lines[0].product_id
    act(place_order, {product_id: 2}, details(payment_method="outlet"), card_enabled=True)

    post(client, fake_stripe.complete(session_id))

    order = fresh(order)
    assert order.is_paid and order.status == OrderStatus.CANCELLED
    assert order.attention  # a manager must refund it
    assert ("problem", OrderStatus.CANCELLED.value) in events_of(order)
    assert available(order) == 0


def test_expiry_after_payment_changes_nothing(ctx, client, fake_stripe):
    order, _ = paid_card_order(client, fake_stripe, quantity=2, stock=5)
    event = fake_stripe.event(
        "checkout.session.expired", fake_stripe.sessions[order.provider_session_id]
    )
    assert post(client, event).status_code == 200
    order = fresh(order)
    assert order.status == OrderStatus.PAID
    assert available(order) == 3
    assert payment_events()[-1].outcome == "ignored: order already paid"


# --- refunds -------------------------------------------------------------------------------


def test_refund_made_in_the_dashboard_is_recorded_once(ctx, client, fake_stripe):
    order, payment = paid_card_order(client, fake_stripe, quantity=2, stock=5)
    event = fake_stripe.dashboard_refund(payment, 85000 * 100)

    post(client, event)
    post(client, event)
    post(client, fake_stripe.charge_refunded(payment))  # Stripe's second, separate event

    refunds = db.session.scalars(select(Refund)).all()
    assert [(r.amount, r.method, r.restocked) for r in refunds] == [(85000, "stripe", False)]
    order = fresh(order)
    assert order.refunded_amount == 85000
    assert order.attention  # a manager decides whether goods come back
    assert any(refunds[0].provider_reference in e.comment for e in order.events)
    assert order.status == OrderStatus.PAID  # half refunded
    assert available(order) == 3  # no goods come back by themselves


def test_full_refund_in_the_dashboard_marks_the_order_refunded(ctx, client, fake_stripe):
    order, payment = paid_card_order(client, fake_stripe, quantity=1, stock=5)
    post(client, fake_stripe.dashboard_refund(payment, order.total * 100))
    order = fresh(order)
    assert order.refunded_amount == order.total
    assert order.status == OrderStatus.REFUNDED


def test_store_refund_goes_through_stripe_with_its_idempotency_key(ctx, client, fake_stripe):
    order, payment = paid_card_order(client, fake_stripe, quantity=2, stock=5)

    first = provider().refund(order, 85000, idempotency_key="refund-test-1")
    again = provider().refund(order, 85000, idempotency_key="refund-test-1")

    assert first == again
    assert len(fake_stripe.refunds) == 1
    call = fake_stripe.calls_to("POST", "/v1/refunds")[0]
    assert call.params["amount"] == "8500000"
    assert call.params["payment_intent"] == payment
    assert call.idempotency_key == "refund-test-1"
    # The charge.refunded event for the store's own refund may come before the store has
    # written its refund down; it is never counted as a second, dashboard refund.
    post(client, fake_stripe.charge_refunded(payment))
    assert db.session.scalars(select(Refund)).all() == []
    assert fresh(order).refunded_amount == 0


def test_refund_above_what_is_left_is_refused_before_calling_stripe(ctx, client, fake_stripe):
    order, _ = paid_card_order(client, fake_stripe, quantity=2, stock=5)
    order.refunded_amount = 100000
    db.session.commit()

    with pytest.raises(PaymentError) as refused:
        provider().refund(order, order.total - 100000 + 1, idempotency_key="too-much")

    assert "Rp70.000" in english(refused.value.message)
    assert fake_stripe.calls_to("POST", "/v1/refunds") == []


def test_unpaid_order_cannot_be_refunded(ctx, fake_stripe):
    order = card_order()
    with pytest.raises(PaymentError):
        provider().refund(order, 1000, idempotency_key="unpaid")
    assert fake_stripe.calls_to("POST", "/v1/refunds") == []


# --- Stripe says no, or cannot be reached --------------------------------------------------


def test_stripe_refusal_becomes_a_clear_message(ctx, fake_stripe):
    order = card_order()
    fake_stripe.fail_next(400, "invalid_request_error", "Amount must convert to at least 50 cents.")
    with pytest.raises(PaymentError) as refused:
        start(order)
    assert "at least 50 cents" in english(refused.value.message)
    assert fresh(order).provider_session_id is None


def test_wrong_secret_key_becomes_a_clear_message(ctx, fake_stripe):
    fake_stripe.fail_next(401, "invalid_request_error", "Invalid API Key provided: sk_test_***")
    with pytest.raises(PaymentError) as refused:
        start(card_order())
    assert "not set up correctly" in english(refused.value.message)
    assert "sk_test" not in english(refused.value.message)


def test_unreachable_stripe_becomes_a_clear_message(app, ctx, fake_stripe):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{closed_port}"
    with pytest.raises(PaymentError) as refused:
        start(card_order())
    assert "could not be reached" in english(refused.value.message)


def test_closing_a_payment_page_that_is_already_paid_is_harmless(ctx, client, fake_stripe):
    order = card_order()
    session_id = start(order).session_id
    fake_stripe.complete(session_id)
    provider().expire_checkout(fresh(order))  # no error
    other = card_order()
    other_id = start(other).session_id
    provider().expire_checkout(fresh(other))
    assert fake_stripe.sessions[other_id]["status"] == "expired"
    assert fake_stripe.sessions[session_id]["status"] == "complete"


def test_webhook_is_closed_when_card_payment_is_off(ctx, client, app, fake_stripe):
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    assert client.post(WEBHOOK, data="{}").status_code == 404
    assert payment_events() == []


def test_status_change_is_on_the_timeline(ctx, client, fake_stripe):
    order, _ = paid_card_order(client, fake_stripe)
    assert ("status", OrderStatus.PAID.value) in events_of(order)
    assert db.session.scalar(
        select(OrderEvent.comment).where(OrderEvent.to_status == OrderStatus.PAID.value)
    ).endswith(order.provider_payment_id)


# --- through the shop's own pages ----------------------------------------------------------

SHOPPER = {
    "name": "Siti Rahma",
    "email": "siti@example.com",
    "phone": "0812-3456-7890",
    "fulfilment": "pickup",
    "payment_method": "stripe",
    "kecamatan": "",
    "address": "",
    "note": "",
}


def test_shopper_pays_by_card_on_the_payment_page(ctx, client, fake_stripe, outbox):
    product = ProductFactory(price=85000)
    receive(product, 5)
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})

    response = client.post_form("/checkout", SHOPPER)

    assert response.status_code == 303
    # Chromium checks form-action on the redirect that follows the form's POST too.
    assert (
        "form-action 'self' https://checkout.stripe.com"
        in (response.headers["Content-Security-Policy"])
    )
    payment_page = response.headers["Location"]
    assert payment_page.startswith(f"{fake_stripe.base_url}/pay/cs_test_")
    order = db.session.scalar(select(Order))
    assert order.status == OrderStatus.PENDING_PAYMENT
    # The shopper pays; Stripe tells the shop through the webhook.
    session_id = payment_page.rsplit("/", 1)[1]
    assert post(client, fake_stripe.complete(session_id)).status_code == 200
    success = fake_stripe.sessions[session_id]["success_url"]
    page = client.get(success.replace("http://localhost", ""))
    assert page.status_code == 200
    assert fresh(order).status == OrderStatus.PAID
    assert any(order.number in str(mail["Subject"]) for mail in outbox())


def test_stripe_refusing_the_payment_page_is_explained_not_a_500(ctx, client, fake_stripe):
    product = ProductFactory(price=85000)
    receive(product, 5)
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    fake_stripe.fail_next(400, "invalid_request_error", "Amount must convert to at least 50 cents.")

    response = client.post_form("/checkout", SHOPPER, follow_redirects=True)

    assert response.status_code == 200
    assert "at least 50 cents" in response.get_data(as_text=True)
    order = fresh(db.session.scalar(select(Order)))
    assert order.status == OrderStatus.CANCELLED
    assert available(order) == 5


def test_manager_refund_through_stripe_is_counted_once_when_stripe_confirms(
    ctx, client, fake_stripe
):
    from storefront.orders import refunds
    from tests.factories import UserFactory

    order, payment = paid_card_order(client, fake_stripe, quantity=2, stock=5)

    manager = UserFactory(role="manager")
    with client.application.test_request_context():  # the refund email links to the order
        record = act(
            refunds.refund,
            order,
            method="stripe",
            reason="Kemasan rusak",
            actor=manager,
            idempotency_key="refund-form-1",
            full=True,
        )
    post(client, fake_stripe.charge_refunded(payment))

    [stripe_refund] = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == order.total * 100
    assert record.provider_reference == stripe_refund["id"]
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    order = fresh(order)
    assert order.refunded_amount == order.total
    assert order.status == OrderStatus.REFUNDED
    assert payment_events()[-1].outcome == "refunds already recorded"


# The card minimum exists because of the provider's fixed fee per payment, so it applies to
# the amount charged: subtotal plus delivery (orders.services.card_minimum), in one place.


def test_the_card_minimum_counts_the_delivery_fee(ctx, client, fake_stripe):
    set_setting("card_minimum_total", "10000")
    product = ProductFactory(price=8000)
    receive(product, 5)
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="stripe"' in page  # Rp8.000 alone is below, with delivery it is not

    delivered = {
        **SHOPPER,
        "fulfilment": "delivery",
        "kecamatan": "Cikupa",
        "address": "Jl. Raya 1",
    }
    response = client.post_form("/checkout", delivered)

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{fake_stripe.base_url}/pay/")
    order = db.session.scalar(select(Order))
    assert order.payment_method == "stripe" and order.total == 8000 + order.delivery_fee
    assert order.delivery_fee > 0


def test_a_card_payment_below_the_minimum_is_refused_with_the_reason(ctx, client, fake_stripe):
    set_setting("card_minimum_total", "10000")
    product = ProductFactory(price=8000)
    receive(product, 5)
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})

    response = client.post_form("/checkout", SHOPPER)  # pickup: Rp8.000 is charged

    assert response.status_code == 200
    assert "Pembayaran kartu mulai dari Rp10.000" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert ledger.available_quantity(product.id) == 5
