"""The manager's notifications: a badge in the manager menu and the list, read per person."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for
from flask_login import current_user

from storefront import manager_inbox
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.forms import ConfirmForm
from storefront.manage import bp
from storefront.manager_inbox import ManagerNotification, NotificationKind
from storefront.navigation import page_number

TEXTS = manager_inbox.TEXTS
PAGES = manager_inbox.PAGES
PER_PAGE = 30


def notification_text(notification: ManagerNotification) -> str:
    return str(TEXTS[NotificationKind(notification.kind)] % {"label": notification.label})


def notification_url(notification: ManagerNotification) -> str:
    endpoint, name = PAGES[NotificationKind(notification.kind)]
    return url_for(endpoint, **{name: notification.subject_id})


def unread_notifications() -> int:
    """For the manager menu's badge, counted once per request."""
    if "unread_notifications" not in g:
        g.unread_notifications = manager_inbox.unread_count(current_user.id)
    return g.unread_notifications


@bp.route("/notifications")
@role_required(Role.MANAGER)
def notifications():
    page = page_number()
    rows, total = manager_inbox.recent(current_user.id, page, PER_PAGE)
    return render_template(
        "manage/notifications.html",
        rows=rows,
        page=page,
        has_next=page * PER_PAGE < total,
        form=ConfirmForm(),
        text=notification_text,
        badge_max=manager_inbox.BADGE_MAX,
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@role_required(Role.MANAGER)
def open_notification(notification_id: int):
    """Mark it read for this manager and go to what it is about."""
    notification = db.session.get(ManagerNotification, notification_id)
    if notification is None or not ConfirmForm().validate_on_submit():
        abort(404 if notification is None else 400)
    manager_inbox.mark_read(current_user.id, [notification.id])
    return redirect(notification_url(notification))


@bp.route("/notifications/read", methods=["POST"])
@role_required(Role.MANAGER)
def mark_notifications_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    manager_inbox.mark_read(current_user.id, manager_inbox.unread_ids(current_user.id))
    return redirect(url_for("manage.notifications"))
