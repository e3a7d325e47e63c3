"""A manager rejects a size on a phone and must say why; the vendor reads the reason beside
the size. Photographed into test-artifacts/screens/ at 390 px; nothing may scroll sideways
and axe finds nothing serious."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from storefront.catalog import variants
from storefront.catalog.models import ProductStatus
from storefront.extensions import db
from storefront.vendors.models import VendorMember
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_accessibility import violations
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.browser
SCREENS = ARTIFACTS / "screens"
REASON = "Selisih harga Rp25.000 untuk ukuran 41 terlalu besar; samakan dengan ukuran 40."


@pytest.fixture
def waiting_size(app):
    """An approved sandal whose new size 41 has a price no approved size has: it waits."""
    with app.test_request_context():
        vendor = VendorFactory(slug="sandal-cikupa", name="Sandal Cikupa")
        owner = UserFactory(email="sandal@example.com", role="vendor")
        db.session.add(VendorMember(vendor_id=vendor.id, user_id=owner.id, role="owner"))
        UserFactory(email="manajer@example.com", role="manager")
        product = ProductFactory(vendor=vendor, name="Sandal Kulit", price=150000, code="SDL001")
        product.status = ProductStatus.APPROVED.value
        db.session.flush()
        variants.set_options(product, [variants.OptionSpec.parse("Ukuran", "39, 40, 41")])
        size_41 = next(v for v in product.active_variants if v.label == "41")
        variants.update_variant(size_41, sku=size_41.sku, price_delta=25000)
        assert size_41.review == "pending"
        db.session.commit()
        ids = product.id, size_41.id
        db.session.remove()
    return ids


def sign_in(page: Page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def fits(page: Page, name: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"{name} scrolls sideways on a phone: {wide}px"
    assert violations(page) == []
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}-phone.png"), full_page=True)


def test_a_manager_rejects_a_size_with_a_reason_the_vendor_reads_on_a_phone(
    page: Page, waiting_size
):
    product_id, variant_id = waiting_size
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "manajer@example.com")
    page.goto(f"/manage/products/{product_id}")
    page.get_by_text("Tolak…").click()
    reason = page.locator(f"#reject{variant_id}-comment")
    expect(reason).to_be_visible()
    fits(page, "variant-reject-open")

    # No reason: refused, said at the top (a link to the field) and beside the field.
    page.locator(f"#variants form[action$='/variants/{variant_id}/reject'] button").click()
    expect(page.get_by_role("alert").first).to_contain_text("41 belum ditolak")
    expect(page.locator(f"#reject{variant_id}-comment-error")).to_have_text("Tulis pesan.")
    fits(page, "variant-reject-refused")

    page.locator(f"#reject{variant_id}-comment").fill(REASON)
    page.locator(f"#variants form[action$='/variants/{variant_id}/reject'] button").click()
    expect(page.locator("#variants")).to_contain_text(f"Ditolak: {REASON}")

    sign_in(page, "sandal@example.com")
    page.goto(f"/vendor/products/{product_id}#variants")
    expect(page.locator("#variants .variant-reason")).to_have_text(f"Ditolak: {REASON}")
    fits(page, "variant-rejected-vendor")
