"""A manager walks a leather sandal's halal application across the permit board, from
"documents gathered" to "issued", on a phone, and sees the sandal go on sale."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from storefront.catalog.models import ProductStatus
from storefront.extensions import db
from storefront.incubator.models import MentorAssignment, PermitApplication
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory
from tests.security.account_helpers import make_vendor
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser
HALAL = "ID36110000123450925"


@pytest.fixture
def sandal(app):
    with app.app_context():
        CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
        footwear = CategoryFactory(
            slug="alas-kaki", name="Alas Kaki", name_en="Footwear", is_food=False
        )
        vendor, _owner = make_vendor("owner@example.com", name="Sandal Kulit Cikupa")
        product = ProductFactory(
            vendor=vendor,
            category=footwear,
            name="Sandal Kulit Sapi",
            slug="sandal-kulit-sapi",
            animal_derived=True,
            status=ProductStatus.DRAFT.value,
            permits_complete=False,
        )
        receive(product, 5)
        UserFactory(email="manajer@example.com", name="Bu Rina", role="manager")
        mentor = UserFactory(email="mentor@example.com", name="Pak Budi", role="mentor")
        db.session.add(MentorAssignment(vendor_id=vendor.id, mentor_id=mentor.id))
        db.session.add(
            PermitApplication(
                vendor_id=vendor.id,
                product_id=product.id,
                kind="halal",
                route="self_declare",
                status="documents",
                mentor_id=mentor.id,
                next_step="Daftar di SIHALAL",
            )
        )
        db.session.commit()
        db.session.remove()
    return "/product/sandal-kulit-sapi"


def sign_in(page: Page, email: str) -> None:
    page.goto("/lang/en")
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"


def test_a_permit_goes_from_documents_gathered_to_issued_and_the_product_on_sale(
    page: Page, sandal
):
    assert page.goto(sandal).status == 404  # a draft without its halal certificate: not sold

    sign_in(page, "manajer@example.com")
    page.goto("/incubator/permits?community=alas-kaki")
    board = page.get_by_test_id("permit-board")
    expect(board.get_by_test_id("column-documents")).to_contain_text("Sandal Kulit Sapi")
    # The columns stack on a phone: one above the other, nothing scrolls sideways.
    first = board.get_by_test_id("column-not_started").bounding_box()
    second = board.get_by_test_id("column-documents").bounding_box()
    assert second["y"] > first["y"] and abs(second["x"] - first["x"]) < 2
    no_sideways_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "permit-board-phone.png"), full_page=True)

    board.get_by_role("link", name="Sandal Kulit Sapi").click()
    status = page.get_by_test_id("application-status")
    expect(status).to_have_text("Documents gathered")

    # Back without a reason is refused, with the reason asked for.
    page.locator("select[name=status]").select_option("not_started")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".field-error")).to_contain_text("Say why")
    expect(status).to_have_text("Documents gathered")

    for state, label in (("submitted", "Submitted"), ("inspection", "Inspection or verification")):
        page.locator("select[name=status]").select_option(state)
        page.get_by_role("button", name="Move", exact=True).click()
        expect(status).to_have_text(label)

    page.locator("input[name=number]").fill("KH12345678")
    page.get_by_role("button", name="Record the certificate").click()
    expect(page.locator(".field-error")).to_contain_text("ketetapan halal")
    expect(status).to_have_text("Inspection or verification")

    page.locator("input[name=number]").fill(HALAL)
    page.get_by_role("button", name="Record the certificate").click()
    expect(status).to_have_text("Issued")
    expect(page.get_by_test_id("certificate")).to_contain_text(HALAL)
    no_sideways_scroll(page)

    page.get_by_role("link", name="on sale").click()
    expect(page.get_by_role("heading", name="Sandal Kulit Sapi")).to_be_visible()
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    expect(page.locator(".permit-halal")).to_contain_text(HALAL)
