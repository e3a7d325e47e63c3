"""The outbox: messages are rows written with their change, delivered after the commit, once,
by any number of workers, through SMTP failures, a lost queue and a worker killed mid-way."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.database import utcnow
from storefront.extensions import db
from storefront.mail import send_mail
from storefront.outbox import MessageStatus, OutboxMessage
from storefront.worker import delivery
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory
from tests.integration import onboarding_helpers as onboarding


def rows(**filters) -> list[OutboxMessage]:
    db.session.expire_all()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in filters.items():
        statement = statement.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(statement))


def later(minutes: int):
    return time_machine.travel(utcnow() + timedelta(minutes=minutes), tick=True)


def test_a_refused_action_leaves_no_message(ctx, outbox):
    def fails():
        send_mail("ani@example.com", "Halo", "Isi")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        act(fails)
    assert rows() == [] and outbox() == []


def test_one_event_mails_each_recipient_once(ctx, outbox):
    def twice():
        first = send_mail("ani@example.com", "Pesanan", "Isi", key="order:1:ready")
        second = send_mail("ANI@example.com", "Pesanan", "Isi", key="order:1:ready")
        other = send_mail("budi@example.com", "Pesanan", "Isi", key="order:1:ready")
        return first, second, other

    first, second, other = act(twice)
    assert first is not None and second is None and other is not None
    act(send_mail, "ani@example.com", "Pesanan", "Isi", key="order:1:ready")  # a replayed event
    assert len(rows()) == 2
    assert sorted(m["To"] for m in outbox()) == ["ani@example.com", "budi@example.com"]
    assert {m.status for m in rows()} == {MessageStatus.SENT.value}


def test_the_html_part_and_the_text_part_both_go(ctx, outbox):
    act(send_mail, "ani@example.com", "Halo", "Teks", "<p>HTML</p>")
    [mail] = outbox()
    assert mail.get_body(("plain",)).get_content().strip() == "Teks"
    assert "<p>HTML</p>" in mail.get_body(("html",)).get_content()


# --- several workers, a dead worker ---------------------------------------------------------


def _deliver_in_threads(app, target, *args, count=4):
    results = []

    def run():
        with app.app_context():
            results.append(target(*args))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _waiting_messages(app, n):
    with app.app_context():
        for i in range(n):
            db.session.add(
                OutboxMessage(
                    key=f"test:{i}",
                    recipient=f"p{i}@example.com",
                    subject="Halo",
                    text_body="Isi",
                    next_attempt_at=utcnow(),
                )
            )
        db.session.commit()
        ids = list(db.session.scalars(select(OutboxMessage.id)))
        db.session.remove()
    return ids


def test_several_workers_never_deliver_one_message_twice(app, outbox):
    [message_id] = _waiting_messages(app, 1)
    results = _deliver_in_threads(app, delivery.deliver, message_id)
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(outbox()) == 1


def test_several_sweeps_at_once_share_the_queue_without_sending_twice(app, outbox):
    _waiting_messages(app, 20)
    results = _deliver_in_threads(app, delivery.deliver_due)
    assert sum(results) == 20
    assert sorted(m["To"] for m in outbox()) == sorted(f"p{i}@example.com" for i in range(20))
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(OutboxMessage.status == MessageStatus.SENT.value)
            )
            == 20
        )


def test_a_worker_killed_mid_delivery_leaves_the_message_to_the_next_one(app, ctx, outbox):
    db.session.add(OutboxMessage(key="test:dead", recipient="p@example.com", subject="Halo"))
    db.session.commit()
    message_id = db.session.scalar(select(OutboxMessage.id))
    # A worker claims the row, then dies before sending (no record of the attempt's end).
    with delivery.unit_of_work():
        assert delivery._claim([message_id], utcnow()) is not None
    assert delivery.deliver_due() == 0  # its lease still runs: nobody else sends it
    assert delivery.deliver(message_id) == "skipped"
    with later(6):  # the lease ran out: the next sweep delivers it, once
        assert delivery.deliver_due() == 1
        assert delivery.deliver_due() == 0
    [message] = rows()
    assert message.status == MessageStatus.SENT.value and message.attempts == 2
    assert len(outbox()) == 1


def test_each_attempt_is_logged_without_personal_data(ctx, caplog, monkeypatch):
    caplog.set_level("INFO", logger="storefront.outbox")
    act(send_mail, "ani@example.com", "Rahasia pesanan", "Isi", event="order_ready")
    [record] = [r for r in caplog.records if r.name == "storefront.outbox"]
    assert '"outcome": "sent"' in record.getMessage()
    assert '"event": "order_ready"' in record.getMessage()
    assert "ani@example.com" not in record.getMessage()
    assert "Rahasia" not in record.getMessage()


def test_a_sent_password_link_is_not_kept_nor_sent_again(app, client, ctx, outbox):
    UserFactory(email="rina@example.com", name="Rina")
    client.post_form("/account/password/forgot", {"email": "rina@example.com"})
    [message] = rows()
    assert message.status == MessageStatus.SENT.value and message.event == "reset_password"
    assert message.text_body == "" and message.html_body is None
    assert "/account/password/reset/" in outbox()[0].get_content()  # it was delivered whole
    onboarding.manager(app)
    manager = Client(app.test_client())
    manager.login("manajer@example.com", PASSWORD)
    assert f"/manage/messages/{message.id}/resend" not in manager.get("/manage/messages").text
    manager.post_form(f"/manage/messages/{message.id}/resend", {})
    assert rows()[0].status == MessageStatus.SENT.value and len(outbox()) == 1
