"""A guest on a phone finds coffee, buys it for pickup and pays at the outlet; a manager packs
the order, calls it ready and hands it over against the pickup code, taking cash."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.stock.ledger import available_quantity, verify_ledger
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_guest_buys_for_pickup_and_a_manager_hands_it_over(page: Page, browser, app, ctx):
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
    vendor = VendorFactory(name="Kopi Gunung Kaler", slug="kopi-gunung-kaler")
    kopi = ProductFactory(name="Kopi Robusta Bubuk", vendor=vendor, category=food, price=45_000)
    ProductFactory(name="Tas Anyaman Pandan")
    receive(kopi, 5, expires_on=date.today() + timedelta(days=120))  # noqa: DTZ011
    UserFactory(email="rina@example.com", name="Bu Rina", role="manager")
    db.session.commit()

    # The shopper: search, product page, two to the cart.
    page.goto("/")
    page.get_by_label("Cari produk").fill("kopi")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.get_by_role("link", name="Kopi Robusta Bubuk").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kopi Robusta Bubuk")
    page.get_by_label("Jumlah").fill("2")
    page.get_by_role("button", name="Tambah ke keranjang").click()

    expect(page.get_by_role("heading", name="Keranjang Anda")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_contain_text("2")
    expect(page.get_by_test_id("cart-subtotal")).to_have_text("Rp90.000")
    _shot(page, "checkout-cart-phone")
    page.get_by_role("button", name="Checkout").click()

    # Checkout as a guest: pickup and pay at the outlet are the defaults.
    page.get_by_label("Nama").fill("Siti Rahma")
    page.get_by_label("Email", exact=True).fill("siti@example.com")
    page.get_by_label("Telepon / WhatsApp").fill("0812 3456 7890")
    expect(page.get_by_label("Ambil di gerai (gratis)")).to_be_checked()
    expect(page.get_by_label(re.compile("Bayar di gerai"))).to_be_checked()
    _shot(page, "checkout-form-phone")
    page.get_by_role("button", name="Buat pesanan").click()

    number = page.get_by_test_id("order-number")
    expect(number).to_have_text(re.compile(r"GTG-\d{6}-0001"))
    order_number = number.inner_text()
    expect(page.get_by_test_id("order-status")).to_have_text("Menunggu pembayaran")
    code = page.get_by_test_id("pickup-code")
    expect(code).to_have_text(re.compile(r"\d{6}"))
    pickup_code = code.inner_text()
    expect(page.get_by_test_id("order-total")).to_have_text("Rp90.000")
    expect(page.get_by_test_id("cart-count")).to_have_count(0)
    _shot(page, "checkout-order-phone")
    order_url = page.url
    assert available_quantity(kopi.id) == 3

    # The manager, on their own phone, in English.
    manager = browser.new_context(
        base_url=page.url.split("/orders/")[0],
        viewport={"width": 390, "height": 844},
        locale="en-US",
    )
    manager.set_default_timeout(10_000)
    desk = manager.new_page()
    desk.goto("/")
    desk.get_by_role("link", name="EN").click()
    desk.goto("/account/login")
    desk.get_by_label("Email").fill("rina@example.com")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()

    desk.goto("/manage/orders")
    expect(desk.get_by_role("heading", name="Orders to prepare")).to_be_visible()
    desk.get_by_label("Search orders").fill(order_number)
    desk.get_by_label("Search orders").press("Enter")
    desk.get_by_role("link", name=order_number).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(order_number)

    desk.get_by_role("button", name="Mark as packed").click()
    desk.get_by_role("button", name="Ready for pickup — email the shopper").click()
    expect(desk.get_by_role("status")).to_contain_text("Ready for pickup")
    expect(desk.get_by_role("button", name="Send the pickup code on WhatsApp")).to_be_visible()

    # The shopper's page says it is ready before they come in.
    page.goto(order_url)
    expect(page.get_by_test_id("order-status")).to_have_text("Siap diambil")

    # A wrong code is refused; the right one, the shopper's name and cash complete the order.
    desk.get_by_label("Pickup code from the shopper").fill(
        "000000" if pickup_code != "000000" else "111111"
    )
    desk.get_by_label("Payment taken").select_option(label="Cash")
    desk.get_by_role("button", name="Hand over and complete").click()
    expect(desk.locator(".field-error, .flash-error").first).to_be_visible()
    desk.get_by_label("Pickup code from the shopper").fill(pickup_code)
    desk.get_by_label("Name on the order (ask the collector)").fill("siti")
    desk.get_by_label("Payment taken").select_option(label="Cash")
    desk.get_by_role("button", name="Hand over and complete").click()
    expect(desk.get_by_text("Completed").first).to_be_visible()
    manager.close()

    page.goto(order_url)
    expect(page.get_by_test_id("order-status")).to_have_text("Selesai")
    expect(page.locator(".badge", has_text="Dibayar")).to_be_visible()
    expect(page.get_by_test_id("pickup-code")).to_have_count(0)
    _shot(page, "checkout-order-completed-phone")

    db.session.expire_all()
    assert available_quantity(kopi.id) == 3
    assert verify_ledger()[1] == []
