"""A manager receives goods on a phone with a keyboard barcode scanner: each scan adds a unit."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storefront.auth.models import Role
from storefront.clock import today_wib
from tests.e2e.staff import sign_in
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.stock_helpers import with_sizes

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_scanner_enter_adds_units_instead_of_submitting(page: Page, app, ctx):
    food = CategoryFactory(is_food=True)
    vendor = VendorFactory(name="Dapur Nyai Cikupa")
    sambal = ProductFactory(vendor=vendor, category=food, name="Sambal Roa", code="GTG00012")
    basket = ProductFactory(vendor=vendor, name="Tas Anyaman", code="GTG00107")
    UserFactory(email="manajer@example.com", role=Role.MANAGER.value)
    sign_in(page, "manajer@example.com")
    page.goto("/manage/stock/intake")
    page.select_option("#vendor_id", str(vendor.id))
    page.get_by_role("button", name="Next").click()
    scan = page.locator("input[name='scan']")
    for code in ("GTG00012", "gtg00012", "GTG00107", "GTG00012", "NOPE"):
        scan.fill(code)
        scan.press("Enter")
    expect(page.locator("[data-intake-status]")).to_contain_text("NOPE")
    expect(page.locator("#lines-0-product")).to_have_value(str(sambal.id))
    expect(page.locator("#lines-0-quantity")).to_have_value("3")
    expect(page.locator("#lines-1-product")).to_have_value(str(basket.id))
    expect(page.locator("#lines-1-quantity")).to_have_value("1")
    page.locator("#lines-0-expires_on").fill((today_wib() + timedelta(days=60)).isoformat())
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "intake-lines.png"), full_page=True)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Intake receipt")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text("Sambal Roa")
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=str(ARTIFACTS / "intake-receipt.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "intake-receipt-print.png"), full_page=True)


def test_choosing_a_sandal_gives_a_line_per_size_and_its_label_scans(page: Page, app, ctx):
    vendor = VendorFactory(name="Sandal Kulit Cikupa")
    sandal = ProductFactory(vendor=vendor, name="Sandal Kulit", code="SDL001", price=150_000)
    size = with_sizes(sandal, "39, 40, 41, 42")
    UserFactory(email="manajer@example.com", role=Role.MANAGER.value)
    sign_in(page, "manajer@example.com")
    page.goto(f"/manage/stock/intake?vendor_id={vendor.id}")
    # Choosing the sandal itself (every size) splits the line into one per size at once.
    page.select_option("#lines-0-product", str(sandal.id))
    expect(page.get_by_test_id("intake-sizes")).to_contain_text("Sandal Kulit")
    for index, label in enumerate(["39", "40", "41", "42"]):
        expect(page.locator(f"#lines-{index}-product")).to_have_value(
            f"{sandal.id}:{size[label].id}"
        )
        page.locator(f"#lines-{index}-quantity").fill("3")
    # A size's label scanned adds one more of that size.
    scan = page.locator("input[name='scan']")
    scan.fill(size["41"].code)
    scan.press("Enter")
    expect(page.locator("#lines-2-quantity")).to_have_value("4")
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "intake-sizes.png"), full_page=True)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Intake receipt")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text(size["41"].code)
