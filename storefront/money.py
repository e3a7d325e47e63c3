"""Rupiah helpers: the one formatter, the one parser and the commission split.

Money is whole rupiah held in Python ints (BigInteger in the database), never float.
Commission rates are basis points: 2000 = 20 %; the percent functions at the end are the one
way between what people type and read ("22,5 %") and what is stored (2250).
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

BASIS_POINTS = 10_000
# The largest amount anyone types into the shop (a price, cash at the till, a payout):
# Rp1.000.000.000. Far above any consigned product or day's takings, far below what overflows
# a BigInteger column (a larger number used to answer 500). products.price has a CHECK too.
MAX_AMOUNT = 1_000_000_000


class InvalidAmount(ValueError):
    """Text that is not a whole rupiah amount."""


class AmountTooLarge(InvalidAmount):
    """A whole rupiah amount above MAX_AMOUNT (either sign)."""


class CommaThousands(InvalidAmount):
    """`25,000`: a comma followed by three digits. In Indonesian a comma marks decimals, so
    this is "25 rupiah" to the rules and "twenty-five thousand" to the person who typed it
    (phones set to English write it so). Refused, with the thousands reading in `understood`
    so the message can ask "did you mean Rp25.000?"."""

    def __init__(self, text: str, understood: int | None):
        super().__init__(f"comma before three digits: {text[:40]!r}")
        self.understood = understood


def format_rupiah(amount: int | None) -> str:
    """`25000` -> `Rp25.000`: no space, dot for thousands, no decimals (Indonesian spelling)."""
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are integers, got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


# Whole rupiah, optionally with zero "sen" (`,00`) or the price-tag dash (`,-` as in Rp25.000,-).
_AMOUNT = re.compile(
    r"^(?P<sign>-)?\s*(?:rp\.?)?\s*(?P<digits>\d{1,3}(?:\.\d{3})+|\d+)(?:,0{1,2}|,-{1,2})?$"
)
_COMMA_THOUSANDS = re.compile(r"^-?(?:rp\.?)?\d{1,3}(?:,\d{3})+(?:\.0{1,2})?$")
# How prices are said and written in shops and chats: 10rb, 12,5rb, 1,5jt, 25k.
_SHORTHAND = re.compile(
    r"^(?P<sign>-)?(?:rp\.?)?(?P<number>\d{1,6}(?:[.,]\d{1,2})?)(?P<unit>rb|ribu|k|jt|juta)$"
)
_SHORTHAND_UNITS = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}


def parse_rupiah(text: str) -> int:
    """Read what a person types: `25000`, `25.000`, `Rp25.000`, `Rp 25.000,00`, `Rp25.000,-`,
    and the shorthand of shops and chats: `10rb`, `12,5rb`, `1,5jt`, `25k`.
    Raises InvalidAmount; AmountTooLarge past MAX_AMOUNT; CommaThousands for `25,000`."""
    cleaned = (text or "").strip().lower().replace(" ", "")
    shorthand = _SHORTHAND.match(cleaned)
    if shorthand:
        value = Decimal(shorthand["number"].replace(",", ".")) * _SHORTHAND_UNITS[shorthand["unit"]]
        if value != value.to_integral_value():
            raise InvalidAmount(f"not a whole rupiah amount: {text!r}")
        if value > MAX_AMOUNT:
            raise AmountTooLarge(f"more than {MAX_AMOUNT}: {text[:40]!r}")
        return -int(value) if shorthand["sign"] else int(value)
    if re.search(r",\d{3}(?!\d)", cleaned):
        understood = None
        if _COMMA_THOUSANDS.match(cleaned):
            digits = re.sub(r"\.0{1,2}$", "", cleaned).replace(",", "")
            understood = int(re.sub(r"[^0-9]", "", digits) or "0")
        raise CommaThousands(text, understood)
    match = _AMOUNT.match(cleaned)
    if not match:
        raise InvalidAmount(f"not a rupiah amount: {text!r}")
    digits = match["digits"].replace(".", "").lstrip("0")
    # Compare lengths first: int() of thousands of digits is slow, and refused past 4300.
    if len(digits) > len(str(MAX_AMOUNT)) or int(digits or "0") > MAX_AMOUNT:
        raise AmountTooLarge(f"more than {MAX_AMOUNT}: {text[:40]!r}")
    value = int(digits or "0")
    return -value if match["sign"] else value


def commission_split(gross: int, rate_bp: int) -> tuple[int, int]:
    """Split a gross sale into (commission, vendor share).

    Commission is rounded half-up to whole rupiah; the vendor share is what is left, so the
    two always add up to the gross. A negative gross (a refund) mirrors the positive case.
    """
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"commission rate must be 0..10000 basis points, got {rate_bp}")
    if gross < 0:
        commission, share = commission_split(-gross, rate_bp)
        return -commission, -share
    commission = (gross * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS
    return commission, gross - commission


def percent_off(amount: int, percent_bp: int) -> int:
    """`amount` less `percent_bp` of it (a markdown), the amount taken off rounded half-up to
    whole rupiah, so Rp12.345 at 30 % off is Rp8.641 (Rp3.704 off). Never below Rp1."""
    if not 0 <= percent_bp <= BASIS_POINTS:
        raise ValueError(f"a markdown is 0..10000 basis points, got {percent_bp}")
    off = (amount * percent_bp + BASIS_POINTS // 2) // BASIS_POINTS
    return max(amount - off, 1) if amount > 0 else amount - off


# --- percentages -------------------------------------------------------------------------------
#
# People type and read commission rates in percent ("22,5"); the database keeps basis points
# (2250), so a rate like 22,5 % is exact and integer arithmetic rounds it once. These three
# functions are the only conversions between the two.


class InvalidPercent(ValueError):
    """Text that is not a percentage from 0 to 100 with at most two decimals; `message` says
    what is wrong, in words a manager can act on."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


_PERCENT = re.compile(r"^(?P<sign>-)?\s*(?P<whole>\d+)(?:[.,](?P<fraction>\d+))?$")


def percent_to_basis_points(value: str | Decimal | int) -> int:
    """`"22,5"`, `"22.5"`, `"22,5 %"`, `Decimal("22.5")` or `22` -> 2250. Either decimal mark is
    accepted (a phone keyboard in Indonesian offers the comma, in English the point). Raises
    InvalidPercent past two decimals or outside 0..100."""
    if isinstance(value, bool):
        raise TypeError("a percentage is a number, not a bool")
    if isinstance(value, int | Decimal):
        text = format(Decimal(value), "f")
    else:
        text = (value or "").strip().removesuffix("%").strip()
    match = _PERCENT.match(text)
    if not match:
        raise InvalidPercent(_l("Enter the percentage as a number, for example 20 or 22,5."))
    fraction = (match["fraction"] or "").rstrip("0")
    if len(fraction) > 2:
        raise InvalidPercent(_l("Use at most two decimals, for example 22,25."))
    basis_points = int(match["whole"]) * 100 + int(fraction.ljust(2, "0"))
    if basis_points > BASIS_POINTS or (match["sign"] and basis_points):
        raise InvalidPercent(_l("Enter a percentage from 0 to 100."))
    return basis_points


def basis_points_to_percent(basis_points: int) -> Decimal:
    """2250 -> Decimal("22.5"), 2000 -> Decimal("20"): exact, without trailing zeros."""
    return (Decimal(basis_points) / 100).normalize() + 0


def format_percent(basis_points: int | None, *, sign: bool = True, locale=None) -> str:
    """2250 -> "22,5 %" in Indonesian, "22.5%" in English; 0 -> "0 %" (never "the default").
    Indonesian writes the sign after a (no-break) space, as the shop's printed terms always
    have; English sets it close, as CLDR does. `sign=False` gives the number alone, as a form
    field shows it for editing ("22,5")."""
    if basis_points is None:
        return ""
    locale = Locale.parse(locale or get_locale() or "id")
    number = format_decimal(basis_points_to_percent(basis_points), "0.##", locale=locale)
    if not sign:
        return number
    return f"{number}\u00a0%" if locale.language == "id" else f"{number}%"
