"""QRIS, e-wallets and virtual accounts through Midtrans Core API, behind GatewayProvider.

Facts this file is built on (docs/decisions.md, "Local payment gateway"):
- Core API `/v2/charge` returns the QR string (qris), the deep link (gopay, shopeepay), the VA
  number (bank_transfer: bca, bni, bri) or the bill key and company code (echannel: Mandiri), so
  the store shows them on its own page.
- Midtrans' order_id is the store's reference (order number, counter sale number) and must be
  unique: a second charge with the same order_id is refused, never a second payment.
- gross_amount is rupiah; Midtrans sends it back as a string with two decimals ("85000.00").
- A notification is genuine when signature_key = SHA512(order_id + status_code + gross_amount +
  server key); compared in constant time. Midtrans notifications carry no id of their own, so the
  event id is transaction_id + transaction_status: a replay has the same id.
- midtransclient uses `requests` with no timeout; the client here gets one (a shopper waits).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import midtransclient
import requests
from flask import current_app
from flask_babel import lazy_gettext as _l
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from storefront.payments.gateway import (
    BadNotification,
    Channel,
    Charge,
    GatewayStatus,
    PaymentState,
    RefundResult,
)
from storefront.payments.providers import PaymentError

TIMEOUT_SECONDS = 15
WIB = ZoneInfo("Asia/Jakarta")

STATES = {
    "capture": PaymentState.PAID,  # cards only; checked with fraud_status
    "settlement": PaymentState.PAID,
    "pending": PaymentState.PENDING,
    "expire": PaymentState.EXPIRED,
    "cancel": PaymentState.FAILED,
    "deny": PaymentState.FAILED,
    "failure": PaymentState.FAILED,
    "refund": PaymentState.REFUNDED,
    "partial_refund": PaymentState.REFUNDED,
}

CHANNEL_OF_PAYMENT_TYPE = {"qris": Channel.QRIS, "gopay": Channel.GOPAY}

# Midtrans refunds e-wallet payments; QRIS paid from another issuer's app and bank transfers
# go back by bank transfer (Midtrans answers 412 to those).
REFUNDABLE = {Channel.GOPAY, Channel.SHOPEEPAY}


class _TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def whole_rupiah(value) -> int | None:
    """ "85000.00" → 85000; a fraction of a rupiah or garbage → None (never rounded)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount != amount.to_integral_value():
        return None
    return int(amount)


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    text = f"{order_id}{status_code}{gross_amount}{server_key}"
    return hashlib.sha512(text.encode()).hexdigest()


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB)
    except ValueError:
        return None


class MidtransGateway:
    name = "midtrans"

    def __init__(self, server_key: str, *, is_production: bool = False, api_base: str = ""):
        self.server_key = server_key
        self.core = midtransclient.CoreApi(is_production=is_production, server_key=server_key)
        if api_base:
            # The SDK reads its base URL from these attributes: the fake gateway in development
            # and tests (payments/fake_gateway.py).
            self.core.api_config.CORE_SANDBOX_BASE_URL = api_base.rstrip("/")
            self.core.api_config.CORE_PRODUCTION_BASE_URL = api_base.rstrip("/")
        self.core.http_client.http_client = _TimeoutSession()

    @classmethod
    def from_config(cls, config) -> MidtransGateway:
        return cls(
            config["MIDTRANS_SERVER_KEY"],
            is_production=bool(config.get("MIDTRANS_IS_PRODUCTION")),
            api_base=config.get("MIDTRANS_API_BASE") or "",
        )

    # --- GatewayProvider -----------------------------------------------------------------------

    def charge(
        self, reference: str, amount: int, channel: str, *, minutes: int, customer: dict
    ) -> Charge:
        params = {
            "transaction_details": {"order_id": reference, "gross_amount": int(amount)},
            "customer_details": customer,
            "custom_expiry": {"expiry_duration": max(1, int(minutes)), "unit": "minute"},
        }
        params.update(_channel_params(channel, reference))
        answer = self._call(self.core.charge, params)
        return Charge(
            transaction_id=answer.get("transaction_id") or "",
            qr_string=answer.get("qr_string") or "",
            deeplink_url=_action(answer, "deeplink-redirect"),
            va_number=_va_number(answer),
            biller_code=answer.get("biller_code") or "",
            expires_at=_parse_time(answer.get("expiry_time")),
        )

    def status(self, reference: str) -> GatewayStatus | None:
        try:
            answer = self.core.transactions.status(reference)
        except MidtransAPIError as error:
            if error.http_status_code == 404 or _status_code(error) == "404":
                return None
            raise _payment_error(error) from error
        except (requests.RequestException, JSONDecodeError) as error:
            raise _payment_error(error) from error
        return self.read_status(answer)

    def expire(self, reference: str) -> None:
        try:
            self.core.transactions.expire(reference)
        except MidtransAPIError as error:
            # Already paid, expired or unknown: nothing to close.
            if error.http_status_code in (404, 412) or _status_code(error) in ("404", "412"):
                return
            raise _payment_error(error) from error
        except (requests.RequestException, JSONDecodeError) as error:
            raise _payment_error(error) from error

    def refund(self, reference: str, amount: int, *, idempotency_key: str, reason: str):
        answer = self._call(
            self.core.transactions.refund,
            reference,
            {"refund_key": idempotency_key, "amount": int(amount), "reason": reason[:255]},
        )
        return RefundResult(
            refund_id=str(answer.get("refund_key") or idempotency_key),
            confirmed=str(answer.get("status_code")) == "200",
        )

    def refundable(self, channel: str) -> bool:
        return channel in REFUNDABLE

    def parse_notification(self, body: bytes) -> GatewayStatus:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadNotification("not JSON") from error
        if not isinstance(data, dict):
            raise BadNotification("not an object")
        fields = [str(data.get(name) or "") for name in ("order_id", "status_code", "gross_amount")]
        given = str(data.get("signature_key") or "")
        if not all(fields) or not given:
            raise BadNotification("fields missing")
        expected = signature(*fields, self.server_key)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise BadNotification("bad signature")
        if not data.get("transaction_id") or not data.get("transaction_status"):
            raise BadNotification("fields missing")
        return self.read_status(data)

    # --- helpers -------------------------------------------------------------------------------

    def read_status(self, data: dict) -> GatewayStatus:
        raw = str(data.get("transaction_status") or "")
        state = STATES.get(raw, PaymentState.PENDING)
        if raw == "capture" and data.get("fraud_status") not in (None, "accept"):
            state = PaymentState.PENDING
        payment_type = str(data.get("payment_type") or "")
        channel = CHANNEL_OF_PAYMENT_TYPE.get(payment_type, payment_type)
        if payment_type == "bank_transfer" and data.get("va_numbers"):
            channel = str(data["va_numbers"][0].get("bank") or "")
        elif payment_type == "echannel":
            channel = Channel.MANDIRI
        fee = whole_rupiah(data["fee"]) if data.get("fee") not in (None, "") else None
        transaction_id = str(data.get("transaction_id") or "")
        return GatewayStatus(
            reference=str(data.get("order_id") or ""),
            transaction_id=transaction_id,
            state=state,
            raw_status=raw,
            amount=whole_rupiah(data.get("gross_amount")),
            currency=str(data.get("currency") or "IDR").upper(),
            channel=str(channel),
            fee=fee,
            event_id=f"{transaction_id}:{raw}",
            payload=data,
        )

    def _call(self, method, *args):
        try:
            return method(*args)
        except (MidtransAPIError, requests.RequestException, JSONDecodeError) as error:
            raise _payment_error(error) from error


def _channel_params(channel: str, reference: str) -> dict:
    if channel == Channel.QRIS:
        return {"payment_type": "qris", "qris": {"acquirer": "gopay"}}
    if channel == Channel.GOPAY:
        return {"payment_type": "gopay", "gopay": {"enable_callback": False}}
    if channel == Channel.SHOPEEPAY:
        return {"payment_type": "shopeepay", "shopeepay": {}}
    if channel == Channel.MANDIRI:
        return {
            "payment_type": "echannel",
            "echannel": {"bill_info1": "Order", "bill_info2": reference},
        }
    if channel in (Channel.BCA, Channel.BNI, Channel.BRI):
        return {"payment_type": "bank_transfer", "bank_transfer": {"bank": str(channel)}}
    raise PaymentError(_l("Choose how to pay."))


def _action(answer: dict, name: str) -> str:
    for action in answer.get("actions") or []:
        if action.get("name") == name:
            return action.get("url") or ""
    return ""


def _va_number(answer: dict) -> str:
    if answer.get("bill_key"):
        return str(answer["bill_key"])
    numbers = answer.get("va_numbers") or []
    if numbers:
        return str(numbers[0].get("va_number") or "")
    return str(answer.get("permata_va_number") or "")


def _status_code(error: MidtransAPIError) -> str:
    return str((error.api_response_dict or {}).get("status_code") or "")


def _payment_error(error: Exception) -> PaymentError:
    """A message safe to show; the details go to the log."""
    current_app.logger.warning("Midtrans call failed: %s %s", type(error).__name__, error)
    if isinstance(error, requests.RequestException) or (
        isinstance(error, MidtransAPIError) and error.http_status_code >= 500
    ):
        return PaymentError(_l("The payment service could not be reached."))
    if isinstance(error, MidtransAPIError) and error.http_status_code == 401:
        return PaymentError(_l("The payment service is not set up correctly."))
    message = ""
    if isinstance(error, MidtransAPIError):
        message = str((error.api_response_dict or {}).get("status_message") or "")
    return PaymentError(
        _l("The payment service refused: %(reason)s", reason=message or type(error).__name__)
    )
