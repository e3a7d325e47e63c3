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

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from storefront.errors import DomainError
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
        ValueError.__init__(self, _english(message))


def _english(message: LazyString) -> str:
    # Logs stay in English whatever language the visitor chose.
    try:
        with force_locale("en"):
            return str(message)
    except KeyError:
        # An app context without Flask-Babel (a bare app in a script or test) cannot translate;
        # interpolate the English source text the way flask_babel.gettext does.
        msgid = message._args[0]
        return msgid % message._kwargs if message._kwargs else msgid


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


def parse_npwp(text: str, *, nik: str | None = None) -> str:
    """Check an NPWP and return its 16-digit form.

    `nik` is the applicant's NIK, accepted for the caller's convenience only: it is not compared,
    because the NPWP given may be the business's, not the person's.
    """
    number = _clean(text, "NPWP")
    # PMK 112/PMK.03/2022: from 1 July 2024 a resident individual's NPWP is their NIK and every
    # other taxpayer's NPWP is 16 digits, "0" followed by the old 15-digit number.
    if _digits(number, 16):
        return number
    if _digits(number, 15):
        return "0" + number
    raise InvalidIdentifier(
        _l("NPWP must have 16 digits, or 15 digits for an old NPWP, e.g. 01.234.567.8-901.000.")
    )


# --- P-IRT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pirt:
    number: str
    regency_code: str
    expires_on: date


# SPP-IRT is valid for at most five years (PerBPOM 22/2018), so an expiry year further ahead than
# that is a typo.
PIRT_MAX_VALIDITY_YEARS = 5


def parse_pirt(text: str, *, today: date) -> Pirt:
    """Check a P-IRT (home-industry food) number and that it has not expired on `today`."""
    number = _clean(text, r"SPP\s*-?\s*IRT|P\s*-?\s*IRT")
    # Format of PerBPOM 22/2018 (as in Perka BPOM HK.03.1.23.04.12.2205/2012): packaging (1),
    # food type (2), Kemendagri code of the issuing regency or city (4), product (2),
    # producer (4), and the last two digits of the year the permit expires (2).
    if not _digits(number, 15):
        raise InvalidIdentifier(
            _l("A P-IRT number has 15 digits, e.g. P-IRT No. 2093603010123-28.")
        )
    regency = number[3:7]
    if regency[:2] not in PROVINCES or regency[2:] == "00":
        raise InvalidIdentifier(
            _l(
                "Digits 4–7 of the P-IRT number must be the code of the regency or city that "
                "issued it, e.g. 3603 for Kabupaten Tangerang."
            )
        )
    year = 2000 + int(number[13:])
    # The permit stays valid until the end of the year printed on it.
    expires_on = date(year, 12, 31)
    if expires_on < today:
        raise InvalidIdentifier(
            _l(
                "This P-IRT expired at the end of %(year)s. Please renew it and enter the new "
                "number.",
                year=str(year),
            )
        )
    if year > today.year + PIRT_MAX_VALIDITY_YEARS:
        raise InvalidIdentifier(
            _l(
                "The last two digits of a P-IRT number are the year it expires, and %(year)s "
                "is too far ahead. Check the number on your permit.",
                year=str(year),
            )
        )
    return Pirt(number=number, regency_code=regency, expires_on=expires_on)


# --- BPOM -------------------------------------------------------------------------------------

# A BPOM marketing authorisation (izin edar) for processed food is valid for five years and must
# then be renewed (PerBPOM 27/2017 on the registration of processed food).
BPOM_VALIDITY_YEARS = 5


@dataclass(frozen=True)
class Bpom:
    number: str
    imported: bool


def parse_bpom(text: str) -> Bpom:
    """Check a BPOM processed-food registration number (MD or ML)."""
    number = _clean(text, r"BADAN\s*POM\s*RI|BPOM\s*RI|BPOM|RI")
    # MD is food made in Indonesia, ML food imported. Older numbers have 12 digits after the
    # prefix; numbers issued in the risk-based format (PerBPOM 27/2017 as amended) have 15.
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

    Since PP 42/2024 a halal certificate has no expiry date as long as the composition and the
    production process stay the same, so no date is asked for or checked here.
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
