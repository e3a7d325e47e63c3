"""An UMKM owner applies on a phone, a manager asks for a change, she fixes it, is approved,
lists a food product with its permits and a photo, and the product shows on her shop page."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from storefront.auth.models import Role
from tests.factories import PASSWORD, CategoryFactory, UserFactory
from tests.integration.onboarding_helpers import NIB, NIK, PDF, png_bytes

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
APPLICANT_EMAIL = "rina@example.com"
MANAGER_EMAIL = "manajer@example.com"
BUSINESS = "Dapur Rina Cikupa"
PRODUCT = "Keripik Singkong Pedas"


def _screenshot(page: Page, name: str) -> None:
    """Pictures of the pages for people to look at, only when asked for (SCREENSHOTS=1)."""
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _sign_in(page: Page, email: str, name: str) -> None:
    """Fill the sign-in form the page is showing."""
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Welcome back, {name}.")).to_be_visible()


def _step(page: Page, number: int) -> None:
    """Jump to a step through the wizard's step list. On a phone only the current step shows
    its name, the others are numbered circles, so a person taps the number."""
    steps = page.get_by_role("navigation", name="Application steps")
    steps.get_by_role("link", name=re.compile(rf"^{number}\b")).click()


def _send_application(page: Page) -> None:
    expect(page.get_by_role("heading", name="5. Check and send")).to_be_visible()
    page.get_by_label("I agree that the outlet processes my personal data").check()
    page.get_by_label("I accept the consignment agreement above.").check()
    page.get_by_role("button", name="Send my application").click()
    expect(
        page.get_by_text("Thank you! Your application was sent. We will email you.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="My partner application")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Waiting for review")
    expect(
        page.get_by_text("Thank you. A manager is reviewing your application and will email you.")
    ).to_be_visible()


def _open_application(manager: Page) -> None:
    """From anywhere: header menu → manager overview → queue of applications → this one."""
    manager.locator("details.account-menu summary").click()
    manager.get_by_role("link", name="Manage the outlet").click()
    expect(manager.get_by_role("heading", name="Outlet overview")).to_be_visible()
    manager.get_by_role("link", name="applications to review").click()  # the dashboard's tile
    expect(manager.get_by_role("heading", name="Vendor applications")).to_be_visible()
    row = manager.get_by_role("row").filter(has_text=BUSINESS)
    expect(row.locator(".badge")).to_have_text("Waiting for review")
    row.get_by_role("link", name=BUSINESS).click()
    expect(manager.get_by_role("heading", name=BUSINESS, level=1)).to_be_visible()
    expect(manager.locator(".badge").first).to_have_text("Waiting for review")


def test_vendor_applies_is_approved_and_lists_a_food_product(page, app, browser, live_server):
    # 1. The outlet has a food category, a shopper who wants to sell, and a manager.
    with app.app_context():
        CategoryFactory(
            slug="makanan-minuman",
            name="Makanan & Minuman",
            name_en="Food & Drink",
            is_food=True,
        )
        UserFactory(email=APPLICANT_EMAIL, name="Rina Wulandari", role=Role.SHOPPER.value)
        UserFactory(email=MANAGER_EMAIL, name="Bambang Manajer", role=Role.MANAGER.value)

    # 2. Rina finds the partner page from the footer and starts an application.
    page.goto("/")
    page.get_by_role("link", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Sell at the outlet: become a partner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sell your products at the Gerai Tangerang Gemilang"
    )
    page.get_by_role("button", name="Start my application").first.click()

    # Not signed in yet: the sign-in page, then straight on to the wizard.
    expect(page.get_by_text("Please sign in to open that page.")).to_be_visible()
    _sign_in(page, APPLICANT_EMAIL, "Rina Wulandari")
    expect(page.get_by_role("heading", name="Partner application")).to_be_visible()
    expect(page.get_by_role("heading", name="1. The owner")).to_be_visible()

    # Step 1: the owner.
    page.get_by_label("Owner's full name (as on the KTP)").fill("Rina Wulandari")
    page.get_by_label("NIK (16 digits on the KTP)").fill(NIK)
    page.get_by_label("Phone / WhatsApp").fill("0812 1000 0001")
    page.get_by_label("Email").fill(APPLICANT_EMAIL)
    page.get_by_role("button", name="Save and continue").click()
    expect(
        page.get_by_text("Saved. You can come back to this application at any time.")
    ).to_be_visible()

    # Step 2: the business.
    expect(page.get_by_role("heading", name="2. The business")).to_be_visible()
    page.get_by_label("Business name").fill(BUSINESS)
    page.get_by_label("Legal form").select_option("perorangan")
    page.get_by_label("NIB (13 digits, from OSS)").fill(NIB)
    page.get_by_label("Business address").fill("Jl. Raya Serang Km 17, Talaga")
    page.get_by_label("Kecamatan").select_option("kabupaten-tangerang|Cikupa")
    expect(page.get_by_label("Kecamatan").locator("option:checked")).to_have_text("Cikupa")
    page.get_by_label("Food & Drink").check()
    page.get_by_label("Your story for the public profile").fill(
        "Keripik singkong rumahan dari Cikupa sejak 2015, digoreng setiap pagi."
    )
    _screenshot(page, "vendor-application-phone.png")
    page.get_by_role("button", name="Save and continue").click()
    expect(
        page.get_by_text("Saved. You can come back to this application at any time.")
    ).to_be_visible()

    # Step 3: documents — the NIB certificate.
    expect(page.get_by_role("heading", name="3. Documents and permits")).to_be_visible()
    expect(page.get_by_text("No documents yet. Start with the NIB certificate.")).to_be_visible()
    page.get_by_label("Document", exact=True).select_option("nib")
    page.get_by_label("Number on the document").fill(NIB)
    page.get_by_label("File (PDF, JPEG or PNG, at most 5 MB)").set_input_files(
        {"name": "nib.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload document").click()
    expect(page.get_by_text("Document added.")).to_be_visible()
    expect(page.get_by_role("cell", name="NIB certificate")).to_be_visible()
    expect(page.get_by_role("cell", name=NIB)).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    # Step 4: the bank account for payouts.
    expect(page.get_by_role("heading", name="4. Bank account for payouts")).to_be_visible()
    page.get_by_label("Bank", exact=True).select_option("014")
    page.get_by_label("Account number").fill("1234567890")
    page.get_by_label("Account holder name").fill("Rina Wulandari")
    page.get_by_role("button", name="Save and continue").click()
    expect(
        page.get_by_text("Saved. You can come back to this application at any time.")
    ).to_be_visible()

    # Step 5: check the summary, consent, send.
    summary = page.locator("dl.details")
    expect(summary).to_contain_text("NIK ************0001")
    expect(summary).to_contain_text(f"{BUSINESS} · NIB {NIB} · Kec. Cikupa")
    expect(summary).to_contain_text("BCA ******7890 a.n. Rina Wulandari")
    _send_application(page)

    # 3. The manager, on his own phone, reviews it and asks for a clearer NIB certificate.
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        manager = context.new_page()
        manager.goto("/")
        manager.get_by_role("link", name="EN").click()
        expect(manager.locator("html")).to_have_attribute("lang", "en")
        manager.get_by_role("link", name="Sign in").click()
        _sign_in(manager, MANAGER_EMAIL, "Bambang Manajer")

        _open_application(manager)
        owner = manager.locator("dl.details").first
        expect(owner).to_contain_text("************0001")
        expect(owner).not_to_contain_text(NIK)
        expect(manager.get_by_role("cell", name="NIB certificate")).to_be_visible()
        _screenshot(manager, "manager-review-phone.png")

        ask = manager.locator("details").filter(has_text="Ask for changes or reject")
        ask.locator("summary").click()
        ask.get_by_label("Message to the applicant").fill(
            "The NIB certificate is blurry. Please upload a clearer scan."
        )
        manager.get_by_role("button", name="Ask for changes").click()
        expect(manager.get_by_text("The applicant was asked for changes by email.")).to_be_visible()
        expect(manager.get_by_role("link", name=BUSINESS)).to_have_count(0)

        # 4. Rina sees the comment, uploads a clearer certificate and sends the application again.
        page.goto("/partner/application")
        expect(page.locator(".badge")).to_have_text("Changes requested")
        expect(
            page.get_by_text("The NIB certificate is blurry. Please upload a clearer scan.").first
        ).to_be_visible()
        page.get_by_role("button", name="Fix my application").click()
        expect(page.get_by_text("The outlet asked for a change:")).to_be_visible()

        _step(page, 3)
        expect(page.get_by_role("heading", name="3. Documents and permits")).to_be_visible()
        page.get_by_label("Document", exact=True).select_option("nib")
        page.get_by_label("Number on the document").fill(NIB)
        page.get_by_label("File (PDF, JPEG or PNG, at most 5 MB)").set_input_files(
            {"name": "nib-clear.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Upload document").click()
        expect(page.get_by_text("Document added.")).to_be_visible()
        expect(page.get_by_role("cell", name="NIB certificate")).to_have_count(2)
        # The blurry one (listed first) goes, after a confirmation.
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("row").filter(has_text="NIB certificate").first.get_by_role(
            "button"
        ).click()
        expect(page.get_by_text("Document removed.")).to_be_visible()
        expect(page.get_by_role("cell", name="NIB certificate")).to_have_count(1)

        _step(page, 5)
        _send_application(page)

        # 5. The manager opens it again and approves it.
        _open_application(manager)
        expect(manager.get_by_text("The NIB certificate is blurry.").first).to_be_visible()
        manager.locator("details summary", has_text="Approve").first.click()
        # No rate of her own: she follows the category / outlet default (pre-selected).
        expect(manager.get_by_label("Follow the category / outlet default")).to_be_checked()
        manager.get_by_label("Settlement period").select_option("monthly")
        manager.get_by_role("button", name="Approve vendor").click()
        expect(manager.get_by_text(f"{BUSINESS} is approved and has been emailed.")).to_be_visible()

        # 6. Rina, now a vendor, lists her first product.
        page.goto("/partner/application")
        expect(page.locator(".badge")).to_have_text("Approved")
        page.locator("details.account-menu summary").click()
        page.get_by_role("link", name="Vendor portal").click()
        expect(page.get_by_role("heading", name=BUSINESS, level=1)).to_be_visible()
        expect(page.locator(".portal-terms")).to_contain_text("20%")
        expect(page.locator(".portal-terms")).to_contain_text("Monthly")

        page.get_by_role("link", name="Products").first.click()
        expect(page.get_by_role("heading", name="My products")).to_be_visible()
        expect(page.get_by_text("You have not listed any products yet.")).to_be_visible()
        page.get_by_role("button", name="Add your first product").click()
        expect(page.get_by_role("heading", name="New product")).to_be_visible()
        page.get_by_label("Product name").fill(PRODUCT)
        page.get_by_label("Category").select_option(label="Food & Drink")
        page.get_by_label("Description").fill(
            "Keripik singkong tipis dan renyah dengan bumbu cabai. Tanpa pengawet."
        )
        page.get_by_label("Price (Rp)").fill("15.000")
        page.get_by_label("Sold per").fill("bungkus")
        page.get_by_label("Net content (e.g. 250 g)").fill("200 g")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(
            page.get_by_text(
                "Product saved as a draft. Add photos and permits, then send it for review."
            )
        ).to_be_visible()
        expect(page.get_by_role("heading", name=PRODUCT, level=1)).to_be_visible()
        expect(page.locator(".badge").first).to_have_text("Draft")
        expect(page.get_by_text("Add the required permits below before sending.")).to_be_visible()

        # Permits: a P-IRT valid until the end of the year after next, and a halal certificate.
        expires = (datetime.now(ZoneInfo("Asia/Jakarta")).year + 2) % 100
        permits = page.locator("#permits")
        permits.get_by_label("Permit", exact=True).select_option("pirt")
        permits.get_by_label("Number", exact=True).fill(f"P-IRT No. 2093603010123-{expires:02d}")
        # The "berlaku sampai" printed on the SPP-IRT; its year ends the number.
        permits.get_by_label("Valid until (berlaku sampai), as printed").fill(
            f"20{expires:02d}-06-30"
        )
        permits.get_by_role("button", name="Save permit").click()
        expect(page.get_by_text("Permit saved.")).to_be_visible()
        expect(permits).to_contain_text(f"P-IRT No. 2093603010123-{expires:02d}")

        permits.get_by_label("Permit", exact=True).select_option("halal")
        permits.get_by_label("Number", exact=True).fill("ID36110000123450925")
        permits.get_by_role("button", name="Save permit").click()
        expect(page.get_by_text("Permit saved.")).to_be_visible()
        expect(permits).to_contain_text("ID36110000123450925")
        expect(
            page.get_by_text("Ready? A manager checks the listing before it goes live.")
        ).to_be_visible()

        # A photo.
        page.get_by_label("Add a photo (JPEG, PNG or WebP)").set_input_files(
            {"name": "keripik.png", "mimeType": "image/png", "buffer": png_bytes()}
        )
        page.get_by_role("button", name="Upload photo").click()
        expect(page.get_by_text("Photo added.")).to_be_visible()
        expect(page.get_by_role("img", name=f"Photo 1 of {PRODUCT}")).to_be_visible()

        page.get_by_role("button", name="Send for review").click()
        expect(page.get_by_text("Sent for review. We will let you know.")).to_be_visible()
        row = page.get_by_role("row").filter(has_text=PRODUCT)
        expect(row).to_contain_text("Rp15.000")
        expect(row.locator(".badge")).to_have_text("Waiting for review")

        # 7. The manager approves the listing.
        manager.goto("/manage/products")
        expect(manager.get_by_role("heading", name="Product listings")).to_be_visible()
        manager.get_by_role("link", name=PRODUCT).click()
        expect(manager.get_by_role("heading", name=PRODUCT, level=1)).to_be_visible()
        expect(manager.get_by_text("Required permits are missing")).to_have_count(0)
        manager.get_by_role("button", name="Approve and list").click()
        expect(manager.get_by_text(f"{PRODUCT} is approved and listed.")).to_be_visible()
    finally:
        context.close()

    # 8. The product is in the shop, on its own page and on Rina's shop page.
    page.get_by_role("link", name=PRODUCT).click()
    expect(page.get_by_text("Listed in the shop.")).to_be_visible()
    page.get_by_role("link", name="See the product page").click()
    expect(page.get_by_role("heading", name=PRODUCT, level=1)).to_be_visible()
    expect(page.locator(".price-large")).to_contain_text("Rp15.000")
    page.get_by_role("link", name=BUSINESS).click()
    expect(page).to_have_url(re.compile(r"/vendors/dapur-rina-cikupa$"))
    expect(page.get_by_role("heading", name=BUSINESS, level=1)).to_be_visible()
    card = page.locator(".product-card").filter(has_text=PRODUCT)
    expect(card).to_be_visible()
    expect(card.locator(".price")).to_contain_text("Rp15.000")
