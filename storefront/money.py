"""Rupiah helpers: the one formatter, the one parser and the commission split.

Money is whole rupiah held in Python ints (BigInteger in the database), never float.
Commission rates are basis points: 2000 = 20 %.
"""

from __future__ import annotations

import re

BASIS_POINTS = 10_000
# The largest amount anyone types into the shop (a price, cash at the till, a payout):
# Rp1.000.000.000. Far above any consigned product or day's takings, far below what overflows
# a BigInteger column (a larger number used to answer 500). products.price has a CHECK too.
MAX_AMOUNT = 1_000_000_000


class InvalidAmount(ValueError):
    """Text that is not a whole rupiah amount."""


class AmountTooLarge(InvalidAmount):
    """A whole rupiah amount above MAX_AMOUNT (either sign)."""


def format_rupiah(amount: int | None) -> str:
    """`25000` -> `Rp25.000`: no space, dot for thousands, no decimals (Indonesian spelling)."""
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are integers, got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


_AMOUNT = re.compile(r"^(?P<sign>-)?\s*(?:rp\.?)?\s*(?P<digits>\d{1,3}(?:\.\d{3})+|\d+)(?:,0+)?$")


def parse_rupiah(text: str) -> int:
    """Read what a person types: `25000`, `25.000`, `Rp25.000`, `Rp 25.000,00`. Raises
    InvalidAmount, or its kind AmountTooLarge past MAX_AMOUNT."""
    cleaned = (text or "").strip().lower().replace(" ", "")
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
