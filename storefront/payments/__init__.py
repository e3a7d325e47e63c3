"""Payments: the provider interface, the Stripe client and the log of providers' events.

What a payment event does to an order lives in `orders/payment_events.py` (with the webhook
view), so this package knows nothing of orders and orders may call it.
"""
