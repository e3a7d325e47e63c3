"""A cashier at the counter on a phone with a keyboard barcode scanner: open the shift, scan a
shelf label (the code, then Enter), take cash, give change, count the drawer and close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storefront.auth.models import Role
from tests.e2e.staff import sign_in
from tests.factories import ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive, with_sizes

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_cashier_scans_takes_cash_gives_change_and_closes_the_shift(page: Page, app, ctx):
    vendor = VendorFactory(name="Sambal Bu Rini")
    sambal = ProductFactory(vendor=vendor, name="Sambal Roa", code="GTG00012", price=35_000)
    cashier = UserFactory(email="kasir@example.com", name="Kasir Gerai", role=Role.CASHIER.value)
    receive(sambal, 5, actor=cashier)
    sign_in(page, "kasir@example.com")

    page.goto("/counter/")
    page.get_by_label("Cash in the drawer (float)").fill("200.000")
    page.get_by_role("button", name="Open the shift").click()

    scan = page.get_by_label("Scan a code or search by name")
    expect(scan).to_be_focused()
    for _ in range(2):  # a scanner types the code and presses Enter
        page.keyboard.type("GTG00012")
        page.keyboard.press("Enter")
        expect(scan).to_be_focused()
    expect(page.locator(".pos-lines")).to_contain_text("Sambal Roa")
    expect(page.locator("#pay-heading")).to_contain_text("Rp70.000")
    _shot(page, "counter-sale")
    if os.environ.get("SCREENSHOTS") == "1":  # a tablet in landscape, then back to the phone
        page.set_viewport_size({"width": 1180, "height": 820})
        _shot(page, "counter-sale-tablet")
        page.set_viewport_size({"width": 390, "height": 844})

    # The change is worked out while the cash is typed, before anything is sent.
    change = page.locator("[data-pos-change]")
    expect(change).to_be_hidden()
    page.get_by_label("Cash received").press_sequentially("100.000")
    expect(change).to_have_text("Change: Rp30.000")
    page.get_by_label("Cash received").fill("50000")
    expect(change).to_have_text("Not enough cash: Rp20.000 short")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator(".field-error")).to_contain_text("less than")
    page.get_by_label("Cash received").fill("100000")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator(".pos-change")).to_contain_text("Rp30.000")
    expect(page.locator(".pos-receipt")).to_contain_text("Sambal Roa")
    _shot(page, "counter-receipt")

    page.get_by_role("link", name="Close the shift").click()
    expect(page.locator(".pos-expected")).to_contain_text("Rp270.000")
    page.get_by_label("Cash counted in the drawer").fill("270000")
    page.get_by_role("button", name="Close the shift").click()
    expect(page.get_by_role("heading", name="Shift report")).to_be_visible()
    expect(page.locator(".pos-count")).to_contain_text("even")
    _shot(page, "counter-shift-report")


def test_cashier_sells_size_41_by_scanning_its_label(page: Page, app, ctx):
    from sqlalchemy import func, select

    from storefront.extensions import db
    from storefront.stock.ledger import verify_ledger
    from storefront.stock.models import StockLevel

    vendor = VendorFactory(name="Sandal Kulit Cikupa")
    sandal = ProductFactory(vendor=vendor, name="Sandal Kulit", code="SDL001", price=150_000)
    size = with_sizes(sandal, "40, 41")
    cashier = UserFactory(email="kasir@example.com", name="Kasir Gerai", role=Role.CASHIER.value)
    receive(sandal, 3, variant=size["40"], actor=cashier)
    receive(sandal, 2, variant=size["41"], actor=cashier)
    sign_in(page, "kasir@example.com")
    page.goto("/counter/")
    page.get_by_label("Cash in the drawer (float)").fill("0")
    page.get_by_role("button", name="Open the shift").click()

    # The sandal's own code: which size? Nothing is added until one is chosen or scanned.
    expect(page.get_by_label("Scan a code or search by name")).to_be_focused()
    page.keyboard.type("SDL001")
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("scan the label of the size")
    expect(page.get_by_test_id("pos-sizes")).to_contain_text("41")
    expect(page.locator(".pos-lines")).to_have_count(0)

    page.get_by_label("Scan a code or search by name").fill(size["41"].code)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pos-variant")).to_have_text("Variant: 41")
    _shot(page, "counter-variant")
    page.get_by_role("button", name="Exact cash").click()
    expect(page.locator(".pos-receipt")).to_contain_text("Sandal Kulit — 41")

    def on_hand(variant):
        db.session.rollback()
        return db.session.scalar(
            select(func.sum(StockLevel.on_hand)).where(StockLevel.variant_id == variant.id)
        )

    assert (on_hand(size["40"]), on_hand(size["41"])) == (3, 1)
    assert verify_ledger()[1] == []
