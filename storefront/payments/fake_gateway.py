"""A local fake of the Midtrans Core API, for tests and for `make run` with PAYMENT_GATEWAY=fake.

The store talks to it with the real `midtransclient` (MIDTRANS_API_BASE points here), so the
request encoding, the Basic auth and the error handling are the library's own. It also plays the
shopper's bank app: GET /app/<order_id> shows the payment with "Pay" and "Let it expire", and
either sends a notification, signed with the server key as Midtrans signs it, to
`notification_url`.

Implemented: /v2/charge (qris, gopay, shopeepay, bank_transfer bca/bni/bri, echannel), GET
/v2/<id>/status, POST /v2/<id>/expire, /cancel and /refund (refund_key idempotent; refused with
412 for QRIS and virtual accounts, as Midtrans does). Test helpers: `pay()`, `expire()`,
`notification()` (a signed body), `fail_next()`, `down` (every call answers 503),
`settlement_csv()` (a settlement file as the dashboard exports it).

Never started in production (payments/__init__.py checks STOREFRONT_ENV).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from markupsafe import escape
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SERVER_KEY = "SB-Mid-server-fake-storefront"
WIB = ZoneInfo("Asia/Jakarta")
FEE_PERCENT_QRIS = 0.7  # what the fake's settlement file charges, like Midtrans' MDR


def sign(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def _wib(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class FakeGateway:
    address: str = ""
    notification_url: str = ""
    server_key: str = SERVER_KEY
    payments: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    sent: list = field(default_factory=list)  # (status code, body) of each notification
    down: bool = False
    _errors: list = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self) -> None:
        with self._lock:
            self.payments.clear()
            self.refunds.clear()
            self.calls.clear()
            self.sent.clear()
            self._errors.clear()
            self.down = False

    def fail_next(self, status: int, message: str) -> None:
        """The next API call answers with this status and status_message."""
        self._errors.append((status, message))

    def calls_to(self, method: str, path: str) -> list:
        return [c for c in self.calls if c[0] == method and c[1] == path]

    # --- the API -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/app/"):
            return self._bank_app(request)
        if self.down:
            return Response("gateway down", status=503)
        if not self._authorised(request):
            return _json({"status_code": "401", "status_message": "Unknown Merchant server_key"})
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.calls.append((request.method, request.path, body))
            if self._errors:
                status, message = self._errors.pop(0)
                return _json({"status_code": str(status), "status_message": message}, status)
            return self._route(request.method, request.path, body)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.server_key}:".encode()).decode()
        return header == expected

    def _route(self, method: str, path: str, body: dict) -> Response:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v2", "charge"]:
            return self._charge(body)
        if len(parts) == 3 and parts[0] == "v2":
            payment = self.payments.get(parts[1])
            if payment is None:
                return _json(
                    {"status_code": "404", "status_message": "Transaction doesn't exist."}, 404
                )
            if method == "GET" and parts[2] == "status":
                return _json(self._public(payment))
            if method == "POST" and parts[2] in ("expire", "cancel"):
                if payment["transaction_status"] != "pending":
                    return _json(
                        {"status_code": "412", "status_message": "Transaction cannot be updated"},
                        412,
                    )
                payment["transaction_status"] = "expire" if parts[2] == "expire" else "cancel"
                payment["status_code"] = "407" if parts[2] == "expire" else "200"
                return _json(self._public(payment))
            if method == "POST" and parts[2] == "refund":
                return self._refund(payment, body)
        return _json({"status_code": "404", "status_message": "Not found"}, 404)

    def _charge(self, body: dict) -> Response:
        details = body.get("transaction_details") or {}
        order_id = str(details.get("order_id") or "")
        if not order_id or not isinstance(details.get("gross_amount"), int):
            return _json({"status_code": "400", "status_message": "Validation error"}, 400)
        if order_id in self.payments:
            return _json(
                {"status_code": "406", "status_message": "The request could not be processed"},
                406,
            )
        payment_type = body.get("payment_type")
        now = datetime.now(UTC)
        minutes = int((body.get("custom_expiry") or {}).get("expiry_duration") or 15)
        transaction_id = f"fake-{next(self._ids):06d}-{order_id}"
        payment = {
            "status_code": "201",
            "status_message": "Success, transaction is created",
            "transaction_id": transaction_id,
            "order_id": order_id,
            "merchant_id": "G000000000",
            "gross_amount": f"{details['gross_amount']}.00",
            "currency": "IDR",
            "payment_type": payment_type,
            "transaction_time": _wib(now),
            "transaction_status": "pending",
            "fraud_status": "accept",
            "expiry_time": _wib(now + timedelta(minutes=minutes)),
        }
        app_url = f"{self.address}/app/{order_id}"
        if payment_type == "qris":
            payment["acquirer"] = "gopay"
            payment["qr_string"] = f"00020101021226FAKEQRIS{order_id}5204549953033605802ID6304"
            payment["actions"] = [{"name": "generate-qr-code", "method": "GET", "url": app_url}]
        elif payment_type in ("gopay", "shopeepay"):
            payment["actions"] = [{"name": "deeplink-redirect", "method": "GET", "url": app_url}]
            if payment_type == "gopay":
                payment["qr_string"] = f"00020101021226FAKEGOPAY{order_id}6304"
        elif payment_type == "bank_transfer":
            bank = (body.get("bank_transfer") or {}).get("bank")
            if bank not in ("bca", "bni", "bri"):
                return _json({"status_code": "400", "status_message": "Unknown bank"}, 400)
            number = f"{next(self._ids):011d}"
            payment["va_numbers"] = [{"bank": bank, "va_number": f"8{number}"}]
        elif payment_type == "echannel":
            payment["bill_key"] = f"{next(self._ids):012d}"
            payment["biller_code"] = "70012"
        else:
            return _json({"status_code": "400", "status_message": "Unknown payment type"}, 400)
        self.payments[order_id] = payment
        return _json(payment)

    def _refund(self, payment: dict, body: dict) -> Response:
        key = str(body.get("refund_key") or "")
        if key and key in self.refunds:
            return _json(self.refunds[key])
        if payment["payment_type"] not in ("gopay", "shopeepay"):
            return _json(
                {
                    "status_code": "412",
                    "status_message": "Payment type is not supported for refund",
                },
                412,
            )
        if payment["transaction_status"] not in ("settlement", "partial_refund"):
            return _json(
                {"status_code": "412", "status_message": "Transaction cannot be refunded"}, 412
            )
        amount = int(body.get("amount") or 0)
        refunded = sum(int(r["refund_amount"]) for r in payment.get("refunds", []))
        if amount <= 0 or refunded + amount > int(float(payment["gross_amount"])):
            return _json({"status_code": "412", "status_message": "Refund amount too big"}, 412)
        answer = {
            "status_code": "200",
            "status_message": "Success, refund request is approved",
            "transaction_id": payment["transaction_id"],
            "order_id": payment["order_id"],
            "refund_amount": f"{amount}.00",
            "refund_key": key,
        }
        payment.setdefault("refunds", []).append({"refund_key": key, "refund_amount": amount})
        full = refunded + amount == int(float(payment["gross_amount"]))
        payment["transaction_status"] = "refund" if full else "partial_refund"
        self.refunds[key] = answer
        return _json(answer)

    # --- the shopper's bank app ----------------------------------------------------------------

    def _bank_app(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        payment = self.payments.get(parts[1]) if len(parts) > 1 else None
        if payment is None:
            return Response("No such payment", status=404)
        if request.method == "POST" and len(parts) == 3 and parts[2] in ("pay", "expire"):
            if payment["transaction_status"] == "pending":
                (self.pay if parts[2] == "pay" else self.expire)(payment["order_id"])
            return Response(status=303, headers={"Location": f"/app/{payment['order_id']}"})
        amount = int(float(payment["gross_amount"]))
        status = payment["transaction_status"]
        pending = status == "pending"
        buttons = (
            f'<form method="post" action="/app/{escape(payment["order_id"])}/pay">'
            '<button id="fake-pay">Pay</button></form>'
            f'<form method="post" action="/app/{escape(payment["order_id"])}/expire">'
            '<button id="fake-expire">Let it expire</button></form>'
            if pending
            else ""
        )
        page = (
            "<!doctype html><meta name=viewport content='width=device-width'>"
            "<title>Fake bank app</title><h1>Fake bank app</h1>"
            f"<p>Pay <strong>Rp{amount:,}</strong> to Gerai Tangerang Gemilang".replace(",", ".")
            + f" for {escape(payment['order_id'])} ({escape(payment['payment_type'])})</p>"
            f'<p>Status: <strong id="fake-status">{escape(status)}</strong></p>{buttons}'
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def pay(self, order_id: str, *, amount: int | None = None, send: bool = True) -> dict:
        """The shopper pays; returns the signed notification (sent to notification_url too)."""
        with self._lock:
            payment = self.payments[order_id]
            payment["transaction_status"] = "settlement"
            payment["status_code"] = "200"
            payment["settlement_time"] = _wib(datetime.now(UTC))
            if amount is not None:
                payment["gross_amount"] = f"{amount}.00"
            body = self.notification(order_id)
        if send:
            self.send(body)
        return body

    def expire(self, order_id: str, *, send: bool = True) -> dict:
        with self._lock:
            payment = self.payments[order_id]
            payment["transaction_status"] = "expire"
            payment["status_code"] = "407"
            body = self.notification(order_id)
        if send:
            self.send(body)
        return body

    def notification(self, order_id: str, /, **overrides) -> dict:
        """The notification Midtrans would send for the payment as it is now, signed."""
        payment = dict(self.payments[order_id])
        payment.pop("actions", None)
        payment.pop("refunds", None)
        payment.update(overrides)
        payment["signature_key"] = sign(
            payment["order_id"], payment["status_code"], payment["gross_amount"], self.server_key
        )
        return payment

    def send(self, body: dict) -> int:
        if not self.notification_url:
            return 0
        try:
            answer = requests.post(self.notification_url, json=body, timeout=30)
        except requests.RequestException:
            self.sent.append((0, body))
            return 0
        self.sent.append((answer.status_code, body))
        return answer.status_code

    def settlement_csv(self, *, fee_percent: float = FEE_PERCENT_QRIS) -> str:
        """Settled payments as a settlement report: order id, amount, fee, net, time."""
        rows = ["Order ID,Transaction ID,Payment Type,Gross Amount,Fee,Net Amount,Settlement Time"]
        for payment in self.payments.values():
            if payment["transaction_status"] not in ("settlement", "refund", "partial_refund"):
                continue
            gross = int(float(payment["gross_amount"]))
            fee = round(gross * fee_percent / 100)
            rows.append(
                f"{payment['order_id']},{payment['transaction_id']},{payment['payment_type']},"
                f"{gross},{fee},{gross - fee},{payment.get('settlement_time', '')}"
            )
        return "\n".join(rows) + "\n"

    def _public(self, payment: dict) -> dict:
        answer = dict(payment)
        answer.pop("actions", None)
        answer.pop("refunds", None)
        answer.pop("qr_string", None)
        answer["signature_key"] = sign(
            answer["order_id"], answer["status_code"], answer["gross_amount"], self.server_key
        )
        return answer


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class FakeGatewayServer:
    """Runs one FakeGateway in a background thread on 127.0.0.1 (port 0: a free one)."""

    def __init__(self, port: int = 0, *, notification_url: str = ""):
        self.fake = FakeGateway(notification_url=notification_url)
        self._server = make_server(
            "127.0.0.1", port, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.fake.address = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _wsgi(self, environ, start_response):
        return self.fake.handle(Request(environ))(environ, start_response)

    def start(self) -> FakeGateway:
        self._thread.start()
        return self.fake

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def gateway_config(fake: FakeGateway) -> dict:
    """App config that points the Midtrans client at `fake`."""
    return {
        "PAYMENT_GATEWAY": "fake",
        "MIDTRANS_SERVER_KEY": fake.server_key,
        "MIDTRANS_API_BASE": fake.address,
    }
