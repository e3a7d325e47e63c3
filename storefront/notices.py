"""Telling a person about an event on the channels they chose: email, WhatsApp or both.

WhatsApp goes out only when the shop has it set up (credentials and an approved template for
the event) and the person's number is valid; otherwise the message goes by email, and when the
number was the reason, the email's outbox row carries a note for the managers (the messages
page) so someone can ask for a correct number. Both kinds of message are outbox rows written in
the action (storefront/outbox.py), each with its own key for the event.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from storefront import whatsapp
from storefront.mail import send_template
from storefront.outbox import Channel, add_message
from storefront.phones import InvalidPhone, normalise_phone


class ChannelChoice(StrEnum):
    """How a shopper or vendor wants to hear from the shop (accounts and orders)."""

    EMAIL = "email"
    WHATSAPP = "whatsapp"
    BOTH = "both"


CHANNEL_LABELS = {
    ChannelChoice.EMAIL: _l("Email only"),
    ChannelChoice.WHATSAPP: _l("WhatsApp only"),
    ChannelChoice.BOTH: _l("WhatsApp and email"),
}

# Stored on the row as a code; the messages page words it in the manager's language.
INVALID_PHONE_NOTE = "invalid_phone"
NOTES = {
    INVALID_PHONE_NOTE: _l(
        "WhatsApp chosen, but the phone number is not valid: sent by email only."
    )
}


def tell(
    *,
    email: str | None,
    phone: str | None,
    choice: str | None,
    locale: str | None,
    event: str,
    key: str | None,
    subject,
    template: str,
    whatsapp_params: list[str] | None = None,
    **context,
) -> None:
    """Record the messages for one event and one person. `key` names the event (the channel
    and the address are added): the same event never reaches the same person twice."""
    choice = choice if choice in set(ChannelChoice) else ChannelChoice.EMAIL.value
    by_email = choice in (ChannelChoice.EMAIL, ChannelChoice.BOTH)
    note = None
    if choice in (ChannelChoice.WHATSAPP, ChannelChoice.BOTH):
        template_name = whatsapp.template_for(event)
        if whatsapp.provider() is None or template_name is None or whatsapp_params is None:
            by_email = True  # WhatsApp not set up: email, and the manager's wa.me button
        else:
            try:
                number = normalise_phone(phone or "")
            except InvalidPhone:
                by_email, note = True, INVALID_PHONE_NOTE
            else:
                add_message(
                    channel=Channel.WHATSAPP,
                    recipient=number,
                    event=event,
                    key=key,
                    locale=locale or "id",
                    subject=str(subject),
                    template=template_name,
                    params=[str(p) for p in whatsapp_params],
                )
    if by_email and email:
        send_template(
            email,
            template,
            subject,
            locale=locale,
            key=key,
            event=event,
            note=note,
            **context,
        )
