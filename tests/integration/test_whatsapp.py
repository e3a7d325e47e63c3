"""WhatsApp: a shopper who chose it gets the approved template from the Cloud API (a local
fake); failures are retried; without credentials or with a bad number, email does the job."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from storefront.database import utcnow
from storefront.extensions import db
from storefront.notices import INVALID_PHONE_NOTE
from storefront.orders import fulfilment, notify
from storefront.outbox import MessageStatus, OutboxMessage
from storefront.worker import delivery
from tests.conftest import act
from tests.fake_whatsapp import FakeWhatsApp
from tests.integration.order_helpers import manager, order_for, stocked_product

FAKE = FakeWhatsApp()


@pytest.fixture(autouse=True)
def fake_graph():
    FAKE.received.clear()
    FAKE.status, FAKE.delay = 200, 0.0
    yield FAKE


@pytest.fixture
def app_config():
    return {
        "WHATSAPP_TOKEN": "test-token",
        "WHATSAPP_PHONE_NUMBER_ID": "1055",
        "WHATSAPP_API_BASE": FAKE.base_url,
        "WHATSAPP_TIMEOUT": 1,
    }


def ready_order(channel: str):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    order.message_channel = channel
    db.session.commit()
    act(fulfilment.pack, order, actor=manager())
    act(fulfilment.ready_for_pickup, order, actor=manager(email="boss2@example.com"))
    return order


def whatsapp_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "whatsapp")
            .order_by(OutboxMessage.id)
        )
    )


def later(minutes: int):
    return time_machine.travel(utcnow() + timedelta(minutes=minutes), tick=True)


def test_a_shopper_who_chose_whatsapp_gets_the_order_ready_template(ctx, outbox, fake_graph):
    order = ready_order("whatsapp")
    [sent] = fake_graph.received
    assert sent["path"] == "/v21.0/1055/messages"
    assert sent["auth"] == "Bearer test-token"
    body = sent["body"]
    assert body["to"] == "6281234567890" and body["type"] == "template"
    assert body["template"]["name"] == "gerai_order_ready"
    assert body["template"]["language"] == {"code": "id"}
    params = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert params[:2] == ["Sari Wulandari", order.number]
    assert params[2].startswith(f"http://localhost/orders/{order.number}?key=")
    # WhatsApp only: the ready news is not emailed as well.
    assert not [m for m in outbox() if "siap" in m["Subject"]]


def test_both_channels_send_both(ctx, outbox, fake_graph):
    ready_order("both")
    assert [s["body"]["template"]["name"] for s in fake_graph.received] == ["gerai_order_ready"]
    assert [m for m in outbox() if "siap" in m["Subject"]]


def test_the_api_answering_500_is_retried_until_it_works(ctx, fake_graph):
    fake_graph.status = 500
    ready_order("whatsapp")
    [row] = whatsapp_rows()
    assert row.status == MessageStatus.PENDING.value and row.last_error == "WhatsAppError: HTTP 500"
    fake_graph.status = 200
    with later(2):
        assert delivery.deliver_due() == 1
    [row] = whatsapp_rows()
    assert row.status == MessageStatus.SENT.value
    assert len(fake_graph.received) == 1


def test_a_timeout_is_retried(ctx, fake_graph):
    fake_graph.delay = 2  # longer than WHATSAPP_TIMEOUT
    ready_order("whatsapp")
    [row] = whatsapp_rows()
    assert row.status == MessageStatus.PENDING.value and row.last_error == "WhatsAppError: timeout"
    fake_graph.delay = 0
    with later(2):
        delivery.deliver_due()
    assert whatsapp_rows()[0].status == MessageStatus.SENT.value


def test_a_refused_message_fails_at_once_for_the_manager_to_see(ctx, fake_graph):
    fake_graph.status = 400  # e.g. a template the account has not got approved
    ready_order("whatsapp")
    [row] = whatsapp_rows()
    assert row.status == MessageStatus.FAILED.value and row.attempts == 1


def test_an_invalid_number_means_email_only_with_a_note_for_the_manager(ctx, outbox, fake_graph):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    order.message_channel = "whatsapp"
    order.phone = "+62123"  # stored before numbers were checked
    db.session.commit()
    act(notify.order_ready, order)
    assert fake_graph.received == []
    assert len([m for m in outbox() if "siap" in m["Subject"]]) == 1
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.event == "order_ready"))
    assert row.channel == "email" and row.note == INVALID_PHONE_NOTE


def test_the_logs_of_a_whatsapp_delivery_hold_no_phone_number(ctx, caplog, monkeypatch):
    caplog.set_level("INFO", logger="storefront.outbox")
    ready_order("whatsapp")
    text = " ".join(r.getMessage() for r in caplog.records if r.name == "storefront.outbox")
    assert '"channel": "whatsapp"' in text
    assert "6281234567890" not in text and "Sari" not in text
