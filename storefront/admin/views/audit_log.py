"""The audit log browser: who did what to which object, and when, with before and after."""

from __future__ import annotations

from datetime import date

from flask import render_template, request

from storefront.admin import audit_log as log
from storefront.admin import bp
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.navigation import page_number
from storefront.security import no_store


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/audit")
@role_required(Role.ADMIN)
@no_store
def audit_log():
    subject_id = request.args.get("subject_id", "")
    wanted = log.AuditFilter(
        person=request.args.get("person", "").strip()[:80],
        action=request.args.get("action", "")[:60],
        subject=request.args.get("subject", "")[:40],
        subject_id=int(subject_id) if subject_id.isdigit() and len(subject_id) < 12 else None,
        start=_day("start"),
        end=_day("end"),
    )
    return render_template(
        "admin/audit_log.html",
        results=log.entries(wanted, page_number()),
        wanted=wanted,
        actions=log.known_actions(),
        subjects=log.SUBJECTS,
        action_label=log.action_label,
        subject_label=log.subject_label,
        subject_url=log.subject_url,
        changes=log.changes,
    )
