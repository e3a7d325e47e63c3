"""A shopper pays by QRIS, and another by BCA virtual account, against the local fake gateway:
the order page shows our QR code / the VA number, the "bank app" page pays, the fake sends its
signed notification to our webhook, and the order page turns to paid by itself (live status)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.orders.models import Order
from storefront.stock.ledger import available_quantity, verify_ledger
from tests.factories import ProductFactory
from tests.fake_gateway import gateway_config
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def app_config(fake_gateway):
    return gateway_config(fake_gateway)


def _shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _buy(page: Page, product, method: str) -> None:
    page.goto(f"/product/{product.slug}")
    page.get_by_role("button", name="Tambah ke keranjang").click()
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Nama").fill("Siti Rahma")
    page.get_by_label("Email", exact=True).fill("siti@example.com")
    page.get_by_label("Telepon / WhatsApp").fill("0812 3456 7890")
    page.get_by_label(method).check()
    page.get_by_role("button", name="Buat pesanan").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Menunggu pembayaran")


def _pay_in_the_bank_app(page: Page) -> None:
    app_url = page.get_by_test_id("fake-bank-app").get_attribute("href")
    bank = page.context.new_page()
    bank.goto(app_url)
    bank.locator("#fake-pay").click()
    expect(bank.locator("#fake-status")).to_have_text("settlement")
    bank.close()


def test_pay_by_qris_and_by_virtual_account(page: Page, app, ctx, live_server, fake_gateway):
    fake_gateway.notification_url = f"{live_server}/payments/midtrans/notification"
    kopi = ProductFactory(name="Kopi Robusta Bubuk", slug="kopi-robusta-bubuk", price=45_000)
    receive(kopi, 5)
    db.session.commit()

    # QRIS: our page draws the QR code; the shopper's app pays; the page turns paid by itself.
    _buy(page, kopi, "QRIS (aplikasi bank")
    expect(page.get_by_test_id("qris-code").locator("svg")).to_be_visible()
    _shot(page, "gateway-qris-phone")
    _pay_in_the_bank_app(page)
    expect(page.get_by_test_id("order-status")).to_have_text("Dibayar", timeout=15_000)
    expect(page.get_by_test_id("gateway-payment")).to_have_count(0)

    # Virtual account: the number, copy buttons and the bank's steps.
    _buy(page, kopi, "Virtual account BCA")
    va = page.get_by_test_id("va-number")
    expect(va).to_have_text(re.compile(r"^8\d{11}$"))
    expect(page.get_by_role("button", name="Salin").first).to_be_visible()
    _shot(page, "gateway-va-phone")
    expect(page.get_by_text("Virtual Account", exact=False).first).to_be_visible()
    _pay_in_the_bank_app(page)
    expect(page.get_by_test_id("order-status")).to_have_text("Dibayar", timeout=15_000)

    db.session.expire_all()
    orders = db.session.query(Order).order_by(Order.id).all()
    assert [(o.status, o.paid_with) for o in orders] == [("paid", "qris"), ("paid", "va")]
    assert available_quantity(kopi.id) == 3
    assert verify_ledger()[1] == []
    assert [status for status, _ in fake_gateway.sent] == [200, 200]
