"""Stripe's webhook: the only way the store learns that a card payment went through."""

from __future__ import annotations

from flask import request

from storefront.auth.access import public
from storefront.extensions import csrf, limiter
from storefront.orders import bp
from storefront.orders import payment_events as webhooks
from storefront.payments.providers import card_payments_enabled


# Stripe signs its requests instead of sending a CSRF token, and delivers bursts after an
# outage: neither the CSRF check nor a rate limit may turn a payment away.
@bp.route("/payments/stripe/webhook", methods=["POST"])
@csrf.exempt
@limiter.exempt
@public
def stripe_webhook():
    if not card_payments_enabled():
        return "card payments are not configured", 404
    payload = request.get_data()
    try:
        event = webhooks.verify(payload, request.headers.get("Stripe-Signature"))
    except webhooks.BadWebhook:
        return "invalid signature or payload", 400
    try:
        outcome = webhooks.receive(event, payload.decode("utf-8"))
    except webhooks.AlreadyProcessed:
        return "already processed", 200
    # Emails leave after the commit; a failing mail server is logged and never makes Stripe
    # retry a payment that is recorded (storefront/database.py, after_commit).
    return outcome.text, 200
