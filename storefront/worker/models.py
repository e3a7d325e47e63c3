"""One row per scheduled job: its lock (a lease) and its last run, for the admin page."""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import UTCDateTime
from storefront.extensions import db
from storefront.i18n import english, message_parts


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
    # The last run's summary in English, as the log line says it.
    summary: Mapped[str | None] = mapped_column(String(300))
    # The same summary as its English source and values (JSON), so the messages page words it
    # in the reader's language; empty when there is nothing to word (a backup's file name, an
    # error's class name) or the run was recorded before it existed: `summary` is shown as is.
    summary_message: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(nullable=False, default=0)

    @property
    def summary_text(self) -> str:
        """The last run's summary in the reader's language."""
        if self.summary_message:
            try:
                stored = json.loads(self.summary_message)
                source, values = stored["source"], stored["values"]
                # Always formatted, as Jinja's `_()` does: a source whose placeholders its
                # values no longer fill fails here rather than showing "%(count)d".
                return gettext(source) % values
            except (ValueError, KeyError, TypeError):
                pass  # reworded since in a way its values no longer fit: the English record
        return self.summary or ""


def summary_columns(summary) -> dict[str, str | None]:
    """The `job_runs` columns that record what a job returned: a lazy string (`_l(...)`) as
    English text and as its source and values; plain text (a file name) as it is."""
    message = None
    if isinstance(summary, LazyString):
        source, values = message_parts(summary)
        message = json.dumps({"source": source, "values": values}, default=str)
    return {"summary": english(summary)[:300], "summary_message": message}
