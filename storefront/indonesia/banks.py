"""Indonesian banks vendors are paid through, and their account numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from storefront.indonesia.identifiers import _SEPARATORS, InvalidIdentifier


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    account_lengths: tuple[int, ...]


# Unsure of the bank's current length: accept anything a bank plausibly uses.
_ANY_LENGTH = tuple(range(8, 17))

# `code` is the bank's three-digit Bank Indonesia code (sandi bank) used for transfers.
# Account lengths are what each bank issues today; they only catch typos and may change, so a
# bank that is unsure or mixed gets a generous range rather than refusing a real account.
BANKS: tuple[Bank, ...] = (
    Bank("014", "BCA", (10,)),
    Bank("008", "Bank Mandiri", (13,)),
    Bank("002", "BRI", (15,)),
    Bank("009", "BNI", (10,)),
    Bank("451", "BSI (Bank Syariah Indonesia)", (10,)),
    Bank("022", "CIMB Niaga", (13, 14)),
    Bank("011", "Bank Danamon", (10,)),
    Bank("013", "Bank Permata", (10,)),
    Bank("200", "BTN", (16,)),
    Bank("111", "Bank DKI", (10,)),
    Bank("110", "bank bjb", (13,)),
    Bank("137", "Bank Banten", _ANY_LENGTH),
    Bank("542", "Bank Jago", _ANY_LENGTH),
    Bank("535", "SeaBank", _ANY_LENGTH),
    Bank("028", "OCBC", (12,)),
    Bank("016", "Maybank", _ANY_LENGTH),
    Bank("019", "Panin Bank", _ANY_LENGTH),
    Bank("426", "Bank Mega", _ANY_LENGTH),
    Bank("213", "SMBC Indonesia (BTPN, Jenius)", _ANY_LENGTH),
    Bank("147", "Bank Muamalat", (10,)),
)

_BANKS_BY_CODE = {bank.code: bank for bank in BANKS}


def bank_by_code(code: str) -> Bank | None:
    return _BANKS_BY_CODE.get((code or "").strip())


def parse_bank_account(text: str, bank_code: str) -> str:
    """Check an account number against the chosen bank and return its digits."""
    bank = bank_by_code(bank_code)
    if bank is None:
        raise InvalidIdentifier(_l("Choose your bank from the list."))
    number = _SEPARATORS.sub("", text or "")
    if not re.fullmatch(r"[0-9]+", number):
        raise InvalidIdentifier(_l("Enter the account number in digits only, e.g. 1234567890."))
    if len(number) not in bank.account_lengths:
        shortest, longest = min(bank.account_lengths), max(bank.account_lengths)
        if shortest == longest:
            message = _l(
                "An account number at %(bank)s has %(count)s digits. Check the number.",
                bank=bank.name,
                count=str(shortest),
            )
        else:
            message = _l(
                "An account number at %(bank)s has %(min)s to %(max)s digits. Check the number.",
                bank=bank.name,
                min=str(shortest),
                max=str(longest),
            )
        raise InvalidIdentifier(message)
    return number
