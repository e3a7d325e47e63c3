"""Shoppers see whether a product is in stock, from the ledger."""

from __future__ import annotations

from datetime import date, timedelta

from storefront.extensions import db
from tests.factories import ProductFactory
from tests.stock_helpers import receive


def test_product_page_and_lists_show_stock_from_the_ledger(client, ctx):
    plenty = ProductFactory(name="Kopi Robusta Bubuk")
    few = ProductFactory(name="Sambal Roa")
    none_left = ProductFactory(name="Keripik Pisang")
    receive(plenty, 20)
    receive(few, 3)
    receive(none_left, 4, expires_on=date.today() - timedelta(days=1))  # noqa: DTZ011
    db.session.commit()

    assert "Tersedia" in client.get(f"/product/{plenty.slug}").get_data(as_text=True)
    assert "Sisa 3" in client.get(f"/product/{few.slug}").get_data(as_text=True)
    # Expired stock is not sellable: sold out.
    assert "Habis" in client.get(f"/product/{none_left.slug}").get_data(as_text=True)

    listing = client.get("/search").get_data(as_text=True)
    assert listing.count("Tersedia") == 1
    assert "Sisa 3" in listing
    assert "Habis" in listing


def test_a_sold_out_product_offers_no_way_to_buy(client, ctx):
    product = ProductFactory(name="Keripik Pisang")
    page = client.get(f"/product/{product.slug}").get_data(as_text=True)
    assert "Habis" in page
    assert "add_to_cart" not in page and "Tambah ke keranjang" not in page
