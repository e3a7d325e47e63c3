"""Indonesian banks vendors are paid through, and their account numbers.

Real vendors bank with more than the big banks: a syariah bank, a regional BPR or BPRS, a
digital bank. The list below covers the common ones; any other is "Bank lain", typed with its
name and code. Account lengths only give a warning: banks change them, and refusing a real
account number would stop a vendor being paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

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
    Bank("536", "BCA Syariah", _ANY_LENGTH),
    Bank("153", "Bank Sinarmas", _ANY_LENGTH),
    Bank("506", "Bank Mega Syariah", _ANY_LENGTH),
    Bank("501", "blu (BCA Digital)", _ANY_LENGTH),
    Bank("490", "Bank Neo Commerce", _ANY_LENGTH),
    Bank("567", "Allo Bank", _ANY_LENGTH),
)

# "Bank lain": a bank not in the list (a BPR or BPRS, another digital bank). The vendor types
# its name and its code; the manager checks both with the first transfer.
OTHER_BANK = "other"

_BANKS_BY_CODE = {bank.code: bank for bank in BANKS}


def bank_by_code(code: str) -> Bank | None:
    return _BANKS_BY_CODE.get((code or "").strip())


def parse_other_bank_code(text: str) -> str:
    """The transfer code of a bank not in the list: the three-digit sandi bank of Bank
    Indonesia, or the longer participant code some BPRs use for BI-FAST transfers."""
    code = _SEPARATORS.sub("", text or "")
    if re.fullmatch(r"[0-9]{3,7}", code) is None:
        raise InvalidIdentifier(
            _l(
                "Enter the bank's transfer code in digits, e.g. 536 for BCA Syariah. Your "
                "bank's branch or website can tell you."
            )
        )
    return code


@dataclass(frozen=True)
class BankAccount:
    number: str
    # An unusual length for the bank: saved, but worth a second look.
    warning: LazyString | None = None


def parse_bank_account(text: str, bank_code: str) -> BankAccount:
    """Check an account number: digits only, and a length the chosen bank uses (a warning
    only). `bank_code` is a listed bank's code, or the typed code of another bank."""
    if not (bank_code or "").strip():
        raise InvalidIdentifier(_l("Choose your bank from the list."))
    number = _SEPARATORS.sub("", text or "")
    if not re.fullmatch(r"[0-9]+", number):
        raise InvalidIdentifier(_l("Enter the account number in digits only, e.g. 1234567890."))
    if not 5 <= len(number) <= 20:
        raise InvalidIdentifier(
            _l("An account number has 5 to 20 digits. Check the number in your bank book.")
        )
    bank = bank_by_code(bank_code)
    if bank is None or len(number) in bank.account_lengths:
        return BankAccount(number)
    shortest, longest = min(bank.account_lengths), max(bank.account_lengths)
    if shortest == longest:
        warning = _l(
            "An account number at %(bank)s usually has %(count)s digits, this one has "
            "%(length)s. It is saved; please check it.",
            bank=bank.name,
            count=str(shortest),
            length=str(len(number)),
        )
    else:
        warning = _l(
            "An account number at %(bank)s usually has %(min)s to %(max)s digits, this one "
            "has %(length)s. It is saved; please check it.",
            bank=bank.name,
            min=str(shortest),
            max=str(longest),
            length=str(len(number)),
        )
    return BankAccount(number, warning)
