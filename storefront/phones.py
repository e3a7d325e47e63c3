"""Indonesian phone numbers: accept `08…`, `+62…`, `62…`; store E.164; link to WhatsApp."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    """Text that is not a valid Indonesian (or international) phone number."""


def normalise_phone(text: str) -> str:
    """Return the E.164 form (`+6281234567890`) or raise InvalidPhone."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhone("empty phone number")
    digits = "".join(ch for ch in raw if ch.isdigit())
    # `62812…` typed without the plus is common on WhatsApp; read it as international.
    if raw.startswith("62") and not raw.startswith("+"):
        raw = "+" + digits
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """`+6281234567890` -> `0812-3456-7890` style national form for Indonesian numbers."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "ID")
    if number.country_code == 62:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def whatsapp_link(e164: str | None, text: str | None = None) -> str:
    """A `https://wa.me/62…` link for a stored E.164 number."""
    if not e164:
        return ""
    from urllib.parse import quote

    link = "https://wa.me/" + e164.lstrip("+")
    if text:
        link += "?text=" + quote(text)
    return link
