"""A signed-in shopper on a phone browses kept catalogue pages (served before Flask,
shop/front_door.py): their own name, cart count and working forms on every kept page, and
nothing of theirs left behind when they sign out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storefront.extensions import db
from tests.factories import PASSWORD, UserFactory
from tests.stock_helpers import KEPT_PAGES, coffee_on_the_shelf

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return KEPT_PAGES


def test_a_signed_in_shopper_gets_kept_pages_with_their_own_header(page, ctx):
    kopi = coffee_on_the_shelf(5)
    UserFactory(email="sari@example.com", name="Sari Wulandari")
    db.session.commit()
    product = f"/product/{kopi.slug}"

    page.goto("/account/login")
    page.get_by_label("Email").fill("sari@example.com")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto("/cart")  # the header's cart count is kept in the session from here on

    assert page.goto(product).headers.get("x-page-cache") is None  # rendered, kept with holes
    answer = page.goto(product)
    assert answer.headers["x-page-cache"] == "hit"
    expect(page.locator("details.account-menu summary")).to_have_text("Sari")
    expect(page.get_by_test_id("cart-count")).to_have_count(0)

    # The kept page's form carries this session's token: adding to the cart works.
    page.get_by_role("button", name="Tambah ke keranjang").click()
    expect(page.get_by_role("heading", name="Keranjang Anda")).to_be_visible()
    answer = page.goto(product)
    assert answer.headers["x-page-cache"] == "hit"
    expect(page.get_by_test_id("cart-count")).to_contain_text("1")
    page.goto("/search?q=kopi")
    answer = page.goto("/search?q=kopi")
    assert answer.headers["x-page-cache"] == "hit"
    expect(page.get_by_test_id("cart-count")).to_contain_text("1")

    # Signing out from the kept page's menu (its token is this session's).
    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Keluar").click()
    page.goto(product)
    expect(page.locator("details.account-menu")).to_have_count(0)
    expect(page.get_by_role("link", name="Masuk")).to_be_visible()
    expect(page.get_by_text("Sari")).to_have_count(0)
