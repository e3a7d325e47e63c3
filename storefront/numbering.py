"""Human-friendly document numbers: PREFIX-YYMMDD-NNNN, counted per day (WIB).

Used for intake receipts (NT), return notes (RT) and, later, orders. The caller inserts the
row under its unique constraint and retries with the next number if another request won.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from storefront.extensions import db


def next_daily_number(column, prefix: str, today: date) -> str:
    """The next free number of the day for `column` (a unique String column)."""
    stem = f"{prefix}-{today:%y%m%d}-"
    last = db.session.scalar(select(func.max(column)).where(column.like(f"{stem}%")))
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{sequence:04d}"
