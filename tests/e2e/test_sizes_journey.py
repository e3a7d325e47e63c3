"""Sizes on a phone (issue 18): a shopper picks size 40 of a leather sandal, sees that 43 is
sold out, buys it for pickup and pays at the outlet; at the till a cashier scans the label of
size 41 and sells that size. Each size's stock moves on its own, and the ledger and the books
verify afterwards."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from storefront.auth.models import Role
from storefront.catalog import variants
from storefront.extensions import db
from storefront.settlements.books import verify_books
from storefront.stock.ledger import verify_ledger
from storefront.stock.models import StockLevel
from tests.e2e.staff import sign_in
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive, with_sizes

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _on_hand(variant) -> int:
    db.session.rollback()
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                StockLevel.variant_id == variant.id
            )
        )
    )


def test_a_shopper_buys_size_40_and_the_counter_sells_size_41(
    page: Page, browser, app, ctx, live_server
):
    footwear = CategoryFactory(slug="alas-kaki", name="Alas Kaki")
    vendor = VendorFactory(name="Sandal Kulit Cikupa", slug="sandal-kulit-cikupa")
    sandal = ProductFactory(
        vendor=vendor, category=footwear, name="Sandal Kulit", code="SDL001", price=150_000
    )
    size = with_sizes(sandal, "40, 41, 42, 43")
    variants.update_variant(size["42"], sku=size["42"].code, price_delta=10_000)
    variants.approve_variant(size["42"])  # a dearer size waits for a manager's review
    db.session.commit()
    receive(sandal, 2, variant=size["40"])
    receive(sandal, 3, variant=size["41"])
    receive(sandal, 1, variant=size["42"])
    UserFactory(email="kasir@example.com", name="Kasir Gerai", role=Role.CASHIER.value)
    db.session.commit()

    # The shopper, in Indonesian on a phone: no size chosen yet, so nothing can be added.
    page.goto(f"/product/{sandal.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sandal Kulit")
    expect(page.get_by_test_id("sold-out-values")).to_contain_text("43")
    expect(page.locator("#value-" + str(size["43"].values[0].id))).to_be_disabled()
    add = page.get_by_role("button", name="Tambah ke keranjang")
    expect(add).to_be_disabled()

    # Size 42 costs more: the price follows the choice at once (JavaScript), then size 40.
    page.locator("label", has_text=re.compile(r"^\s*42")).click()
    expect(page.locator("[data-variant-price]")).to_contain_text("Rp160.000")
    page.locator("label", has_text=re.compile(r"^\s*40")).click()
    expect(page.locator("[data-variant-price]")).to_contain_text("Rp150.000")
    expect(page).to_have_url(re.compile(r"ukuran="))
    _shot(page, "sizes-product-phone")
    expect(add).to_be_enabled()
    add.click()

    expect(page.get_by_role("heading", name="Keranjang Anda")).to_be_visible()
    expect(page.locator("main")).to_contain_text("40")
    expect(page.get_by_test_id("cart-subtotal")).to_have_text("Rp150.000")
    _shot(page, "sizes-cart-phone")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Nama").fill("Siti Rahma")
    page.get_by_label("Email", exact=True).fill("siti@example.com")
    page.get_by_label("Telepon / WhatsApp").fill("0812 3456 7890")
    page.get_by_role("button", name="Buat pesanan").click()
    expect(page.get_by_test_id("order-number")).to_have_text(re.compile(r"GTG-\d{6}-\d{4}"))
    expect(page.locator("main")).to_contain_text("Sandal Kulit — 40")
    expect(page.get_by_test_id("order-total")).to_have_text("Rp150.000")
    _shot(page, "sizes-order-phone")
    # Held for the shopper: size 40's units are reserved, the others untouched.
    assert _on_hand(size["40"]) == 2

    # The cashier, on another phone: scanning size 41's label sells size 41.
    till = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="en-US"
    )
    till.set_default_timeout(10_000)
    desk = till.new_page()
    sign_in(desk, "kasir@example.com")
    desk.goto("/counter/")
    desk.get_by_label("Cash in the drawer (float)").fill("0")
    desk.get_by_role("button", name="Open the shift").click()
    expect(desk.get_by_label("Scan a code or search by name")).to_be_focused()
    desk.keyboard.type(size["41"].code)
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("pos-variant")).to_have_text("Variant: 41")
    desk.get_by_role("button", name="Exact cash").click()
    expect(desk.locator(".pos-receipt")).to_contain_text("Sandal Kulit — 41")
    till.close()

    assert (_on_hand(size["40"]), _on_hand(size["41"]), _on_hand(size["42"])) == (2, 2, 1)
    assert verify_ledger()[1] == []
    assert all(not books.problems for books in verify_books())


def test_without_javascript_the_size_is_chosen_with_the_form(browser, app, ctx, live_server):
    sandal = ProductFactory(name="Sandal Jepit Anyaman", code="SDL002", price=45_000)
    size = with_sizes(sandal, "38, 39")
    receive(sandal, 1, variant=size["39"])
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    page = context.new_page()
    # The listing's sort button (shown without JavaScript) stays within a phone's width.
    page.goto("/search?q=sandal")
    expect(page.get_by_role("button", name="Urutkan", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"/product/{sandal.slug}")
    expect(page.get_by_role("button", name="Tambah ke keranjang")).to_be_disabled()
    page.locator("label", has_text=re.compile(r"^\s*39")).click()
    page.get_by_role("button", name="Tampilkan pilihan ini").click()
    expect(page).to_have_url(re.compile(r"ukuran="))
    expect(page.get_by_role("button", name="Tambah ke keranjang")).to_be_enabled()
    page.get_by_role("button", name="Tambah ke keranjang").click()
    expect(page.get_by_role("heading", name="Keranjang Anda")).to_be_visible()
    expect(page.locator("main")).to_contain_text("39")
    context.close()
