"""Accessibility: axe-core (axe-playwright-python, which bundles it) on the key pages of the
shopper's, the vendor's and the manager's journeys, on a phone and on a desktop: no serious or
critical violation. And a shopper who uses only the keyboard can buy (pay at the outlet)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from storefront.database import unit_of_work
from storefront.demo import DEMO_LOGINS, seed_demo_data
from storefront.extensions import db
from storefront.stock.ledger import available_quantity
from tests.factories import CategoryFactory, ProductFactory
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
SHOPPER_PAGES = ["/", "/search?q=kopi", "/cart", "/account/login", "/account/register"]
VENDOR_PAGES = ["/vendor", "/vendor/products", "/vendor/stock", "/vendor/stock/movements"]
MANAGER_PAGES = [
    "/manage/",
    "/manage/orders",
    "/manage/products",
    "/manage/vendors",
    "/manage/stock/intake",
]

_axe = Axe()


def violations(page: Page) -> list[str]:
    results = _axe.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def demo(app, ctx):
    with unit_of_work():
        seed_demo_data()


def login_as(page: Page, role: str) -> None:
    email = dict(DEMO_LOGINS["accounts"])[role]
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("Password|Kata sandi")).fill(DEMO_LOGINS["password"])
    page.get_by_role("button", name=re.compile("Sign in|Masuk")).click()
    page.wait_for_load_state()


def check(page: Page, paths: list[str], found: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response.status < 400, path
        found += violations(page)


@pytest.mark.parametrize("width", [390, 1280])
def test_key_pages_have_no_serious_accessibility_violation(page: Page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    found: list[str] = []
    page.goto("/")
    product = page.locator("a[href^='/product/']").first.get_attribute("href")
    category = page.locator("a[href^='/category/']").first.get_attribute("href")
    maker = page.locator("a[href^='/vendors/']").first.get_attribute("href")
    check(page, [*SHOPPER_PAGES, product, category, maker], found)
    # Into the cart, then the checkout form, with a product sold as one item (the newest demo
    # products, listed first, come in sizes and colours).
    page.goto("/product/keripik-singkong-pedas-level-5-gtg0001")
    page.get_by_role("button", name=re.compile("cart|keranjang", re.I)).first.click()
    check(page, ["/cart", "/checkout"], found)
    if width > 390:  # staff pages are the same markup wider; the phone run checks them
        assert found == [], "\n".join(found)
        return

    page.context.clear_cookies()
    login_as(page, "vendor")
    check(page, VENDOR_PAGES, found)
    page.context.clear_cookies()
    login_as(page, "manager")
    check(page, MANAGER_PAGES, found)
    assert found == [], "\n".join(found)


FOCUSED = """() => {
  const e = document.activeElement;
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  const style = getComputedStyle(e);
  const shown = style.outlineStyle !== "none" || style.boxShadow !== "none"
    || e.matches(".skip-link");
  return {
    name: (e.getAttribute("aria-label") || label || e.innerText || e.value || "").trim(),
    shown: shown,
  };
}"""


def tab_to(page: Page, name: str | re.Pattern, presses: int = 120) -> None:
    """Press Tab until the element named `name` has the focus, and check the focus can be seen
    where it lands."""
    wanted = re.compile(re.escape(name)) if isinstance(name, str) else name
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused["name"][:30])
        if wanted.search(focused["name"]):
            assert focused["shown"], f"the focus on {focused['name']!r} cannot be seen"
            return
    raise AssertionError(f"Tab never reached {name!r}; it went through {seen}")


def enter_and_load(page: Page) -> None:
    """Enter on a link or a form's button: the next page has loaded before the next Tab."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_shopper_with_only_a_keyboard_buys_and_pays_at_the_outlet(page: Page, app, ctx):
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
    kopi = ProductFactory(name="Kopi Robusta Bubuk", category=food, price=45_000)
    receive(kopi, 5, expires_on=date.today() + timedelta(days=120))  # noqa: DTZ011
    db.session.commit()

    page.goto("/")
    tab_to(page, "Langsung ke isi")  # the first stop: the skip link
    tab_to(page, "Cari produk")
    page.keyboard.type("kopi")
    enter_and_load(page)
    tab_to(page, "Kopi Robusta Bubuk")
    enter_and_load(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kopi Robusta Bubuk")

    tab_to(page, "Jumlah")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, "Tambah ke keranjang")
    enter_and_load(page)
    expect(page.get_by_test_id("cart-subtotal")).to_have_text("Rp90.000")
    tab_to(page, re.compile("^Checkout$"))
    enter_and_load(page)

    for label, typed in (
        ("Nama", "Siti Rahma"),
        ("Email", "siti@example.com"),
        ("Telepon / WhatsApp", "0812 3456 7890"),
    ):
        tab_to(page, re.compile(f"^{re.escape(label)}"))
        page.keyboard.type(typed)
    # Pickup and pay at the outlet are chosen already; arrow keys would change them.
    expect(page.get_by_label(re.compile("Bayar di gerai"))).to_be_checked()
    tab_to(page, "Buat pesanan")
    enter_and_load(page)

    expect(page.get_by_test_id("order-number")).to_have_text(re.compile(r"GTG-\d{6}-0001"))
    expect(page.get_by_test_id("order-status")).to_have_text("Menunggu pembayaran")
    assert available_quantity(kopi.id) == 3
