"""One row per scheduled job: its lock (a lease) and its last run, for the admin page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import UTCDateTime
from storefront.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    # The job's lock: held by the worker whose token is here, until locked_until; a worker
    # killed mid-run loses it when the lease ends.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_token: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str | None] = mapped_column(String(10))  # ok | error | running
    summary: Mapped[str | None] = mapped_column(String(300))
    runs: Mapped[int] = mapped_column(nullable=False, default=0)
