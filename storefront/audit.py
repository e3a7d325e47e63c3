"""The audit log (DESIGN invariant 10): who did what to which record, and when, and every view
of personal data. Every package writes it through `record`, in the same transaction as the
change it describes; managers read it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int | None] = mapped_column()
    # JSON text of the fields that changed (never personal data in clear).
    before: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    after: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    actor = relationship("User")


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
