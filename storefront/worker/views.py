"""The messages page: what waits in the outbox, what failed, what was sent, and when each
scheduled job last ran. Managers (and admins) see it and may send a message again."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from storefront import audit
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.forms import ConfirmForm
from storefront.notices import NOTES
from storefront.outbox import MessageStatus, OutboxMessage
from storefront.security import no_store
from storefront.worker import bp
from storefront.worker.delivery import MAX_ATTEMPTS, can_resend, resend
from storefront.worker.jobs import jobs_for, last_runs

LIST_LIMIT = 50


def _messages(*statuses: MessageStatus, newest_first: bool = True) -> list[OutboxMessage]:
    order = OutboxMessage.id.desc() if newest_first else OutboxMessage.id
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_([s.value for s in statuses]))
        .order_by(order)
        .limit(LIST_LIMIT)
    ).all()


@bp.route("")
@role_required(Role.MANAGER)
@no_store
def messages():
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "worker/messages.html",
        counts=counts,
        waiting=_messages(MessageStatus.PENDING, MessageStatus.SENDING, newest_first=False),
        failed=_messages(MessageStatus.FAILED),
        # Sent messages pile up (until `purge_messages` deletes them): paged, newest first.
        sent=db.paginate(
            select(OutboxMessage)
            .where(OutboxMessage.status == MessageStatus.SENT.value)
            .order_by(OutboxMessage.id.desc()),
            page=request.args.get("page", 1, type=int),
            per_page=LIST_LIMIT,
            error_out=False,
        ),
        list_limit=LIST_LIMIT,
        jobs=jobs_for(current_app),
        runs=last_runs(),
        max_attempts=MAX_ATTEMPTS,
        can_resend=can_resend,
        notes=NOTES,
        form=ConfirmForm(),
    )


@bp.route("/<int:message_id>/resend", methods=["POST"])
@role_required(Role.MANAGER)
def resend_message(message_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        abort(404)
    if message.status == MessageStatus.SENDING.value:
        flash(_("This message is being sent right now."), "error")
        return redirect(url_for("worker.messages"))
    if not can_resend(message):
        flash(_("This message held a sign-in link and is not kept; ask for a new link."), "error")
        return redirect(url_for("worker.messages"))
    before = {"status": message.status, "attempts": message.attempts}
    resend(message)
    audit.record(
        current_user,
        "message.resend",
        message,
        before=before,
        after={"status": message.status, "event": message.event, "channel": message.channel},
    )
    flash(_("The message will be sent again in a moment."), "success")
    return redirect(url_for("worker.messages"))
