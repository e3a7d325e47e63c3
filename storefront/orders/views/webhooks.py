"""Stripe's webhook and the local gateway's notifications: how the store learns that an online
payment went through (the gateway's status poll is the safety net, orders/gateway_events.py)."""

from __future__ import annotations

from flask import request

from storefront.auth.access import public
from storefront.extensions import csrf, limiter
from storefront.orders import bp, gateway_events
from storefront.orders import payment_events as webhooks
from storefront.payments.gateway import BadNotification, gateway, gateway_enabled
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


# The gateway signs each notification (signature_key, checked in constant time) instead of
# sending a CSRF token; a burst after an outage must not be rate-limited away either.
@bp.route("/payments/midtrans/notification", methods=["POST"])
@csrf.exempt
@limiter.exempt
@public
def gateway_notification():
    if not gateway_enabled():
        return "the payment gateway is not configured", 404
    payload = request.get_data()
    try:
        status = gateway().parse_notification(payload)
    except BadNotification:
        return "invalid signature or payload", 403
    try:
        outcome = gateway_events.receive(status, payload.decode("utf-8"))
    except gateway_events.AlreadyProcessed:
        return "already processed", 200
    # An unknown payment is stored and answered 200 too: the gateway would retry for days.
    return outcome.text, 200
