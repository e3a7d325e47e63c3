"""Manager notifications: what needs a manager (a new application, a product to review, an
order to prepare, a dispute on a statement), with read marks kept per person.

Every package writes them through `notify`, in the same transaction as the event, like the
audit log; the manager pages read them (manage/). A notification stores only its kind, its
object and a short label (a name or an order number), and is worded when shown, so each
manager reads it in their own language.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, exists, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from storefront.auth.models import Role, User
from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.links import external_url
from storefront.mail import send_template

# The badge counts what arrived in this window: older notifications stay in the list, but a
# manager back from two weeks away is not greeted by a four-digit badge.
BADGE_WINDOW = timedelta(days=14)
BADGE_MAX = 99


class NotificationKind(enum.StrEnum):
    APPLICATION = "application"
    PRODUCT = "product"
    ORDER = "order"
    DISPUTE = "dispute"
    # A vendor's new price from a date: shelf labels to reprint before it.
    PRICE_CHANGE = "price_change"

    PERMIT_DUE = "permit_due"  # a permit application's due date is near (incubator/)


# What each kind says, and where its object is handled (the list, the badge, the emails).
TEXTS = {
    NotificationKind.APPLICATION: _l("New partner application: %(label)s"),
    NotificationKind.PRODUCT: _l("Product to review: %(label)s"),
    NotificationKind.ORDER: _l("Order to prepare: %(label)s"),
    NotificationKind.DISPUTE: _l("Dispute on a statement: %(label)s"),
    NotificationKind.PRICE_CHANGE: _l("New price, labels to reprint: %(label)s"),
    NotificationKind.PERMIT_DUE: _l("Permit application due: %(label)s"),
}
PAGES = {
    NotificationKind.APPLICATION: ("manage.vendor_detail", "vendor_id"),
    NotificationKind.PRODUCT: ("manage.product_detail", "product_id"),
    NotificationKind.ORDER: ("orders.manage_order", "order_id"),
    NotificationKind.DISPUTE: ("settlements.settlement_detail", "settlement_id"),
    # The list of waiting changes, each with its batches (stock/price_labels.py).
    NotificationKind.PRICE_CHANGE: ("stock.price_changes", "change_id"),
    NotificationKind.PERMIT_DUE: ("incubator.application", "application_id"),
}
# Managers are also emailed these (orders come too often: the queue and its badge show them).
EMAILED = {NotificationKind.APPLICATION, NotificationKind.PRODUCT, NotificationKind.DISPUTE}


class ManagerNotification(db.Model):
    __tablename__ = "manager_notifications"
    __table_args__ = (Index("ix_manager_notifications_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    # A name or number to show (never personal data beyond what the manager pages show).
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class ManagerNotificationRead(db.Model):
    """One person has read one notification."""

    __tablename__ = "manager_notification_reads"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("manager_notifications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


def notify(kind: NotificationKind, subject, label: str = "") -> ManagerNotification:
    """Add a notification to the session; it commits with the event it announces."""
    if subject.id is None:
        db.session.flush()
    notification = ManagerNotification(
        kind=NotificationKind(kind).value,
        subject_type=type(subject).__name__,
        subject_id=subject.id,
        label=(label or "")[:200],
    )
    db.session.add(notification)
    if notification.kind in EMAILED:
        _email_managers(notification)
    return notification


def managers() -> list[User]:
    """The active managers and admins, who are told what needs a manager."""
    return db.session.scalars(
        select(User)
        .where(User.role.in_([Role.MANAGER.value, Role.ADMIN.value]), User.active.is_(True))
        .order_by(User.id)
    ).all()


def _email_managers(notification: ManagerNotification) -> None:
    db.session.flush()
    kind = NotificationKind(notification.kind)
    endpoint, name = PAGES[kind]
    link = external_url(endpoint, **{name: notification.subject_id})
    for manager in managers():
        send_template(
            manager.email,
            "manage/email/notification.txt",
            _LabelledText(TEXTS[kind], notification.label),
            locale=manager.locale,
            key=f"notification:{notification.id}",
            event=f"manager_{kind.value}",
            name=manager.name,
            text=_LabelledText(TEXTS[kind], notification.label),
            link=link,
        )


class _LabelledText:
    """A notification's text, worded when rendered (in the recipient's language)."""

    def __init__(self, text, label: str):
        self.text, self.label = text, label

    def __str__(self) -> str:
        return str(self.text % {"label": self.label})


def _read_by(user_id: int):
    return exists().where(
        ManagerNotificationRead.notification_id == ManagerNotification.id,
        ManagerNotificationRead.user_id == user_id,
    )


def unread_count(user_id: int) -> int:
    """Unread notifications of the badge window, at most BADGE_MAX + 1 counted."""
    recent = (
        select(ManagerNotification.id)
        .where(ManagerNotification.created_at >= utcnow() - BADGE_WINDOW)
        .where(~_read_by(user_id))
        .limit(BADGE_MAX + 1)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(recent)) or 0


def recent(user_id: int, page: int = 1, per_page: int = 30, *, where=None):
    """Newest first, each as (notification, read?). Older than the badge window counts as
    read, as the badge counts it. `where`: a condition narrowing the list (a mentor sees only
    the reminders about their vendors)."""
    read = or_(_read_by(user_id), ManagerNotification.created_at < utcnow() - BADGE_WINDOW)
    statement = select(ManagerNotification, read.label("read")).order_by(
        ManagerNotification.id.desc()
    )
    count = select(func.count()).select_from(ManagerNotification)
    if where is not None:
        statement, count = statement.where(where), count.where(where)
    total = db.session.scalar(count) or 0
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def mark_read(user_id: int, notification_ids) -> int:
    """Mark these notifications read for this person (the caller commits). Returns how many
    were unread."""
    wanted = set(notification_ids)
    if not wanted:
        return 0
    already = set(
        db.session.scalars(
            select(ManagerNotificationRead.notification_id).where(
                ManagerNotificationRead.user_id == user_id,
                ManagerNotificationRead.notification_id.in_(wanted),
            )
        )
    )
    known = set(
        db.session.scalars(select(ManagerNotification.id).where(ManagerNotification.id.in_(wanted)))
    )
    new = sorted(known - already)
    db.session.add_all(ManagerNotificationRead(notification_id=nid, user_id=user_id) for nid in new)
    return len(new)


def unread_ids(user_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ManagerNotification.id)
            .where(ManagerNotification.created_at >= utcnow() - BADGE_WINDOW)
            .where(~_read_by(user_id))
        )
    )
