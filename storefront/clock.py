"""The shop's wall clock: Kabupaten Tangerang keeps Western Indonesian Time (WIB, UTC+7).

Moments are stored in UTC (`database.utcnow`). The days people mean — a permit's expiry, the
day on a receipt's number, a settlement period, a date filter — are calendar days in the
shop's zone, the `TIMEZONE` setting (Flask-Babel's `BABEL_DEFAULT_TIMEZONE`, Asia/Jakarta by
default), which is also the zone the `datetime` filter shows.

`indonesia/identifiers.py` keeps its own fixed UTC+7 for "today": its rules are pure functions
that run without an app (the unit tests call them so), and WIB has no daylight saving time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))


def zone_name(moment: datetime | None = None) -> str:
    """The zone's abbreviation people read after a time: WIB (or WITA, WIT) at `moment`."""
    return (moment or datetime.now(UTC)).astimezone(shop_zone()).tzname() or ""


def today_wib() -> date:
    """Today in Tangerang: permits expire by the calendar there, not in UTC."""
    return datetime.now(shop_zone()).date()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in the shop's zone (aware, so it compares with UTC)."""
    return datetime.combine(day, time(0), tzinfo=shop_zone())


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Midnight at the start of `start` and after `end`, in UTC: the half-open interval of
    moments that fall on those days (both ends inclusive) in Tangerang."""
    return (
        start_of_day(start).astimezone(UTC),
        start_of_day(end + timedelta(days=1)).astimezone(UTC),
    )
