"""The outbox: every message the shop sends (email, WhatsApp) is first a row here, written in
the same unit of work as the change it reports, so there is no message without its change and
no change without its message (issue 16, docs/operations.md).

The row is delivered after the commit by the worker (`storefront/worker/delivery.py`): the
action only asks, with `after_commit`, that delivery be queued; if the queue cannot be reached
the row waits and the worker's sweep, every minute, finds it. One idempotency key per event
and recipient, unique in the table, means a repeated event (a Stripe webhook sent twice, a job
run on two workers) never queues a second message.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import Index, String, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import (
    TimestampMixin,
    UTCDateTime,
    after_commit,
    in_unit_of_work,
    utcnow,
)
from storefront.extensions import db


class Channel(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS; a manager may resend it


class OutboxMessage(TimestampMixin, db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Event and recipient, e.g. "order:12:ready:email:ani@example.id"; unique: never twice.
    key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    event: Mapped[str] = mapped_column(String(60), nullable=False, default="mail")
    channel: Mapped[str] = mapped_column(String(10), nullable=False, default=Channel.EMAIL.value)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="id")
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    text_body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    html_body: Mapped[str | None] = mapped_column(Text)
    # WhatsApp: the approved template's name and its parameters (JSON list of strings).
    template: Mapped[str | None] = mapped_column(String(100))
    params: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=MessageStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The error's kind and code only: never the address or the message's text.
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For the manager: why this message went by email only (no valid WhatsApp number...).
    note: Mapped[str | None] = mapped_column(String(300))

    @property
    def key_digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]

    @property
    def param_list(self) -> list[str]:
        return json.loads(self.params) if self.params else []


DISPATCH = "outbox.dispatch"  # app.extensions: queues one message's delivery (the worker's)


def set_dispatcher(app, dispatch: Callable[[int], None]) -> None:
    """The worker package says how a delivery is queued (a Huey task), at start-up."""
    app.extensions[DISPATCH] = dispatch


def add_message(
    *,
    channel: Channel,
    recipient: str,
    event: str = "mail",
    key: str | None = None,
    locale: str = "id",
    subject: str = "",
    text_body: str = "",
    html_body: str | None = None,
    template: str | None = None,
    params: list[str] | None = None,
    note: str | None = None,
) -> OutboxMessage | None:
    """Record a message in the current action; it is delivered once the action commits.

    `key` names the event (its recipient and channel are added): a second message for the same
    event and recipient is not recorded and None is returned. Without a key every call is an
    event of its own."""
    full_key = f"{key or event + ':' + uuid.uuid4().hex}:{channel.value}:{recipient.lower()}"
    full_key = full_key[:255]
    existing = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == full_key))
    if existing is not None:
        return None
    message = OutboxMessage(
        key=full_key,
        event=event[:60],
        channel=channel.value,
        recipient=recipient,
        locale=locale or current_app.config["BABEL_DEFAULT_LOCALE"],
        subject=subject[:300],
        text_body=text_body,
        html_body=html_body,
        template=template,
        params=json.dumps(params, ensure_ascii=False) if params is not None else None,
        note=(note or None) and note[:300],
        next_attempt_at=utcnow(),
    )
    try:
        with db.session.begin_nested():  # two actions reporting one event at once: one row
            db.session.add(message)
    except IntegrityError:
        return None
    message_id = message.id
    if in_unit_of_work():
        after_commit(lambda: kick(message_id))
    # Outside an action (a shell, a test's set-up) whoever commits the row leaves it to the
    # worker's sweep.
    return message


def kick(message_id: int) -> None:
    """Queue the delivery. The queue being unreachable (Redis down) loses nothing: the row is
    pending, and the worker's sweep delivers it."""
    dispatch = current_app.extensions.get(DISPATCH)
    if dispatch is None:
        return
    try:
        dispatch(message_id)
    except Exception as error:
        current_app.logger.warning(
            "outbox: could not queue message %s (%s); the sweep will deliver it",
            message_id,
            type(error).__name__,
        )


def purge_delivered(now: datetime, keep_days: int) -> int:
    """Delete messages sent, or given up on, more than `keep_days` ago; returns how many.

    They hold addresses and order details nobody needs once delivered (UU PDP: keep personal
    data no longer than needed). Pending and sending ones are never touched. An event's key is
    free again afterwards: the same event months later would be sent again, which no event
    of the shop does (they follow an order, a statement or a permit within days)."""
    cutoff = now - timedelta(days=keep_days)
    result = db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_([MessageStatus.SENT.value, MessageStatus.FAILED.value]),
            OutboxMessage.updated_at < cutoff,
        )
    )
    return int(result.rowcount or 0)
