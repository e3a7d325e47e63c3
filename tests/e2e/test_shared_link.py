"""A shopper opens a vendor's shared short link on a phone, adds the product to the cart and
orders: the link's visit (counted by the page's beacon, which also remembers the link in the
session), add-to-cart and order are counted for it, and nothing of the shopper's is kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storefront.catalog.interest import LinkDailyCount
from storefront.catalog.share_links import short_code
from storefront.clock import today_wib
from storefront.extensions import db
from tests.factories import ProductFactory, VendorFactory
from tests.stock_helpers import receive

pytestmark = pytest.mark.browser


def test_a_shared_link_counts_its_visit_cart_and_order(page, ctx):
    vendor = VendorFactory(name="Dapur Nyai", slug="dapur-nyai")
    sambal = ProductFactory(vendor=vendor, name="Sambal Roa", slug="sambal-roa", price=30000)
    receive(sambal, 5)
    db.session.commit()

    def counted():
        db.session.expire_all()
        row = db.session.get(LinkDailyCount, (sambal.id, today_wib(), "whatsapp", "promosi"))
        return (row.visits, row.add_to_carts, row.orders) if row else (0, 0, 0)

    page.goto(f"/s/{short_code('product', sambal.id, 'whatsapp')}")
    page.wait_for_url("**/product/sambal-roa?utm_source=whatsapp&utm_campaign=promosi")
    expect(page.get_by_role("heading", name="Sambal Roa")).to_be_visible()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/seen?'))"
    )
    page.wait_for_timeout(300)  # the beacon's answer, with its cookie
    assert counted()[0] == 1

    page.get_by_role("button", name="Tambah ke keranjang").click()
    page.wait_for_url("**/cart")
    assert counted() == (1, 1, 0)

    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Nama").fill("Siti Rahma")
    page.get_by_label("Email", exact=True).fill("siti@example.com")
    page.get_by_label("Telepon / WhatsApp").fill("0812 3456 7890")
    page.get_by_role("button", name="Buat pesanan").click()
    page.wait_for_url("**/orders/**")
    assert counted() == (1, 1, 1)
