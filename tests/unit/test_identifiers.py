from datetime import date, timedelta

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from storefront.indonesia import identifiers
from storefront.indonesia.banks import BANKS, Bank, bank_by_code, parse_bank_account
from storefront.indonesia.identifiers import (
    BPOM_VALIDITY_YEARS,
    LEGAL_FORMS,
    Bpom,
    InvalidIdentifier,
    Nik,
    Pirt,
    mask,
    parse_bpom,
    parse_halal,
    parse_nib,
    parse_nik,
    parse_npwp,
    parse_pirt,
)
from storefront.indonesia.regions import CITIES, KECAMATAN, PROVINCES, is_known_kecamatan

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
        parse_pirt("1", today=FIXED_TODAY)
    assert str(info.value).startswith("A P-IRT number has 15 digits")


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3603015505900001", "3603015505900001"),  # an individual's NIK is their NPWP
        ("0012345678901000", "0012345678901000"),  # an entity's 16-digit NPWP
        ("01.234.567.8-901.000", "0012345678901000"),  # old 15 digits get a leading 0
        ("012345678901000", "0012345678901000"),
        ("NPWP 01.234.567.8-901.000", "0012345678901000"),
    ],
)
def test_npwp(text, expected):
    assert parse_npwp(text) == expected


def test_npwp_does_not_have_to_match_the_nik():
    assert parse_npwp("0012345678901000", nik="3603015505900001") == "0012345678901000"


@pytest.mark.parametrize(
    "text", ["", "01.234.567.8-901.00", "36030155059000012", "01.234.567.8-901.00A"]
)
def test_npwp_other_lengths_are_refused(text):
    assert refused(parse_npwp, text).startswith("NPWP must have 16 digits")


# --- P-IRT ---------------------------------------------------------------------------------------


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
    assert parse_pirt(text, today=date(2026, 1, 1)) == Pirt(
        number="209360301012328", regency_code="3603", expires_on=date(2028, 12, 31)
    )


@pytest.mark.parametrize(
    ("today", "valid"),
    [
        (date(2027, 12, 31), True),
        (date(2028, 12, 31), True),  # valid through the last day of the year printed
        (date(2029, 1, 1), False),
        (date(2031, 6, 1), False),
    ],
)
def test_pirt_expiry_year(today, valid):
    if valid:
        assert parse_pirt("2093603010123-28", today=today).expires_on == date(2028, 12, 31)
    else:
        assert refused(parse_pirt, "2093603010123-28", today=today) == (
            "This P-IRT expired at the end of 2028. Please renew it and enter the new number."
        )


def test_pirt_year_too_far_ahead_is_a_typo():
    assert parse_pirt("2093603010123-30", today=date(2025, 6, 15)).expires_on.year == 2030
    message = refused(parse_pirt, "2093603010123-31", today=date(2025, 6, 15))
    assert "2031 is too far ahead" in message


@pytest.mark.parametrize(
    "text", ["", "20936030101232", "2093603010123288", "P-IRT 2093603O10123-28"]
)
def test_pirt_needs_15_digits(text):
    assert refused(parse_pirt, text, today=FIXED_TODAY).startswith("A P-IRT number has 15 digits")


@pytest.mark.parametrize("text", ["2090003010123-28", "2093700010123-28", "2093600010123-28"])
def test_pirt_regency_code_must_be_real(text):
    assert "Digits 4–7" in refused(parse_pirt, text, today=FIXED_TODAY)


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
    ],
)
def test_bank_account(bank_code, text, expected):
    assert parse_bank_account(text, bank_code) == expected


@pytest.mark.parametrize(
    ("bank_code", "text", "message"),
    [
        ("014", "123456789", "An account number at BCA has 10 digits. Check the number."),
        ("014", "12345678901", "An account number at BCA has 10 digits. Check the number."),
        ("008", "1234567890", "An account number at Bank Mandiri has 13 digits. Check the number."),
        ("002", "1234567890", "An account number at BRI has 15 digits. Check the number."),
        (
            "022",
            "123456789012",
            "An account number at CIMB Niaga has 13 to 14 digits. Check the number.",
        ),
        (
            "542",
            "1234567",
            "An account number at Bank Jago has 8 to 16 digits. Check the number.",
        ),
    ],
)
def test_bank_account_wrong_length(bank_code, text, message):
    assert refused(parse_bank_account, text, bank_code) == message


@pytest.mark.parametrize("text", ["", "12345abcde", "１２３４５６７８９０"])
def test_bank_account_digits_only(text):
    assert refused(parse_bank_account, text, "014").startswith("Enter the account number")


@pytest.mark.parametrize("bank_code", ["", "999", "bca"])
def test_unknown_bank(bank_code):
    assert refused(parse_bank_account, "1234567890", bank_code) == "Choose your bank from the list."


# --- Legal forms, cities, kecamatan --------------------------------------------------------------


def test_legal_forms():
    codes = [code for code, _label in LEGAL_FORMS]
    assert codes == ["perorangan", "cv", "pt", "pt_perorangan", "koperasi", "firma", "ud", "other"]
    labels = dict(LEGAL_FORMS)
    assert str(labels["pt_perorangan"]).startswith("PT Perorangan")
    assert str(labels["other"]) == "Other"


def test_cities_and_kecamatan_counts():
    assert [key for key, _name in CITIES] == list(KECAMATAN)
    assert len(KECAMATAN["kabupaten-tangerang"]) == 29
    assert len(KECAMATAN["kota-tangerang"]) == 13
    for names in KECAMATAN.values():
        assert len(set(names)) == len(names)
        assert list(names) == sorted(names)


@pytest.mark.parametrize(
    ("city", "name", "known"),
    [
        ("kabupaten-tangerang", "Tigaraksa", True),
        ("kabupaten-tangerang", "Kelapa Dua", True),
        ("kabupaten-tangerang", "kelapadua", True),
        ("kabupaten-tangerang", "Teluk Naga", True),
        ("kabupaten-tangerang", "Kec. Pasar Kemis", True),
        ("kabupaten-tangerang", "Kecamatan Sindangjaya", True),
        ("kabupaten-tangerang", "Karawaci", False),  # that is Kota Tangerang
        ("kota-tangerang", "Karawaci", True),
        ("kota-tangerang", "Batu Ceper", True),
        ("kota-tangerang", "Karang Tengah", True),
        ("kota-tangerang", "Cikupa", False),
        ("kota-tangerang", "", False),
        ("kota-tangerang", "Kecamatan", False),
        ("kota-tangerang-selatan", "Serpong", False),
        ("jakarta", "Tangerang", False),
    ],
)
def test_is_known_kecamatan(city, name, known):
    assert is_known_kecamatan(city, name) is known


# --- mask ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "visible", "expected"),
    [
        ("3603015505900001", 4, "************0001"),
        ("1234567890", 3, "*******890"),
        ("1234567890", 0, "**********"),
        ("123", 4, "123"),
        ("", 4, ""),
        (None, 4, ""),
    ],
)
def test_mask(value, visible, expected):
    assert mask(value, visible) == expected


def test_mask_default_shows_four():
    assert mask("3603015505900001") == "************0001"


@given(value=st.text(min_size=1), visible=st.integers(0, 20))
def test_mask_keeps_length_and_hides_the_start(value, visible):
    masked = mask(value, visible)
    assert len(masked) == len(value)
    shown = min(visible, len(value))
    assert masked.endswith(value[len(value) - shown :])
    assert set(masked[: len(value) - shown]) <= {"*"}
