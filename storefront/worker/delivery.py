"""Delivering outbox rows: claim, send, record. Any number of workers may run this at once.

A worker claims a row with one conditional UPDATE (pending and due, or sending with a lease
that ran out) that sets a lease and a token; only the worker whose UPDATE changed the row sends
it, and only the holder of the token may mark it sent. A worker killed mid-delivery leaves the
row `sending`; when its lease ends another worker claims it and sends it. On PostgreSQL the
sweep picks its batch with SELECT … FOR UPDATE SKIP LOCKED, so two sweeps take different rows;
on SQLite the unit of work's BEGIN IMMEDIATE makes claims one at a time.

Each attempt is logged as one structured line (logger `storefront.outbox`): the row's id,
event, channel, attempt, outcome, duration and the error's kind, never an address or a text.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from storefront import whatsapp
from storefront.database import after_commit, unit_of_work, utcnow
from storefront.extensions import db
from storefront.mail import deliver_email
from storefront.outbox import Channel, MessageStatus, OutboxMessage, kick

log = logging.getLogger("storefront.outbox")

LEASE = timedelta(minutes=5)  # far longer than the SMTP (20 s) and WhatsApp (10 s) timeouts
MAX_ATTEMPTS = 8  # 1, 2, 4 … 64 minutes apart: about two hours of trying
SWEEP_BATCH = 50
# Messages holding a sign-in or password link: once delivered their text is not kept (the
# table would otherwise hold working tokens), and they cannot be sent again (ask for a new one).
SECRET_EVENTS = frozenset(
    {
        "reset_password",
        "verify_email",
        "registration_attempt",
        "staff_welcome",
        "account_created",
        "owner_confirm",
        "invitation",
    }
)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 6 * 60))


def _claimable(now):
    return or_(
        and_(
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.next_attempt_at <= now,
        ),
        and_(
            OutboxMessage.status == MessageStatus.SENDING.value,
            OutboxMessage.lease_until < now,
        ),
    )


def _claim(ids: list[int], now) -> str | None:
    """Claim these rows (if still claimable) for one token; return it if any was taken."""
    token = uuid.uuid4().hex
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _claimable(now))
        .values(
            status=MessageStatus.SENDING.value,
            lease_until=now + LEASE,
            claim_token=token,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount else None


def deliver(message_id: int) -> str:
    """Deliver one message if it is due and no other worker has it: 'sent', 'retry',
    'failed' or 'skipped'."""
    with unit_of_work():
        token = _claim([message_id], utcnow())
    if token is None:
        return "skipped"
    return _send_claimed(message_id, token)


def deliver_due(limit: int = SWEEP_BATCH) -> int:
    """The sweep: claim the due messages (waiting ones, retries, and the ones a dead worker
    held) and deliver them. Returns how many were attempted."""
    now = utcnow()
    with unit_of_work():
        query = (
            select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        token = _claim(ids, now) if ids else None
        if token is not None:
            mine = db.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.claim_token == token)
            ).all()
    if token is None:
        return 0
    for message_id in mine:
        _send_claimed(message_id, token)
    return len(mine)


def _send_claimed(message_id: int, token: str) -> str:
    with unit_of_work(write=False):
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
    started = time.monotonic()
    error: Exception | None = None
    try:
        _send(message)
    except Exception as exc:
        error = exc
    outcome = _record(message, token, error)
    log.info(
        json.dumps(
            {
                "delivery": message.id,
                "event": message.event,
                "channel": message.channel,
                "attempt": message.attempts,
                "outcome": outcome,
                "ms": round((time.monotonic() - started) * 1000),
                "error": _error_kind(error),
            }
        )
    )
    return outcome


def _send(message: OutboxMessage) -> None:
    if message.channel == Channel.EMAIL.value:
        deliver_email(message)
        return
    provider = whatsapp.provider()
    if provider is None:
        raise whatsapp.WhatsAppError("not configured", permanent=True)
    provider.send_template(message.recipient, message.template, message.locale, message.param_list)


def _error_kind(error: Exception | None) -> str | None:
    if error is None:
        return None
    detail = getattr(error, "smtp_code", None) or (
        str(error) if isinstance(error, whatsapp.WhatsAppError) else None
    )
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _record(message: OutboxMessage, token: str, error: Exception | None) -> str:
    now = utcnow()
    mine = and_(OutboxMessage.id == message.id, OutboxMessage.claim_token == token)
    if error is None:
        outcome = "sent"
        values = {"status": MessageStatus.SENT.value, "sent_at": now, "last_error": None}
        if message.event in SECRET_EVENTS:
            values |= {"text_body": "", "html_body": None}
    elif getattr(error, "permanent", False) or message.attempts >= MAX_ATTEMPTS:
        outcome = "failed"
        values = {"status": MessageStatus.FAILED.value, "last_error": _error_kind(error)}
    else:
        outcome = "retry"
        values = {
            "status": MessageStatus.PENDING.value,
            "next_attempt_at": now + backoff(message.attempts),
            "last_error": _error_kind(error),
        }
    with unit_of_work():
        result = db.session.execute(
            update(OutboxMessage)
            .where(mine)
            .values(lease_until=None, claim_token=None, **values)
            .execution_options(synchronize_session=False)
        )
    if not result.rowcount:
        log.warning(json.dumps({"delivery": message.id, "outcome": "lease lost"}))
    return outcome


def can_resend(message: OutboxMessage) -> bool:
    return message.status != MessageStatus.SENDING.value and not (
        message.event in SECRET_EVENTS and not message.text_body
    )


def resend(message: OutboxMessage) -> None:
    """A manager asked to send this message again (failed, or sent but not received)."""
    message.status = MessageStatus.PENDING.value
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.claim_token = None
    message.last_error = None
    message_id = message.id
    after_commit(lambda: kick(message_id))
