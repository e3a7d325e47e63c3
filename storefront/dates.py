"""Dates and times as the shop shows and prints them: in the reader's language, in WIB, and
always with a four-digit year.

A receipt, a nota titip or a statement is kept for years, and "01/11/26" can be read as three
different days; Babel's short formats (Indonesian `dd/MM/yy`, English `M/d/yy`) write two digits,
so every pattern passes through `_full_year` first. The `date` and `datetime` template filters
and the PDF documents all format through here, so the web page and the paper agree.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel import Locale
from flask_babel import format_date, format_datetime, get_locale

from storefront.clock import zone_name

NAMED = ("short", "medium", "long", "full")
_TWO_DIGIT_YEAR = re.compile(r"(?<![yY])([yY])\1(?![yY])")  # "yy" alone, not part of "yyyy"


def _full_year(pattern: str) -> str:
    """The same pattern with a two-digit year ("yy") turned into the whole year ("y")."""
    return _TWO_DIGIT_YEAR.sub(r"\1", pattern)


def date_pattern(fmt: str, locale: Locale) -> str:
    """A named format ("short", "medium"...) of `locale`, or a CLDR pattern, with a full year."""
    return _full_year(locale.date_formats[fmt].pattern if fmt in NAMED else fmt)


def datetime_pattern(fmt: str, locale: Locale) -> str:
    if fmt not in NAMED:
        return _full_year(fmt)
    return (
        locale.datetime_formats[fmt]
        .replace("{1}", date_pattern(fmt, locale))
        .replace("{0}", locale.time_formats[fmt].pattern)
    )


def _locale() -> Locale:
    return get_locale() or Locale.parse("id")


def date_text(value: date | None, fmt: str = "medium") -> str:
    """A calendar date, e.g. Indonesian short "05/12/2026", English short "12/5/2026"."""
    return format_date(value, date_pattern(fmt, _locale())) if value else ""


def datetime_text(value: datetime | None, fmt: str = "medium") -> str:
    """A moment in the shop's zone with its name, e.g. Indonesian short "05/12/2026 14.05 WIB"
    (WITA or WIT for an outlet whose `TIMEZONE` is Asia/Makassar or Asia/Jayapura)."""
    if not value:
        return ""
    return f"{format_datetime(value, datetime_pattern(fmt, _locale()))} {zone_name(value)}"
