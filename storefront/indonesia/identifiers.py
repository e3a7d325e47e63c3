"""Indonesian identifiers a vendor gives when applying and listing products.

Pure functions: they read what a person typed (spaces, dots, dashes and labels such as
"P-IRT No." are forgiven), check it against the published format and return a normalised value,
or raise `InvalidIdentifier` with a short message that tells the person what to fix.

These checks catch typos; they do not prove that a number was issued. The issuing systems
(Dukcapil, OSS, DJP, BPOM, BPJPH, the banks) remain the authority. Bank accounts are checked in
`banks.py`; provinces, cities and kecamatan are in `regions.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from stdnum.id import npwp as stdnum_npwp

from storefront.errors import DomainError
from storefront.i18n import english
from storefront.indonesia.regions import PROVINCES

# The store is in Kabupaten Tangerang; "today" is the date on the shop's wall clock (WIB, UTC+7,
# no daylight saving time), so a birth date or a permit's year is judged as the vendor sees it.
WIB = timezone(timedelta(hours=7), "WIB")


def _today() -> date:
    return datetime.now(WIB).date()


class InvalidIdentifier(DomainError, ValueError):
    """What the person typed is not a valid identifier.

    `message` is a lazy, translatable string for the form; `str(exc)` is the English text for logs.
    """

    def __init__(self, message: LazyString) -> None:
        self.message = message
        ValueError.__init__(self, english(message))


# Typed labels that come before the number, e.g. "No. NIK: …", "P-IRT No. …", "BPOM RI MD …".
_NUMBER_WORD = r"(?:(?:NOMOR|NO)(?![A-Z])\.?\s*)?"
_SEPARATORS = re.compile(r"[\s.\-\u2013\u2014]+")


def _clean(text: str | None, label: str) -> str:
    """Upper-case `text`, drop a leading `label` (and "No."/"Nomor") and all separators."""
    pattern = rf"^\s*{_NUMBER_WORD}(?:(?:{label})(?![A-Z])\s*)?{_NUMBER_WORD}:?"
    upper = (text or "").upper()
    return _SEPARATORS.sub("", re.sub(pattern, "", upper, count=1))


def _digits(text: str, count: int) -> bool:
    # [0-9] rather than str.isdigit(): the latter also accepts Arabic-Indic and other digits.
    return re.fullmatch(rf"[0-9]{{{count}}}", text) is not None


# --- NIK --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nik:
    number: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    female: bool


def parse_nik(text: str) -> Nik:
    """Check a NIK (Nomor Induk Kependudukan) and read the facts encoded in it."""
    number = _clean(text, "NIK")
    if not _digits(number, 16):
        raise InvalidIdentifier(_l("NIK must have 16 digits, e.g. 3603015505900001."))
    province = number[:2]
    if province not in PROVINCES:
        raise InvalidIdentifier(
            _l(
                "The first two digits of the NIK (%(code)s) are not a province code. "
                "Check the number on your KTP.",
                code=province,
            )
        )
    # Kemendagri numbers regencies, cities and districts from 01; 00 is never issued.
    if number[2:4] == "00" or number[4:6] == "00":
        raise InvalidIdentifier(
            _l(
                "Digits 3–6 of the NIK are the regency and district codes and cannot be 00. "
                "Check the number on your KTP."
            )
        )
    birth_date, female = _nik_birth_date(number[6:12])
    # The last four digits are Dukcapil's sequence for people sharing region and birth date;
    # it starts at 0001.
    if number[12:] == "0000":
        raise InvalidIdentifier(
            _l("The last four digits of the NIK cannot be 0000. Check the number on your KTP.")
        )
    return Nik(
        number=number,
        province_code=province,
        regency_code=number[:4],
        district_code=number[:6],
        birth_date=birth_date,
        female=female,
    )


def _nik_birth_date(ddmmyy: str) -> tuple[date, bool]:
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    # Dukcapil adds 40 to the day of birth for women, so 41–71 is a woman born on day 1–31.
    female = day > 40
    if female:
        day -= 40
    today = _today()
    # A two-digit year is read as the most recent year ending in those digits that is not
    # after this year: nobody applying was born more than 99 years ago.
    century = 1900 if yy > today.year % 100 else 2000
    try:
        born = date(century + yy, month, day)
    except ValueError:
        raise InvalidIdentifier(
            _l(
                "Digits 7–12 of the NIK must be a birth date as DDMMYY (women add 40 to the day). "
                "Check the number on your KTP."
            )
        ) from None
    if born > today:
        raise InvalidIdentifier(
            _l(
                "The birth date in this NIK (%(date)s) is in the future. "
                "Check the number on your KTP.",
                date=born.strftime("%d-%m-%Y"),
            )
        )
    return born, female


# --- NIB and NPWP -----------------------------------------------------------------------------


def parse_nib(text: str) -> str:
    """Check a NIB (Nomor Induk Berusaha), the 13-digit business number issued through OSS."""
    number = _clean(text, "NIB")
    if not _digits(number, 13):
        raise InvalidIdentifier(
            _l("NIB must have 13 digits, e.g. 9120001234567. You can find it in your OSS account.")
        )
    return number


# PMK 112/PMK.03/2022: from 1 July 2024 a resident individual's NPWP is their NIK, and every
# other taxpayer's NPWP is 16 digits, "0" followed by the old 15-digit number. Sole traders
# (usaha perorangan, UD) are individuals for tax: they have no NPWP of their own.
INDIVIDUAL_LEGAL_FORMS = frozenset({"perorangan", "ud"})
# Badan: companies (PT, PT Perorangan), partnerships (CV, firma) and cooperatives.
ENTITY_LEGAL_FORMS = frozenset({"pt", "pt_perorangan", "cv", "firma", "koperasi"})


@dataclass(frozen=True)
class Npwp:
    number: str
    # Something worth a second look that does not stop the form (an old number whose check
    # digit does not add up: DJP has issued a few, and the tax office is the authority).
    warning: LazyString | None = None


def parse_npwp(text: str, *, legal_form: str | None = None) -> Npwp:
    """Check an NPWP and return its 16-digit form.

    A 16-digit NPWP that does not start with 0 is a NIK and must be a valid one. The old
    15-digit number (and its 16-digit form, 0 + 15 digits) belongs to a badan or koperasi; an
    individual or sole trader who types it is asked for their NIK. The old number's check digit
    (Luhn over its first nine digits, as python-stdnum checks it) only gives a warning.
    """
    number = _clean(text, "NPWP")
    if not (_digits(number, 16) or _digits(number, 15)):
        raise InvalidIdentifier(
            _l(
                "NPWP must have 16 digits: your NIK if you are an individual, or 0 followed "
                "by the old 15-digit NPWP of a business, e.g. 0012345678901000."
            )
        )
    if len(number) == 16 and not number.startswith("0"):
        try:
            parse_nik(number)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                _l(
                    "A 16-digit NPWP that does not start with 0 is a NIK, and this one is not "
                    "valid: %(reason)s",
                    reason=exc.message,
                )
            ) from None
        return Npwp(number)
    old = number[-15:]
    if legal_form in INDIVIDUAL_LEGAL_FORMS:
        raise InvalidIdentifier(
            _l(
                "Since July 2024 the NPWP of an individual or sole trader is their NIK. "
                "Enter your 16-digit NIK instead of the old NPWP."
            )
        )
    warning = None
    if not npwp_check_digit_ok(old):
        warning = _l(
            "The check digit of NPWP %(number)s does not add up. It is saved; please compare "
            "it with the NPWP card or the DJP letter.",
            number=format_old_npwp(old),
        )
    return Npwp("0" + old, warning)


def npwp_check_digit_ok(old_number: str) -> bool:
    """The ninth digit of an old 15-digit NPWP is a Luhn check digit over the first nine."""
    return stdnum_npwp.is_valid(old_number)


def format_old_npwp(old_number: str) -> str:
    """`012345678901000` -> `01.234.567.8-901.000`, as printed on the card."""
    n = old_number
    return f"{n[:2]}.{n[2:5]}.{n[5:8]}.{n[8]}-{n[9:12]}.{n[12:]}"


# --- P-IRT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pirt:
    number: str
    packaging: int
    regency_code: str
    # The "berlaku sampai" date printed on the SPP-IRT.
    expires_on: date


# An SPP-IRT is valid for five years from its issue date and is then renewed (PerBPOM 22/2018
# on the SPP-IRT, issued through OSS since PP 5/2021), so a date further ahead is a typo.
PIRT_VALIDITY_YEARS = 5
PIRT_MIN_DIGITS = 15
PIRT_MAX_DIGITS = 20


def parse_pirt_number(text: str) -> str:
    """Check the shape of a P-IRT number and return its digits.

    PerBPOM 22/2018 (as Perka BPOM HK.03.1.23.04.12.2205/2012 before it): "paling sedikit 15
    digit" — packaging (1, a code from 1 to 8), food type (2), the Kemendagri code of the
    issuing regency or city (4), product (2), producer (4) and, last, the two digits of the
    year the certificate lapses. Longer numbers have longer product or producer parts.
    """
    number = _clean(text, r"SPP\s*-?\s*IRT|P\s*-?\s*IRT")
    if re.fullmatch(rf"[0-9]{{{PIRT_MIN_DIGITS},{PIRT_MAX_DIGITS}}}", number) is None:
        raise InvalidIdentifier(
            _l("A P-IRT number has at least 15 digits, e.g. P-IRT No. 2093603010123-28.")
        )
    if number[0] in "09":
        raise InvalidIdentifier(
            _l(
                "The first digit of a P-IRT number is the packaging code, from 1 to 8. "
                "Check the number on your SPP-IRT."
            )
        )
    regency = number[3:7]
    if regency[:2] not in PROVINCES or regency[2:] == "00":
        raise InvalidIdentifier(
            _l(
                "Digits 4–7 of the P-IRT number must be the code of the regency or city that "
                "issued it, e.g. 3603 for Kabupaten Tangerang."
            )
        )
    return number


def parse_pirt(
    text: str, *, valid_until: date | None, today: date, issued_on: date | None = None
) -> Pirt:
    """Check a P-IRT number against the "berlaku sampai" date printed on its SPP-IRT.

    The printed date governs: a certificate issued on 10 March 2021 lapsed on 10 March 2026,
    not at the end of 2026 as the year in the number alone would suggest.
    """
    number = parse_pirt_number(text)
    if valid_until is None:
        raise InvalidIdentifier(
            _l('Enter the "berlaku sampai" (valid until) date printed on the SPP-IRT.')
        )
    year_digits = number[-2:]
    if f"{valid_until.year % 100:02d}" != year_digits:
        raise InvalidIdentifier(
            _l(
                "The last two digits of a P-IRT number are the year it lapses: %(digits)s "
                "does not match the valid-until date %(date)s. Check both on your SPP-IRT.",
                digits=year_digits,
                date=valid_until.strftime("%d-%m-%Y"),
            )
        )
    if valid_until < today:
        raise InvalidIdentifier(
            _l(
                "This SPP-IRT lapsed on %(date)s. Please renew it and enter the new number.",
                date=valid_until.strftime("%d-%m-%Y"),
            )
        )
    latest = _add_years(issued_on or today, PIRT_VALIDITY_YEARS)
    if valid_until > latest:
        raise InvalidIdentifier(
            _l(
                "An SPP-IRT is valid for at most five years, so %(date)s is too far ahead. "
                "Check the date on your SPP-IRT.",
                date=valid_until.strftime("%d-%m-%Y"),
            )
        )
    return Pirt(
        number=number, packaging=int(number[0]), regency_code=number[3:7], expires_on=valid_until
    )


def format_pirt(number: str) -> str:
    """`209360301012328` -> `P-IRT No. 2093603010123-28`, as printed on labels."""
    digits = re.sub(r"[^0-9]", "", number)
    return f"P-IRT No. {digits[:-2]}-{digits[-2:]}"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- BPOM -------------------------------------------------------------------------------------

# A BPOM marketing authorisation (izin edar) for processed food is valid for five years and must
# then be renewed (PerBPOM 23/2023 on the registration of processed food, which replaced PerBPOM
# 27/2017). The expiry printed on the registration governs; issue date + 5 years is the
# fallback when only the issue date is known.
BPOM_VALIDITY_YEARS = 5


def bpom_expiry(*, issued_on: date | None, expires_on: date | None) -> date | None:
    """The registration's expiry: the printed date, else issue date + 5 years."""
    if expires_on is not None:
        return expires_on
    if issued_on is not None:
        return _add_years(issued_on, BPOM_VALIDITY_YEARS)
    return None


@dataclass(frozen=True)
class Bpom:
    number: str
    imported: bool


def parse_bpom(text: str) -> Bpom:
    """Check a BPOM processed-food registration number (MD or ML)."""
    number = _clean(text, r"BADAN\s*POM\s*RI|BPOM\s*RI|BPOM|RI")
    # MD is food made in Indonesia, ML food imported. Older numbers have 12 digits after the
    # prefix; numbers issued in the risk-based format (PerBPOM 23/2023) have 15.
    prefix, digits = number[:2], number[2:]
    if prefix not in ("MD", "ML"):
        raise InvalidIdentifier(
            _l(
                "A BPOM number starts with MD (made in Indonesia) or ML (imported), "
                "e.g. MD 240935001200027."
            )
        )
    if not (_digits(digits, 12) or _digits(digits, 15)):
        raise InvalidIdentifier(
            _l("After MD or ML a BPOM number has 12 or 15 digits, e.g. MD 240935001200027.")
        )
    return Bpom(number=number, imported=prefix == "ML")


# --- Halal ------------------------------------------------------------------------------------


def parse_halal(text: str) -> str:
    """Check a BPJPH halal certificate number and return it upper-case without spaces.

    Since UU 6/2023 (Cipta Kerja) and PP 42/2024 a halal certificate has no expiry date as long
    as the composition and the production process stay the same. Certificates issued under the
    old four-year rule (UU 33/2014 Pasal 42 as first enacted) carry a printed expiry: the
    product's permits take it as an optional date (`catalog/products.py`).
    """
    number = _clean(text, r"SERTIFIKAT\s*HALAL|HALAL")
    # A "ketetapan halal" (KH…) is the halal determination of the MUI fatwa committee, an input to
    # BPJPH; only the certificate BPJPH then issues (ID…) may be claimed on a label.
    if number.startswith("KH"):
        raise InvalidIdentifier(
            _l(
                "A number starting with KH is a halal determination (ketetapan halal), not the "
                "certificate. Enter the certificate number issued by BPJPH, which starts with ID."
            )
        )
    if re.fullmatch(r"ID[0-9]{14,20}", number) is None:
        raise InvalidIdentifier(
            _l(
                "A halal certificate number starts with ID followed by digits, "
                "e.g. ID32110000123450923."
            )
        )
    return number


# --- Legal forms ------------------------------------------------------------------------------

# PT Perorangan is the single-founder company for micro and small businesses introduced by
# UU 11/2020 (Cipta Kerja, now UU 6/2023) and PP 8/2021.
LEGAL_FORMS: tuple[tuple[str, LazyString], ...] = (
    ("perorangan", _l("Individual business (usaha perorangan)")),
    ("cv", _l("CV (limited partnership)")),
    ("pt", _l("PT (limited company)")),
    ("pt_perorangan", _l("PT Perorangan (single-owner company)")),
    ("koperasi", _l("Cooperative (koperasi)")),
    ("firma", _l("Firma (general partnership)")),
    ("ud", _l("UD (sole trading business)")),
    ("other", _l("Other")),
)


# --- Display ----------------------------------------------------------------------------------


def mask(value: str | None, visible: int = 4) -> str:
    """Hide all but the last `visible` characters, e.g. of a NIK shown to staff."""
    if not value:
        return ""
    visible = max(visible, 0)
    hidden = max(len(value) - visible, 0)
    return "*" * hidden + value[hidden:]
