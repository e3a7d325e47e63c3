"""The local fake payment gateway for tests. It lives in storefront/payments/fake_gateway.py so
`make run` with PAYMENT_GATEWAY=fake can start it too; tests take it from here."""

from storefront.payments.fake_gateway import (  # noqa: F401  (re-exported for tests)
    SERVER_KEY,
    FakeGateway,
    FakeGatewayServer,
    gateway_config,
    sign,
)
