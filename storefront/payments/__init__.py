"""Payments: the provider interface, Stripe, pay-at-the-outlet and the provider's webhooks."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
