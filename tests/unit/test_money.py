from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.money import (
    MAX_AMOUNT,
    AmountTooLarge,
    CommaThousands,
    InvalidAmount,
    InvalidPercent,
    basis_points_to_percent,
    commission_split,
    format_percent,
    format_rupiah,
    parse_rupiah,
    percent_to_basis_points,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (25000, "Rp25.000"),
        (1250000, "Rp1.250.000"),
        (-85000, "-Rp85.000"),
    ],
)
def test_rupiah_uses_the_indonesian_spelling(amount, text):
    assert format_rupiah(amount) == text


def test_rupiah_refuses_floats_so_money_never_becomes_inexact():
    with pytest.raises(TypeError):
        format_rupiah(25000.0)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("25000", 25000),
        ("25.000", 25000),
        ("Rp25.000", 25000),
        ("Rp 25.000,00", 25000),
        ("rp.1.250.000", 1250000),
        ("-Rp500", -500),
    ],
)
def test_parse_rupiah_reads_what_people_type(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["", "abc", "25,5", "25.00", "Rp", "1.2345"])
def test_parse_rupiah_rejects_non_amounts(text):
    with pytest.raises(InvalidAmount):
        parse_rupiah(text)


@given(st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_format_then_parse_gives_the_amount_back(amount):
    assert parse_rupiah(format_rupiah(amount)) == amount


def test_commission_rounds_half_up_to_whole_rupiah():
    # 20 % of 12.345 = 2.469 exactly; 22,5 % of 1.002 = 225,45 -> 225; of 1.010 = 227,25 -> 227
    assert commission_split(12345, 2000) == (2469, 9876)
    assert commission_split(1002, 2250) == (225, 777)
    # 25 % of 2 = 0,5 -> rounds up to 1
    assert commission_split(2, 2500) == (1, 1)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 10_000))
def test_commission_and_vendor_share_always_add_up_to_gross(gross, rate):
    commission, share = commission_split(gross, rate)
    assert commission + share == gross
    assert abs(commission * 10_000 - gross * rate) <= 5_000


def test_commission_rate_outside_0_to_100_percent_is_refused():
    with pytest.raises(ValueError):
        commission_split(1000, 10_001)


# --- percentages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "basis_points"),
    [
        ("22,5", 2250),  # an Indonesian keyboard's decimal comma
        ("22.5", 2250),
        ("22,5 %", 2250),
        (" 22,50 ", 2250),
        ("0", 0),
        ("0,01", 1),
        ("100", 10_000),
        ("12,25", 1225),
        (Decimal("22.5"), 2250),
        (Decimal("20.00"), 2000),
        (22, 2200),
    ],
)
def test_a_percentage_becomes_basis_points_exactly(typed, basis_points):
    assert percent_to_basis_points(typed) == basis_points


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("22,555", "two decimals"),
        ("100,01", "from 0 to 100"),
        ("101", "from 0 to 100"),
        ("-1", "from 0 to 100"),
        (Decimal("-0.5"), "from 0 to 100"),
        ("dua puluh", "as a number"),
        ("", "as a number"),
        ("22,5,1", "as a number"),
    ],
)
def test_a_percentage_that_cannot_be_stored_is_refused_with_a_reason(typed, says):
    with pytest.raises(InvalidPercent) as refused:
        percent_to_basis_points(typed)
    assert says in str(refused.value.message)


@given(st.integers(0, 10_000))
def test_basis_points_survive_the_round_trip_through_percent(basis_points):
    assert percent_to_basis_points(basis_points_to_percent(basis_points)) == basis_points
    assert percent_to_basis_points(format_percent(basis_points, locale="id")) == basis_points
    assert percent_to_basis_points(format_percent(basis_points, locale="en")) == basis_points


@pytest.mark.parametrize(
    ("basis_points", "indonesian", "english"),
    [
        (2250, "22,5\u00a0%", "22.5%"),
        (2000, "20\u00a0%", "20%"),
        (0, "0\u00a0%", "0%"),  # 0 % is a rate, not "no rate"
        (1, "0,01\u00a0%", "0.01%"),
        (10_000, "100\u00a0%", "100%"),
    ],
)
def test_a_rate_reads_the_way_each_language_writes_it(basis_points, indonesian, english):
    assert format_percent(basis_points, locale="id") == indonesian
    assert format_percent(basis_points, locale="en") == english
    assert basis_points_to_percent(basis_points) == Decimal(basis_points) / 100


# --- prices as vendors type them (issue 14) ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Rp25.000,-", 25000),  # the price-tag spelling
        ("Rp 25.000,--", 25000),
        ("25.000,-", 25000),
        ("Rp1.250.000,00", 1250000),
        ("15000", 15000),
    ],
)
def test_parse_rupiah_reads_price_tags(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("10rb", 10_000),
        ("10 rb", 10_000),
        ("Rp12,5rb", 12_500),
        ("12.5 ribu", 12_500),
        ("25k", 25_000),
        ("1,5jt", 1_500_000),
        ("2 juta", 2_000_000),
        ("-5rb", -5_000),
    ],
)
def test_parse_rupiah_reads_the_shorthand_of_shops_and_chats(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["1.500rb", "rb", "10rbu", "1,2345jt"])
def test_parse_rupiah_refuses_shorthand_it_cannot_read_exactly(text):
    with pytest.raises(InvalidAmount):
        parse_rupiah(text)


def test_parse_rupiah_refuses_shorthand_above_the_maximum():
    with pytest.raises(AmountTooLarge):
        parse_rupiah("1001jt")


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        ("25,000", 25000),  # was read as Rp25: a product put on sale at 1/1000 of its price
        ("Rp25,000", 25000),
        ("1,250,000", 1250000),
        ("Rp 25,000.00", 25000),
        ("2,500", 2500),
    ],
)
def test_a_comma_before_three_digits_is_refused_with_what_was_meant(text, understood):
    with pytest.raises(CommaThousands) as info:
        parse_rupiah(text)
    assert info.value.understood == understood
    assert isinstance(info.value, InvalidAmount)


def test_a_comma_before_three_digits_in_a_muddle_has_no_reading():
    with pytest.raises(CommaThousands) as info:
        parse_rupiah("25.000,000")
    assert info.value.understood is None
