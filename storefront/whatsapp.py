"""WhatsApp messages through a provider: the WhatsApp Business Cloud API over plain HTTPS.

Business-initiated WhatsApp messages must use templates Meta has approved; their names are
configuration (WHATSAPP_TEMPLATES), their parameters come from the outbox row. Without
credentials (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID) there is no provider: messages go by
email and managers keep the `wa.me` button, as before.
"""

from __future__ import annotations

from typing import Protocol

import requests
from flask import current_app

# The events with a WhatsApp message, and the approved template each uses by default.
DEFAULT_TEMPLATES = {
    "order_placed": "gerai_order_placed",
    "order_paid": "gerai_order_paid",
    "order_ready": "gerai_order_ready",
    "order_out_for_delivery": "gerai_order_out_for_delivery",
    "order_delivered": "gerai_order_delivered",
    "order_cancelled": "gerai_order_cancelled",
    "order_refunded": "gerai_order_refunded",
    "product_approved": "gerai_product_approved",
    "product_rejected": "gerai_product_rejected",
    "variant_approved": "gerai_variant_approved",
    "variant_rejected": "gerai_variant_rejected",
    "statement_ready": "gerai_statement_ready",
}
# Cloud API language codes for our locales.
LANGUAGE_CODES = {"id": "id", "en": "en"}


class WhatsAppError(Exception):
    """The provider did not take the message. `permanent`: sending again will not help (the
    number has no WhatsApp, the template is unknown)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class WhatsAppProvider(Protocol):
    def send_template(self, to: str, template: str, language: str, params: list[str]) -> str:
        """Send an approved template to `to` (E.164); return the provider's message id."""


class CloudApiProvider:
    """The WhatsApp Business Cloud API: POST {base}/{phone number id}/messages."""

    def __init__(self, base_url: str, phone_number_id: str, token: str, timeout: float = 10):
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self.token = token
        self.timeout = timeout

    def send_template(self, to: str, template: str, language: str, params: list[str]) -> str:
        body = {
            "messaging_product": "whatsapp",
            "to": to.lstrip("+"),
            "type": "template",
            "template": {
                "name": template,
                "language": {"code": LANGUAGE_CODES.get(language, language)},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": str(p)} for p in params],
                    }
                ],
            },
        }
        try:
            response = requests.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.Timeout as error:
            raise WhatsAppError("timeout") from error
        except requests.RequestException as error:
            raise WhatsAppError(type(error).__name__) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise WhatsAppError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise WhatsAppError(f"HTTP {response.status_code}", permanent=True)
        try:
            return response.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise WhatsAppError("unreadable answer") from error


def provider() -> WhatsAppProvider | None:
    """The configured provider, or None when WhatsApp is not set up."""
    config = current_app.config
    if not (config["WHATSAPP_TOKEN"] and config["WHATSAPP_PHONE_NUMBER_ID"]):
        return None
    return CloudApiProvider(
        config["WHATSAPP_API_BASE"],
        config["WHATSAPP_PHONE_NUMBER_ID"],
        config["WHATSAPP_TOKEN"],
        config["WHATSAPP_TIMEOUT"],
    )


def template_for(event: str) -> str | None:
    """The approved template for an event, or None when the event has no WhatsApp message."""
    configured = current_app.config["WHATSAPP_TEMPLATES"]
    return configured.get(event, DEFAULT_TEMPLATES.get(event))
