"""The date range of a report: WIB calendar days, both ends included, at most three years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from storefront.clock import today_wib, utc_bounds

MAX_YEARS = 3


class RangeError(ValueError):
    """A range a report refuses; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc(self) -> tuple[datetime, datetime]:
        """The half-open interval of moments in these days (Tangerang time), in UTC."""
        return utc_bounds(self.start, self.end)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def last_days(days: int, today: date | None = None) -> DateRange:
    """The `days` days up to and including today."""
    today = today or today_wib()
    return DateRange(today - timedelta(days=days - 1), today)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def parse_range(start_text: str | None, end_text: str | None, default_days: int = 30) -> DateRange:
    """The range typed into a report's filter (ISO dates); empty means the last
    `default_days` days. Raises RangeError for a date that is not one, an end before the
    start, or more than three years."""
    default = last_days(default_days)
    try:
        start = date.fromisoformat(start_text) if start_text else default.start
        end = date.fromisoformat(end_text) if end_text else default.end
    except ValueError:
        raise RangeError(_l("Enter the dates as day, month and year.")) from None
    if end < start:
        raise RangeError(_l("The end date is before the start date."))
    if start < _years_before(end, MAX_YEARS):
        raise RangeError(_l("A report covers at most %(years)d years.", years=MAX_YEARS))
    return DateRange(start, end)
