"""Faults on the way out: the SMTP server down, Redis gone when a request queues a message,
and the real worker (Huey's consumer) delivering on SQLite and on Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.database import utcnow
from storefront.extensions import db
from storefront.mail import send_mail
from storefront.outbox import MessageStatus, OutboxMessage
from storefront.worker import delivery
from tests.conftest import Client, act
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.fake_smtp import FakeSMTP, free_port
from tests.integration import onboarding_helpers as onboarding
from tests.stock_helpers import receive

SMTP_PORT = free_port()


def rows(**filters) -> list[OutboxMessage]:
    db.session.expire_all()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in filters.items():
        statement = statement.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(statement))


def later(minutes: int):
    return time_machine.travel(utcnow() + timedelta(minutes=minutes), tick=True)


# --- SMTP down ------------------------------------------------------------------------------


@pytest.fixture
def app_config():
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": SMTP_PORT, "MAIL_USE_TLS": False}


@pytest.fixture
def smtp_down(app_config):
    # The port is free: nothing listens until the test starts the server.
    return app_config


def _checkout(client):
    product = ProductFactory(name="Kopi Robusta Cikupa", price=45_000)
    receive(product, 5)
    db.session.commit()
    client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    return client.post_form(
        "/checkout",
        {
            "name": "Siti Rahma",
            "email": "siti@example.com",
            "phone": "0812-3456-7890",
            "fulfilment": "pickup",
            "payment_method": "outlet",
        },
    )


def test_with_smtp_down_checkout_reset_and_application_succeed_and_mail_follows(
    app, smtp_down, client, ctx
):
    assert _checkout(client).status_code == 302
    UserFactory(email="rina@example.com", name="Rina")
    assert (
        client.post_form("/account/password/forgot", {"email": "rina@example.com"}).status_code
        == 302
    )
    applicant = Client(app.test_client())
    onboarding.applicant(applicant)
    vendor = onboarding.complete_application(applicant)
    assert vendor is not None

    waiting = rows()
    assert len(waiting) >= 3
    assert {m.status for m in waiting} == {MessageStatus.PENDING.value}
    assert all(m.attempts == 1 and m.last_error for m in waiting)
    assert {"siti@example.com", "rina@example.com", "nyai@example.com"} <= {
        m.recipient for m in waiting
    }

    server = FakeSMTP(SMTP_PORT)
    try:
        assert delivery.deliver_due() == 0  # not due yet: the first retry waits a minute
        with later(2):
            assert delivery.deliver_due() == len(waiting)
            assert delivery.deliver_due() == 0
    finally:
        server.stop()
    assert {m.status for m in rows()} == {MessageStatus.SENT.value}
    delivered = [m["To"] for m in server.messages]
    assert sorted(delivered) == sorted(m.recipient for m in waiting)  # each once


def test_a_message_that_keeps_failing_is_marked_failed_and_can_be_sent_again(
    app, smtp_down, client, ctx
):
    act(send_mail, "ani@example.com", "Halo", "Isi")
    for minutes in range(1, delivery.MAX_ATTEMPTS + 1):
        with later(2**minutes):
            delivery.deliver_due()
    [message] = rows()
    assert message.status == MessageStatus.FAILED.value
    assert message.attempts == delivery.MAX_ATTEMPTS
    assert "ani@example.com" not in message.last_error  # no personal data in the record

    onboarding.manager(app)
    manager = Client(app.test_client())
    assert manager.login("manajer@example.com", PASSWORD).status_code == 302
    page = manager.get("/manage/messages").get_data(as_text=True)
    assert f"/manage/messages/{message.id}/resend" in page and "ani@example.com" in page
    assert "Gagal" in page and "Kirim ulang" in page
    server = FakeSMTP(SMTP_PORT)
    try:
        response = manager.post_form(f"/manage/messages/{message.id}/resend", {})
        assert response.status_code == 302
    finally:
        server.stop()
    [message] = rows()
    assert message.status == MessageStatus.SENT.value
    assert [m["To"] for m in server.messages] == ["ani@example.com"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.resend"))
    assert entry is not None and entry.subject_id == message.id


def test_resend_of_an_unknown_message_is_404(app, client, ctx):
    onboarding.manager(app)
    manager = Client(app.test_client())
    manager.login("manajer@example.com", PASSWORD)
    assert manager.post_form("/manage/messages/999/resend", {}).status_code == 404


def test_shoppers_cannot_see_the_messages_page(client, ctx):
    UserFactory(email="ani@example.com")
    client.login("ani@example.com", PASSWORD)
    assert client.get("/manage/messages").status_code == 403
