"""Payments: the provider interfaces (Stripe for cards, a local gateway for QRIS, e-wallets and
virtual accounts), their clients and the log of providers' events.

What a payment event does to an order lives in `orders/payment_events.py` and
`orders/gateway_events.py` (with the webhook views), so this package knows nothing of orders
and orders may call it.
"""

from __future__ import annotations

from flask import Flask

from storefront.links import external_url


def init_app(app: Flask) -> None:
    """With PAYMENT_GATEWAY=fake in development, start the fake gateway beside the app (so a
    newcomer can pay by QRIS on their machine) and point the Midtrans client at it."""
    config = app.config
    if (config.get("PAYMENT_GATEWAY") or "").lower() != "fake" or config.get("TESTING"):
        return
    if config["STOREFRONT_ENV"] != "development":
        raise RuntimeError("PAYMENT_GATEWAY=fake is for development only")
    if config.get("MIDTRANS_API_BASE"):
        return  # already running elsewhere (set by hand)
    from storefront.payments.fake_gateway import SERVER_KEY, FakeGatewayServer

    port = int(config.get("FAKE_GATEWAY_PORT") or 5055)
    config["MIDTRANS_SERVER_KEY"] = SERVER_KEY
    config["MIDTRANS_API_BASE"] = f"http://127.0.0.1:{port}"
    try:
        with app.app_context():
            webhook = external_url("orders.gateway_notification")
        server = FakeGatewayServer(port, notification_url=webhook)
    except OSError:
        # Flask's reloader runs the app twice; the first process already serves the fake.
        return
    server.start()
    app.logger.info("Fake payment gateway on http://127.0.0.1:%s/app/<order number>", port)
