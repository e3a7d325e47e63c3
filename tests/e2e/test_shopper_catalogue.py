"""A shopper on a phone searches, filters halal, and opens a product with stock and permits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from storefront.catalog.models import PermitKind, ProductPermit
from storefront.catalog.permits import refresh_permit_status
from storefront.extensions import db
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser


def food_product(name, vendor, category, *, halal: bool, stock: int):
    product = ProductFactory(name=name, vendor=vendor, category=category, price=45000)
    product.permits.append(
        ProductPermit(
            kind=PermitKind.PIRT.value,
            number="209360301012330",
            expires_on=date(date.today().year + 2, 12, 31),  # noqa: DTZ011
        )
    )
    if halal:
        product.permits.append(
            ProductPermit(kind=PermitKind.HALAL.value, number="ID36110000123450925")
        )
    else:
        product.non_halal = True
    refresh_permit_status(product)
    db.session.commit()
    if stock:
        receive(product, stock, expires_on=date.today() + timedelta(days=120))  # noqa: DTZ011
    return product


def test_search_filter_halal_and_open_a_product(page, ctx):
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
    vendor = VendorFactory(name="Kopi Gunung Kaler", slug="kopi-gunung-kaler")
    food_product("Kopi Robusta Bubuk", vendor, food, halal=True, stock=3)
    food_product("Kopi Luwak Campur Rum", vendor, food, halal=False, stock=10)
    ProductFactory(name="Tas Anyaman Pandan")

    page.goto("/")
    page.get_by_label("Cari produk").fill("kopi")
    page.get_by_role("button", name="Cari", exact=True).click()
    cards = page.locator(".product-card")
    expect(cards).to_have_count(2)

    page.locator("details summary", has_text="Filter").first.click()
    page.get_by_label("Hanya bersertifikat halal").check()  # listing.js submits on change
    page.wait_for_url("**halal=1**")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Kopi Robusta Bubuk")
    expect(cards.first).to_contain_text("Sisa 3")

    cards.first.get_by_role("link", name="Kopi Robusta Bubuk").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kopi Robusta Bubuk")
    expect(page.get_by_text("Sisa 3").first).to_be_visible()
    expect(page.get_by_text("ID36110000123450925").first).to_be_visible()
    expect(page.get_by_text("P-IRT No. 2093603010123-30").first).to_be_visible()
    expect(page.get_by_text("Rp45.000").first).to_be_visible()
