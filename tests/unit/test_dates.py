"""Every date pattern the shop formats with has a four-digit year, in both languages."""

from __future__ import annotations

import pytest
from babel import Locale

from storefront.dates import date_pattern, datetime_pattern

ID, EN = Locale.parse("id"), Locale.parse("en")


@pytest.mark.parametrize(
    ("fmt", "locale", "pattern"),
    [
        ("short", ID, "dd/MM/y"),  # Babel's own: dd/MM/yy
        ("short", EN, "M/d/y"),  # Babel's own: M/d/yy
        ("medium", ID, "d MMM y"),
        ("dd-MM-yy", ID, "dd-MM-y"),
        ("dd-MM-yyyy", ID, "dd-MM-yyyy"),
        ("MMMM yyyy", EN, "MMMM yyyy"),
        ("EEEE d MMMM, HH.mm", ID, "EEEE d MMMM, HH.mm"),
    ],
)
def test_date_patterns_keep_the_whole_year(fmt, locale, pattern):
    assert date_pattern(fmt, locale) == pattern


def test_short_date_and_time_read_as_each_language_writes_them():
    assert datetime_pattern("short", ID) == "dd/MM/y HH.mm"
    assert datetime_pattern("short", EN) == "M/d/y, h:mm\u202fa"
    assert datetime_pattern("d MMM yy, HH.mm", ID) == "d MMM y, HH.mm"
