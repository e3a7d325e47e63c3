"""A cashier at the counter on a phone with a keyboard barcode scanner: open the shift, scan a
shelf label (the code, then Enter), take cash, give change, count the drawer and close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storefront.auth.models import Role
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import receive

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
    page.goto("/")
    page.get_by_role("link", name="EN").click()
    page.goto("/account/login")
    page.get_by_label("Email").fill("kasir@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

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
