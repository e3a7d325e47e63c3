"""Without WhatsApp credentials, a shopper who chose WhatsApp is told by email, and the
manager keeps the wa.me button for the ready news, as before."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.orders import fulfilment
from storefront.outbox import OutboxMessage
from tests.conftest import act
from tests.integration.order_helpers import manager, order_for, stocked_product


def test_without_credentials_whatsapp_falls_back_to_email_and_the_button(ctx, outbox):
    product, _batch = stocked_product(5)
    order = order_for({product: 1})
    order.message_channel = "whatsapp"
    db.session.commit()
    boss = manager()
    act(fulfilment.pack, order, actor=boss)
    link = act(fulfilment.ready_for_pickup, order, actor=boss)
    assert link.startswith("https://wa.me/6281234567890?text=")
    assert [m for m in outbox() if "siap" in m["Subject"]]
    channels = db.session.scalars(select(OutboxMessage.channel)).all()
    assert set(channels) == {"email"}
