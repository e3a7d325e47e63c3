import pytest

from storefront.phones import InvalidPhone, display_phone, normalise_phone, whatsapp_link


@pytest.mark.parametrize(
    "text",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "62 812-3456-7890"],
)
def test_indonesian_mobile_numbers_are_stored_as_e164(text):
    assert normalise_phone(text) == "+6281234567890"


def test_jakarta_landline_is_accepted():
    assert normalise_phone("(021) 5555 1234") == "+622155551234"


@pytest.mark.parametrize("text", ["", "12", "0812", "abcdefghij", "+1 000"])
def test_nonsense_numbers_are_rejected(text):
    with pytest.raises(InvalidPhone):
        normalise_phone(text)


def test_whatsapp_link_uses_wa_me_without_plus():
    assert whatsapp_link("+6281234567890") == "https://wa.me/6281234567890"
    assert (
        whatsapp_link("+6281234567890", "Halo kak") == "https://wa.me/6281234567890?text=Halo%20kak"
    )


def test_display_phone_is_the_familiar_national_form():
    assert display_phone("+6281234567890") == "0812-3456-7890"
