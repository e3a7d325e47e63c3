"""Writing the audit log (DESIGN invariant 10): who did what to which record, and when."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request

from storefront.extensions import db
from storefront.manage.models import AuditEntry


def record(
    actor,
    action: str,
    subject: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it commits with the change it describes."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=type(subject).__name__,
        subject_id=getattr(subject, "id", None),
        before=json.dumps(before or {}, default=str, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after or {}, default=str, ensure_ascii=False, sort_keys=True),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
