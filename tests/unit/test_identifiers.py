from datetime import date, timedelta

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from storefront.indonesia import identifiers
from storefront.indonesia.banks import (
    BANKS,
    Bank,
    BankAccount,
    bank_by_code,
    parse_bank_account,
    parse_other_bank_code,
)
from storefront.indonesia.identifiers import (
    BPOM_VALIDITY_YEARS,
    Bpom,
    InvalidIdentifier,
    Nik,
    Npwp,
    Pirt,
    bpom_expiry,
    format_pirt,
    parse_bpom,
    parse_halal,
    parse_nib,
    parse_nik,
    parse_npwp,
    parse_pirt,
)
from storefront.indonesia.regions import PROVINCES

FIXED_TODAY = date(2025, 6, 15)


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(identifiers, "_today", lambda: FIXED_TODAY)
    return FIXED_TODAY


def refused(func, *args, **kwargs) -> str:
    """Call `func`, expect InvalidIdentifier, and return its English message."""
    with pytest.raises(InvalidIdentifier) as info:
        func(*args, **kwargs)
    assert str(info.value) == str(info.value.message)
    return str(info.value)


# --- InvalidIdentifier ---------------------------------------------------------------------------


def test_invalid_identifier_is_a_value_error_with_a_lazy_message():
    with pytest.raises(ValueError, match="16 digits") as info:
        parse_nik("123")
    assert "16 digits" in str(info.value.message)


def test_str_stays_english_inside_an_indonesian_request():
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "id")
    with app.test_request_context():
        message = refused(parse_nib, "123")
    assert message.startswith("NIB must have 13 digits")


def test_str_works_in_an_app_without_flask_babel():
    with Flask(__name__).test_request_context(), pytest.raises(InvalidIdentifier) as info:
        parse_pirt("1", valid_until=None, today=FIXED_TODAY)
    assert str(info.value).startswith("A P-IRT number has at least 15 digits")


# --- NIK -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "3603015505900001",
        "3603 0155 0590 0001",
        "3603.015505.900001",
        "36-03-01-550590-0001",
        "NIK: 3603015505900001",
        "No. NIK 3603015505900001",
    ],
)
def test_nik_typed_in_any_common_way(text, fixed_today):
    assert parse_nik(text) == Nik(
        number="3603015505900001",
        province_code="36",
        regency_code="3603",
        district_code="360301",
        birth_date=date(1990, 5, 15),
        female=True,
    )


def test_nik_of_a_man_in_kota_tangerang(fixed_today):
    nik = parse_nik("3671021208050123")
    assert nik.regency_code == "3671"
    assert nik.district_code == "367102"
    assert nik.birth_date == date(2005, 8, 12)
    assert nik.female is False


@pytest.mark.parametrize(
    ("ddmmyy", "born", "female"),
    [
        ("010100", date(2000, 1, 1), False),
        ("410100", date(2000, 1, 1), True),
        ("310199", date(1999, 1, 31), False),
        ("710199", date(1999, 1, 31), True),
        ("290296", date(1996, 2, 29), False),
        ("690204", date(2004, 2, 29), True),
        ("150625", date(2025, 6, 15), False),  # born today
        ("010126", date(1926, 1, 1), False),  # after this year's two digits: last century
    ],
)
def test_nik_birth_date_and_sex(ddmmyy, born, female, fixed_today):
    nik = parse_nik(f"360301{ddmmyy}0001")
    assert (nik.birth_date, nik.female) == (born, female)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "360301550590000",  # 15 digits
        "36030155059000011",  # 17 digits
        "36030155O5900001",  # letter O for zero
        "3603015505900001x",
        "٣٦٠٣٠١٥٥٠٥٩٠٠٠٠١",  # Arabic-Indic digits are not NIK digits
    ],
)
def test_nik_needs_exactly_16_digits(text, fixed_today):
    assert refused(parse_nik, text) == "NIK must have 16 digits, e.g. 3603015505900001."


@pytest.mark.parametrize("province", ["00", "10", "20", "22", "30", "37", "50", "54", "66", "97"])
def test_nik_province_must_exist(province, fixed_today):
    message = refused(parse_nik, f"{province}03015505900001")
    assert f"({province}) are not a province code" in message


@pytest.mark.parametrize("province", ["17", "18", "19", "21", "36", "65", "76", "93", "94", "96"])
def test_nik_newer_and_easily_forgotten_provinces_are_known(province, fixed_today):
    assert parse_nik(f"{province}03015505900001").province_code == province


def test_province_list_is_the_38_current_provinces():
    assert len(PROVINCES) == 38
    assert PROVINCES["36"] == "Banten"


@pytest.mark.parametrize("number", ["3600015505900001", "3603005505900001"])
def test_nik_regency_and_district_cannot_be_00(number, fixed_today):
    assert "cannot be 00" in refused(parse_nik, number)


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "310290",  # 31 February
        "290290",  # 29 February in a common year
        "000190",  # day 0
        "320190",  # day 32: neither a man's day nor a woman's (41-71)
        "400190",  # day 40
        "720190",  # day 72 = 32 for a woman
        "710490",  # 31 April for a woman
        "150090",  # month 0
        "151390",  # month 13
    ],
)
def test_nik_impossible_birth_dates(ddmmyy, fixed_today):
    assert "must be a birth date as DDMMYY" in refused(parse_nik, f"360301{ddmmyy}0001")


@pytest.mark.parametrize("ddmmyy", ["160625", "010725", "561225"])
def test_nik_birth_date_in_the_future(ddmmyy, fixed_today):
    assert "is in the future" in refused(parse_nik, f"360301{ddmmyy}0001")


def test_future_birth_date_message_names_the_date(fixed_today):
    message = refused(parse_nik, "3603015612250001")
    assert message == (
        "The birth date in this NIK (16-12-2025) is in the future. Check the number on your KTP."
    )


def test_nik_sequence_cannot_be_0000(fixed_today):
    assert "cannot be 0000" in refused(parse_nik, "3603015505900000")


@given(
    province=st.sampled_from(sorted(PROVINCES)),
    regency=st.integers(1, 99),
    district=st.integers(1, 99),
    born=st.dates(
        min_value=date(identifiers._today().year - 99, 1, 1),
        max_value=identifiers._today() - timedelta(days=1),
    ),
    female=st.booleans(),
    sequence=st.integers(1, 9999),
    separator=st.sampled_from(["", " ", ".", "-"]),
)
def test_any_well_formed_nik_round_trips(
    province, regency, district, born, female, sequence, separator
):
    day = born.day + 40 if female else born.day
    parts = [
        f"{province}{regency:02d}",
        f"{district:02d}",
        f"{day:02d}{born:%m%y}",
        f"{sequence:04d}",
    ]
    number = "".join(parts)
    nik = parse_nik(separator.join(parts))
    assert nik == Nik(
        number=number,
        province_code=province,
        regency_code=number[:4],
        district_code=number[:6],
        birth_date=born,
        female=female,
    )


# --- NIB -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["9120001234567", "9120 0012 3456 7", "NIB: 9120001234567"])
def test_nib(text):
    assert parse_nib(text) == "9120001234567"


@pytest.mark.parametrize("text", ["", "912000123456", "91200012345678", "912000123456A"])
def test_nib_needs_13_digits(text):
    assert refused(parse_nib, text).startswith("NIB must have 13 digits")


# --- NPWP ----------------------------------------------------------------------------------------
# PMK 112/PMK.03/2022: an individual's NPWP is their NIK; a badan's is 0 + the old 15 digits.
# 01.312.166.0-091.000 has a valid check digit (the example python-stdnum documents).


@pytest.mark.parametrize(
    ("text", "legal_form", "expected"),
    [
        ("3603015505900001", "perorangan", "3603015505900001"),  # the owner's NIK
        ("3603015505900001", None, "3603015505900001"),
        ("NPWP 3603 0155 0590 0001", "ud", "3603015505900001"),
        ("0013121660091000", "cv", "0013121660091000"),  # a badan's 16-digit NPWP
        ("01.312.166.0-091.000", "pt", "0013121660091000"),  # old 15 digits get a leading 0
        ("013121660091000", "koperasi", "0013121660091000"),
        ("01.312.166.0-091.000", "pt_perorangan", "0013121660091000"),
    ],
)
def test_npwp(text, legal_form, expected):
    npwp = parse_npwp(text, legal_form=legal_form)
    assert npwp == Npwp(expected)


def test_a_16_digit_npwp_not_starting_with_0_must_be_a_valid_nik():
    # 360301 151390 0001: born on the 15th of month 13.
    message = refused(parse_npwp, "3603011513900001", legal_form="perorangan")
    assert message.startswith("A 16-digit NPWP that does not start with 0 is a NIK")
    assert "birth date as DDMMYY" in message
    assert "province code" in refused(parse_npwp, "9903015505900001")


@pytest.mark.parametrize("legal_form", ["perorangan", "ud"])
def test_an_individual_with_the_old_number_is_asked_for_the_nik(legal_form):
    for old in ("01.312.166.0-091.000", "0013121660091000"):
        message = refused(parse_npwp, old, legal_form=legal_form)
        assert "Enter your 16-digit NIK" in message


def test_a_wrong_check_digit_on_an_old_number_is_only_a_warning():
    # The ninth digit of 01.312.166.1-091.000 should be 0 (Luhn over the first nine).
    npwp = parse_npwp("01.312.166.1-091.000", legal_form="cv")
    assert npwp.number == "0013121661091000"
    assert npwp.warning is not None
    assert "01.312.166.1-091.000" in str(npwp.warning)
    assert parse_npwp("01.312.166.0-091.000", legal_form="cv").warning is None


@pytest.mark.parametrize(
    "text", ["", "01.234.567.8-901.00", "36030155059000012", "01.234.567.8-901.00A"]
)
def test_npwp_other_lengths_are_refused(text):
    assert refused(parse_npwp, text).startswith("NPWP must have 16 digits")


# --- P-IRT ---------------------------------------------------------------------------------------
# PerBPOM 22/2018: at least 15 digits; the "berlaku sampai" printed on the SPP-IRT governs.


@pytest.mark.parametrize(
    "text",
    [
        "P-IRT No. 2093603010123-28",
        "PIRT 2093603010123-28",
        "p-irt no 2093603010123 28",
        "SPP-IRT No: 209360301012328",
        "209.3603.01.0123.28",
        "209360301012328",
    ],
)
def test_pirt(text):
    assert parse_pirt(
        text, valid_until=date(2028, 3, 10), issued_on=date(2023, 3, 10), today=date(2026, 1, 1)
    ) == Pirt(
        number="209360301012328", packaging=2, regency_code="3603", expires_on=date(2028, 3, 10)
    )


def test_pirt_lapses_on_the_printed_date_not_at_the_end_of_its_year():
    # Issued 10 March 2021, valid to 10 March 2026: no longer on sale from 11 March 2026.
    number = "P-IRT No. 2093603010123-26"
    lapses = date(2026, 3, 10)
    assert parse_pirt(number, valid_until=lapses, today=date(2026, 3, 10)).expires_on == lapses
    message = refused(parse_pirt, number, valid_until=lapses, today=date(2026, 3, 11))
    assert message == "This SPP-IRT lapsed on 10-03-2026. Please renew it and enter the new number."


def test_pirt_needs_the_printed_date():
    assert "berlaku sampai" in refused(
        parse_pirt, "2093603010123-28", valid_until=None, today=FIXED_TODAY
    )


def test_pirt_date_must_match_the_year_in_the_number():
    message = refused(
        parse_pirt, "2093603010123-28", valid_until=date(2027, 12, 31), today=FIXED_TODAY
    )
    assert "28 does not match the valid-until date 31-12-2027" in message


def test_pirt_is_valid_five_years_at_most():
    issued = date(2025, 6, 15)
    assert parse_pirt(
        "2093603010123-30", valid_until=date(2030, 6, 15), issued_on=issued, today=FIXED_TODAY
    )
    message = refused(
        parse_pirt,
        "2093603010123-30",
        valid_until=date(2030, 6, 16),
        issued_on=issued,
        today=FIXED_TODAY,
    )
    assert "at most five years" in message


@pytest.mark.parametrize("text", ["2093603010123-28", "20936030101230123-28"])
def test_pirt_has_at_least_15_digits(text):
    """ "Paling sedikit 15 digit": longer numbers are real too."""
    pirt = parse_pirt(text, valid_until=date(2028, 1, 31), today=FIXED_TODAY)
    assert pirt.number == text.replace("-", "")


@pytest.mark.parametrize(
    "text", ["", "20936030101232", "P-IRT 2093603O10123-28", "209360301012312345678"]
)
def test_pirt_needs_15_to_20_digits(text):
    message = refused(parse_pirt, text, valid_until=date(2028, 1, 31), today=FIXED_TODAY)
    assert message.startswith("A P-IRT number has at least 15 digits")


@pytest.mark.parametrize("text", ["0093603010123-28", "9093603010123-28"])
def test_pirt_packaging_digit_is_1_to_8(text):
    message = refused(parse_pirt, text, valid_until=date(2028, 1, 31), today=FIXED_TODAY)
    assert "packaging code, from 1 to 8" in message


@pytest.mark.parametrize("text", ["2090003010123-28", "2093700010123-28", "2093600010123-28"])
def test_pirt_regency_code_must_be_real(text):
    assert "Digits 4–7" in refused(
        parse_pirt, text, valid_until=date(2028, 1, 31), today=FIXED_TODAY
    )


def test_pirt_is_printed_as_on_the_label():
    assert format_pirt("209360301012328") == "P-IRT No. 2093603010123-28"


# --- BPOM ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MD240935001200027", Bpom("MD240935001200027", imported=False)),
        ("BPOM RI MD 240935001200027", Bpom("MD240935001200027", imported=False)),
        ("bpom ri md 2409 3500 1200 027", Bpom("MD240935001200027", imported=False)),
        ("BPOM RI ML 234567890123", Bpom("ML234567890123", imported=True)),
        ("MD 867 128 001 234", Bpom("MD867128001234", imported=False)),
    ],
)
def test_bpom_12_and_15_digits(text, expected):
    assert parse_bpom(text) == expected


@pytest.mark.parametrize("text", ["", "SP 123456789012", "TR123456789012", "P-IRT 2093603010123"])
def test_bpom_prefix_must_be_md_or_ml(text):
    assert refused(parse_bpom, text).startswith("A BPOM number starts with MD")


@pytest.mark.parametrize(
    "text", ["MD", "MD12345678901", "MD1234567890123", "MD2409350012000270", "MD24093500120002A"]
)
def test_bpom_needs_12_or_15_digits(text):
    assert refused(parse_bpom, text).startswith("After MD or ML a BPOM number has 12 or 15")


def test_bpom_validity_is_five_years():
    assert BPOM_VALIDITY_YEARS == 5


def test_bpom_prefers_the_printed_expiry_over_issue_plus_five_years():
    # PerBPOM 23/2023: the registration states its own expiry.
    printed = date(2029, 8, 1)
    assert bpom_expiry(issued_on=date(2024, 9, 1), expires_on=printed) == printed
    assert bpom_expiry(issued_on=date(2024, 9, 1), expires_on=None) == date(2029, 9, 1)
    assert bpom_expiry(issued_on=date(2024, 2, 29), expires_on=None) == date(2029, 2, 28)
    assert bpom_expiry(issued_on=None, expires_on=None) is None


# --- Halal ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "ID32110000123450923",
        "id32110000123450923",
        "ID 3211 0000 1234 50923",
        "No. ID32110000123450923",
    ],
)
def test_halal(text):
    assert parse_halal(text) == "ID32110000123450923"


@pytest.mark.parametrize("digits", [14, 20])
def test_halal_length_bounds(digits):
    assert parse_halal("ID" + "1" * digits) == "ID" + "1" * digits


def test_ketetapan_halal_is_not_a_certificate():
    message = refused(parse_halal, "KH-32110000123450923")
    assert message == (
        "A number starting with KH is a halal determination (ketetapan halal), not the "
        "certificate. Enter the certificate number issued by BPJPH, which starts with ID."
    )


@pytest.mark.parametrize(
    "text", ["", "ID", "ID" + "1" * 13, "ID" + "1" * 21, "32110000123450923", "ID3211000012345092X"]
)
def test_halal_format(text):
    assert refused(parse_halal, text).startswith("A halal certificate number starts with ID")


# --- Banks ---------------------------------------------------------------------------------------


def test_banks_are_unique_and_sane():
    codes = [bank.code for bank in BANKS]
    assert len(codes) == len(set(codes))
    for bank in BANKS:
        assert isinstance(bank, Bank)
        assert len(bank.code) == 3 and bank.code.isdigit()
        assert bank.account_lengths
        # The error message names a range, so lengths must be consecutive.
        lengths = sorted(bank.account_lengths)
        assert lengths == list(range(lengths[0], lengths[-1] + 1))
        assert lengths[0] >= 8
        assert lengths[-1] <= 16


def test_bank_by_code():
    assert bank_by_code("014") == Bank("014", "BCA", (10,))
    assert bank_by_code(" 008 ") is not None
    assert bank_by_code("999") is None
    assert bank_by_code("") is None


@pytest.mark.parametrize(
    ("bank_code", "text", "expected"),
    [
        ("014", "123-456-7890", "1234567890"),  # BCA
        ("008", "123 00 1234567 8", "1230012345678"),  # Mandiri
        ("002", "0123-01-012345-50-1", "012301012345501"),  # BRI
        ("009", "0123456789", "0123456789"),  # BNI
        ("022", "7012345678901", "7012345678901"),  # CIMB Niaga, 13
        ("022", "70123456789012", "70123456789012"),  # CIMB Niaga, 14
        ("200", "0012 3456 7890 1234", "0012345678901234"),  # BTN
        ("542", "10412345678", "10412345678"),  # Jago: any plausible length
        ("536", "0123456789", "0123456789"),  # BCA Syariah
        ("153", "0051234567", "0051234567"),  # Bank Sinarmas
        ("600123", "1020304050", "1020304050"),  # a BPR typed as "Bank lain"
    ],
)
def test_bank_account(bank_code, text, expected):
    assert parse_bank_account(text, bank_code) == BankAccount(expected)


@pytest.mark.parametrize(
    ("bank_code", "text", "message"),
    [
        (
            "014",
            "123456789",
            "An account number at BCA usually has 10 digits, this one has 9. It is saved; "
            "please check it.",
        ),
        (
            "008",
            "1234567890",
            "An account number at Bank Mandiri usually has 13 digits, this one has 10. It is "
            "saved; please check it.",
        ),
        (
            "022",
            "123456789012",
            "An account number at CIMB Niaga usually has 13 to 14 digits, this one has 12. It "
            "is saved; please check it.",
        ),
    ],
)
def test_an_unusual_account_length_is_a_warning_not_a_refusal(bank_code, text, message):
    account = parse_bank_account(text, bank_code)
    assert account.number == text
    assert str(account.warning) == message


@pytest.mark.parametrize("text", ["", "12345abcde", "１２３４５６７８９０"])
def test_bank_account_digits_only(text):
    assert refused(parse_bank_account, text, "014").startswith("Enter the account number")


@pytest.mark.parametrize("text", ["1234", "123456789012345678901"])
def test_bank_account_of_impossible_length_is_refused(text):
    assert refused(parse_bank_account, text, "014").startswith("An account number has 5 to 20")


def test_unknown_bank_code_is_refused_only_when_empty():
    assert refused(parse_bank_account, "1234567890", "") == "Choose your bank from the list."


@pytest.mark.parametrize(("text", "code"), [("536", "536"), (" 600-123 ", "600123")])
def test_other_bank_code(text, code):
    assert parse_other_bank_code(text) == code


@pytest.mark.parametrize("text", ["", "53", "BCA", "12345678"])
def test_other_bank_code_is_3_to_7_digits(text):
    assert refused(parse_other_bank_code, text).startswith("Enter the bank's transfer code")
