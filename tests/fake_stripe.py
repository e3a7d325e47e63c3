"""A small fake of the Stripe API for tests: the calls the store makes, on 127.0.0.1.

The store talks to it with the real `stripe` client (STRIPE_API_BASE points here), so the
request encoding, headers, idempotency keys and error handling are the library's own.
localstripe (PyPI) answers 404 to Checkout Sessions, which is most of what the store uses.

Implemented: create / retrieve / expire Checkout Sessions, create and list refunds, the
Idempotency-Key header (same key → same object, other parameters → 400), an error injector, and
test helpers that play the shopper and the dashboard: `complete()`, `expire()`,
`dashboard_refund()` return Stripe-shaped events; `signed(event)` signs one with the webhook
secret; GET /pay/<id> is a payment page whose button completes the session and posts the signed
event to `webhook_url` (for browser journeys).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import requests
import stripe
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

WEBHOOK_SECRET = "whsec_test_storefront"
SECRET_KEY = "sk_test_storefront"


@dataclass
class Call:
    method: str
    path: str
    params: dict
    idempotency_key: str | None


@dataclass
class FakeStripe:
    base_url: str = ""
    webhook_url: str = ""
    sessions: dict = field(default_factory=dict)
    charges: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _idempotent: dict = field(default_factory=dict)
    _errors: list = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        for store in (self.sessions, self.charges, self.refunds, self._idempotent):
            store.clear()
        self.calls.clear()
        self._errors.clear()
        self.webhook_url = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def fail_next(self, status: int, error_type: str, message: str, code: str = "") -> None:
        """The next API call answers with this Stripe error."""
        self._errors.append((status, {"type": error_type, "message": message, "code": code}))

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    # --- the API -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/pay/"):
            return self._payment_page(request)
        params = _nested(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        params.update(_nested(parse_qsl(request.query_string.decode(), keep_blank_values=True)))
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.calls.append(Call(request.method, request.path, params, key))
            if self._errors:
                status, error = self._errors.pop(0)
                return _json({"error": error}, status)
            if key and request.method == "POST":
                cached = self._idempotent.get((request.path, key))
                if cached is not None:
                    if cached[0] != params:
                        return _error(400, "idempotency_error", "Keys reused with other params.")
                    return cached[1]
            response = self._route(request.method, request.path, params)
            if key and request.method == "POST" and response.status_code < 500:
                self._idempotent[(request.path, key)] = (params, response)
            return response

    def _route(self, method: str, path: str, params: dict) -> Response:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)(/expire)?", path)
        if match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return _error(404, "invalid_request_error", "No such checkout.session")
            if method == "POST" and match.group(2):
                if session["status"] != "open":
                    return _error(
                        400,
                        "invalid_request_error",
                        'Only Checkout Sessions with a status in ["open"] can be expired.',
                    )
                session["status"] = "expired"
            return _json(session)
        if path == "/v1/refunds":
            if method == "POST":
                return self._create_refund(params)
            found = [
                r
                for r in self.refunds.values()
                if r["charge"] == params.get("charge")
                or r["payment_intent"] == params.get("payment_intent")
            ]
            return _json({"object": "list", "data": found, "has_more": False, "url": path})
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

    def _create_session(self, params: dict) -> Response:
        now = int(time.time())
        expires_at = int(params.get("expires_at") or now + 86400)
        if not now + 1800 <= expires_at <= now + 86400:
            return _error(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
            )
        items = params.get("line_items") or []
        currencies = {item["price_data"]["currency"] for item in items}
        if len(currencies) != 1:
            return _error(400, "invalid_request_error", "All line items need one currency.")
        session_id = self.new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.base_url}/pay/{session_id}",
            "currency": currencies.pop(),
            "amount_total": sum(
                int(item["price_data"]["unit_amount"]) * int(item["quantity"]) for item in items
            ),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {},
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "expires_at": expires_at,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "payment_intent": None,
            "line_items_sent": items,
            "payment_intent_data": params.get("payment_intent_data") or {},
        }
        self.sessions[session_id] = session
        return _json(session)

    def _create_refund(self, params: dict) -> Response:
        charge = next(
            (
                c
                for c in self.charges.values()
                if c["payment_intent"] == params.get("payment_intent")
            ),
            None,
        )
        if charge is None:
            return _error(400, "invalid_request_error", "No such payment_intent")
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount > charge["amount"] - charge["amount_refunded"]:
            return _error(400, "invalid_request_error", "Refund amount is greater than charge.")
        refund = self._refund(charge, amount, params.get("metadata") or {})
        return _json(refund)

    def _refund(self, charge: dict, amount: int, metadata: dict) -> dict:
        refund = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "status": "succeeded",
            "metadata": metadata,
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return refund

    # --- the shopper and the dashboard (test helpers) ------------------------------------------

    def complete(self, session_id: str, *, amount_total: int | None = None) -> dict:
        """The shopper paid: the session completes and a payment and charge exist.
        `amount_total` lets a test pretend Stripe charged something else."""
        with self._lock:
            session = self.sessions[session_id]
            if amount_total is not None:
                session["amount_total"] = amount_total
            session["status"] = "complete"
            session["payment_status"] = "paid"
            if session["payment_intent"] is None:
                session["payment_intent"] = self.new_id("pi")
                charge = {
                    "id": self.new_id("ch"),
                    "object": "charge",
                    "amount": session["amount_total"],
                    "amount_refunded": 0,
                    "refunded": False,
                    "currency": session["currency"],
                    "payment_intent": session["payment_intent"],
                    "metadata": dict(session["payment_intent_data"].get("metadata") or {}),
                }
                self.charges[charge["id"]] = charge
            return self.event("checkout.session.completed", _public(session))

    def expire(self, session_id: str) -> dict:
        """Stripe closed the page when its time ran out."""
        with self._lock:
            session = self.sessions[session_id]
            session["status"] = "expired"
            return self.event("checkout.session.expired", _public(session))

    def charge_for(self, payment_intent: str) -> dict:
        return next(c for c in self.charges.values() if c["payment_intent"] == payment_intent)

    def dashboard_refund(self, payment_intent: str, amount: int) -> dict:
        """A refund of `amount` (Stripe units) made by hand in the dashboard."""
        with self._lock:
            charge = self.charge_for(payment_intent)
            self._refund(charge, amount, {})
            return self.charge_refunded(payment_intent)

    def charge_refunded(self, payment_intent: str) -> dict:
        # As in current API versions, the charge in the event does not list its refunds.
        return self.event("charge.refunded", dict(self.charge_for(payment_intent)))

    def event(self, kind: str, obj: dict) -> dict:
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "type": kind,
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def _payment_page(self, request: Request) -> Response:
        session_id = request.path.split("/")[2]
        session = self.sessions.get(session_id)
        if session is None:
            return Response("no such session", 404)
        if request.method == "POST":
            body, headers = signed(self.complete(session_id))
            if self.webhook_url:
                requests.post(self.webhook_url, data=body, headers=headers, timeout=10)
            return Response(status=303, headers={"Location": session["success_url"]})
        amount = session["amount_total"] // 100
        page = (
            f"<!doctype html><title>Fake Stripe Checkout</title><h1>Pay Rp{amount:,}</h1>".replace(
                ",", "."
            )
            + f'<form method="post"><button>Pay {session_id}</button></form>'
            + f'<a href="{session["cancel_url"]}">Back</a>'
        )
        return Response(page, mimetype="text/html")


def signed(event: dict, secret: str = WEBHOOK_SECRET) -> tuple[str, dict]:
    """The body and headers Stripe would send for `event`."""
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


def _public(session: dict) -> dict:
    return {k: v for k, v in session.items() if k not in ("line_items_sent", "payment_intent_data")}


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, error_type: str, message: str) -> Response:
    return _json({"error": {"type": error_type, "message": message}}, status)


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (`line_items[0][price_data][currency]=idr`) back to objects."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class FakeStripeServer:
    """Runs one FakeStripe in a background thread on a free port of 127.0.0.1."""

    def __init__(self):
        self.fake = FakeStripe()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.fake.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _wsgi(self, environ, start_response):
        return self.fake.handle(Request(environ))(environ, start_response)

    def start(self) -> FakeStripe:
        self._thread.start()
        return self.fake

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def stripe_config(fake: FakeStripe) -> dict:
    """App settings that turn card payment on and send every Stripe call to `fake`."""
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake.base_url,
    }
