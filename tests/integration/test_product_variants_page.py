"""What shoppers see of sizes and colours: the picker on the product page (without JavaScript,
by the query string), the size guide, JSON-LD, "from" prices and the size filter on listings,
and the page cache keeping each size's page apart."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from storefront.catalog import variants
from storefront.catalog.models import ProductPhoto, VariantReview
from storefront.catalog.variants import OptionSpec
from storefront.clock import shop_zone, today_wib
from storefront.extensions import db
from storefront.shop.page_cache import HIT_HEADER
from storefront.shop.picker import size_guide
from storefront.stock import markdowns
from storefront.stock.markdowns import MarkdownTerms
from tests.conftest import act
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.stock_helpers import receive

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
TABLE = re.compile(r'<script type="application/json" id="variant-table">(.*?)</script>', re.S)


@pytest.fixture
def footwear(ctx):
    return CategoryFactory(slug="alas-kaki", name="Alas Kaki")


def sandal(category, sizes="38, 39, 40, 41", colours=None, **fields):
    product = ProductFactory(
        name="Sandal Kulit", slug="sandal-kulit", price=150000, category=category, **fields
    )
    specs = [OptionSpec.parse("Ukuran", sizes)]
    if colours:
        specs.append(OptionSpec.parse("Warna", colours))
    variants.set_options(product, specs)
    db.session.commit()
    return product


def variant(product, label):
    return next(v for v in product.active_variants if v.label == label)


def value_id(product, text, option="Ukuran"):
    found = next(o for o in product.options if o.name == option)
    return next(v.id for v in found.values if v.value == text)


def add_photo(product, key, *, position, variant=None):
    db.session.add(
        ProductPhoto(
            product_id=product.id,
            variant_id=variant.id if variant else None,
            image_key=key,
            widths="320,640",
            width=640,
            height=640,
            position=position,
        )
    )
    db.session.commit()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def radio(html, value):
    """The radio input for an option value id."""
    return re.search(rf'<input type="radio"[^>]*value="{value}"[^>]*>', html).group(0)


def cart_form(html):
    return re.search(r'<form method="post" action="/cart/add"[^>]*>(.*?)</form>', html, re.S)


def test_picker_offers_a_radio_per_value_and_sold_out_sizes_are_disabled(client, footwear):
    product = sandal(footwear)
    receive(product, 3, variant=variant(product, "40"))
    receive(product, 2, variant=variant(product, "41"))
    html = page(client, "/product/sandal-kulit")

    assert re.search(r"<legend>Ukuran", html)
    for size in ("38", "39", "40", "41"):
        assert f'name="ukuran" value="{value_id(product, size)}"' in html
    assert "disabled" in radio(html, value_id(product, "38"))
    assert "disabled" not in radio(html, value_id(product, "40"))
    label_38 = re.search(rf'<label for="value-{value_id(product, "38")}"[^>]*>(.*?)</label>', html)
    assert "variant-sold-out" in label_38.group(0)
    assert re.search(r"<small[^>]*>habis</small>", label_38.group(1))
    label_40 = re.search(rf'<label for="value-{value_id(product, "40")}"[^>]*>(.*?)</label>', html)
    assert re.search(r"<small[^>]*hidden>habis</small>", label_40.group(1))
    # Per option value: which sizes have none at all.
    assert "Ukuran 38 habis" in html and "Ukuran 39 habis" in html
    assert "Ukuran 40 habis" not in html
    # Nothing chosen yet: the cart form waits for a size.
    form = cart_form(html).group(1)
    assert 'name="variant_id" value=""' in form
    assert re.search(r'<button type="submit" disabled>', form)


def test_choosing_a_combination_shows_its_price_photo_stock_and_variant(client, footwear):
    product = sandal(footwear, sizes="40, 41", colours="Coklat, Hitam")
    black = variant(product, "41 / Hitam")
    black.price_delta = 10000
    add_photo(product, "public/products/hitam", position=5, variant=black)
    add_photo(product, "public/products/umum", position=0)
    receive(product, 4, variant=black)
    receive(product, 9, variant=variant(product, "40 / Coklat"))

    plain = page(client, "/product/sandal-kulit")
    assert "Rp150.000" in plain and "Rp160.000" not in plain.split("variant-table")[0]
    url = (
        f"/product/sandal-kulit?ukuran={value_id(product, '41')}"
        f"&warna={value_id(product, 'Hitam', 'Warna')}"
    )
    html = page(client, url)
    price = re.search(r"<div data-variant-price>(.*?)</div>", html, re.S).group(1)
    assert "Rp160.000" in price
    # The variant's own photo first, then the product's.
    main = re.search(r'class="gallery-main">\s*<img[^>]*src="([^"]+)"', html).group(1)
    assert "hitam" in main
    assert html.index("public/products/hitam") < html.index("public/products/umum")
    form = cart_form(html).group(1)
    assert f'name="variant_id" value="{black.id}"' in form
    assert 'max="4"' in form
    assert re.search(r'<button type="submit">', form)
    assert "checked" in radio(html, value_id(product, "41"))
    assert black.sku in html
    # The same choice by the variant's id.
    by_id = page(client, f"/product/sandal-kulit?variant={black.id}")
    assert f'name="variant_id" value="{black.id}"' in cart_form(by_id).group(1)


def test_a_near_expiry_markdown_shows_on_its_own_size_only(client, footwear):
    product = sandal(footwear, sizes="40, 41")
    forty, forty_one = variant(product, "40"), variant(product, "41")
    soon = today_wib() + timedelta(days=3)
    batch = receive(product, 2, variant=forty, expires_on=soon)
    receive(product, 5, variant=forty_one)
    manager = UserFactory(role="manager")
    terms = MarkdownTerms(
        percent_bp=3000,
        bearer="vendor",
        agreed_by="Pak Hendra",
        agreed_at=datetime.now(shop_zone()) - timedelta(hours=1),
        agreed_via="whatsapp",
    )
    act(markdowns.mark_down, batch, manager, terms)

    html = page(client, f"/product/sandal-kulit?variant={forty.id}")
    offer = re.search(r'data-testid="markdown-offer">(.*?)</p>', html, re.S).group(1)
    assert "Rp105.000" in offer  # 150.000 less 30 %
    assert (
        'data-testid="markdown-offer"'
        not in page(client, f"/product/sandal-kulit?variant={forty_one.id}").split("variant-table")[
            0
        ]
    )
    table = json.loads(TABLE.search(html).group(1))
    rows = {row["label"]: row for row in table["variants"]}
    assert "Rp105.000" in table["snippets"][rows["40"]["price"]]
    assert "Rp105.000" not in table["snippets"][rows["41"]["price"]]


def test_variant_table_for_the_script_lists_each_sellable_variant(client, footwear):
    product = sandal(footwear, sizes="40, 41")
    receive(product, 2, variant=variant(product, "41"))
    table = json.loads(TABLE.search(page(client, "/product/sandal-kulit")).group(1))
    assert table["parameters"] == {str(product.options[0].id): "ukuran"}
    rows = {row["label"]: row for row in table["variants"]}
    assert set(rows) == {"40", "41"}
    assert rows["41"]["units"] == 2 and rows["40"]["units"] == 0
    assert rows["41"]["values"] == [value_id(product, "41")]
    assert "Rp150.000" in table["snippets"][rows["41"]["price"]]
    assert "Sisa 2" in table["snippets"][rows["41"]["stock"]]
    assert "Habis" in table["snippets"][rows["40"]["stock"]]


@pytest.mark.parametrize(
    "query",
    ["ukuran=999999", "ukuran=abc", "variant=999999", "variant=x", "ukuran=OTHER"],
)
def test_unknown_or_foreign_choices_render_the_page_with_a_notice(client, footwear, query):
    product = sandal(footwear)
    other = sandal_of_another(footwear)
    query = query.replace("OTHER", str(value_id(other, "40")))
    receive(product, 1, variant=variant(product, "40"))
    html = page(client, f"/product/sandal-kulit?{query}")
    assert 'class="flash flash-error variant-notice"' in html
    assert 'name="variant_id" value=""' in cart_form(html).group(1)


def sandal_of_another(category):
    product = ProductFactory(name="Sandal Lain", slug="sandal-lain", category=category)
    variants.set_options(product, [OptionSpec.parse("Ukuran", "40")])
    db.session.commit()
    return product


def test_pending_and_retired_variants_are_not_offered(client, footwear):
    product = sandal(footwear)
    pending, retired = variant(product, "40"), variant(product, "41")
    receive(product, 3, variant=pending)
    pending.review = VariantReview.PENDING.value
    retired.active = False
    db.session.commit()
    html = page(client, "/product/sandal-kulit")
    table = json.loads(TABLE.search(html).group(1))
    assert {row["label"] for row in table["variants"]} == {"38", "39"}
    # Size 40 has stock but waits for review, 41 is switched off: neither is offered, nor
    # called sold out (it may never be sold).
    for label in ("40", "41"):
        assert f'value="{value_id(product, label)}"' not in html
        assert f"Ukuran {label} habis" not in html
    assert "disabled" in radio(html, value_id(product, "38"))  # no stock: sold out
    chosen = page(client, f"/product/sandal-kulit?variant={pending.id}")
    assert 'class="flash flash-error variant-notice"' in chosen
    # Nothing of the product can be bought: no cart form at all.
    assert cart_form(html) is None


def test_json_ld_is_a_product_group_with_its_variants(client, footwear):
    product = sandal(footwear, sizes="40, 41", colours="Coklat")
    receive(product, 7, variant=variant(product, "40 / Coklat"))
    html = page(client, "/product/sandal-kulit")
    data = json.loads(JSON_LD.findall(html)[-1])
    assert data["@type"] == "ProductGroup"
    assert data["productGroupID"] == product.code
    assert data["variesBy"] == ["https://schema.org/size", "https://schema.org/color"]
    items = {item["sku"]: item for item in data["hasVariant"]}
    forty = items[variant(product, "40 / Coklat").code]
    assert forty["@type"] == "Product" and forty["size"] == "40" and forty["color"] == "Coklat"
    assert forty["offers"]["price"] == "150000" and forty["offers"]["priceCurrency"] == "IDR"
    assert forty["offers"]["availability"] == "https://schema.org/InStock"
    assert items[variant(product, "41 / Coklat").code]["offers"]["availability"].endswith(
        "OutOfStock"
    )


def test_a_product_without_options_keeps_its_plain_page(client, footwear):
    product = ProductFactory(name="Kopi", slug="kopi", category=footwear, price=45000)
    receive(product, 5)
    html = page(client, "/product/kopi")
    assert "variant-picker" not in html and "variant_id" not in html
    assert json.loads(JSON_LD.findall(html)[-1])["@type"] == "Product"


def test_size_guide_shows_as_a_table_or_as_text(client, footwear):
    sandal(footwear, size_guide="Ukuran | Panjang (cm)\n40 | 25,5\n41 | 26")
    html = page(client, "/product/sandal-kulit")
    guide = re.search(r'<details class="size-guide">(.*?)</details>', html, re.S).group(1)
    assert '<th scope="col">Panjang (cm)</th>' in guide
    assert "<td>25,5</td>" in guide
    assert size_guide("Pilih satu ukuran lebih besar.").rows is None
    assert size_guide("  ") is None
    assert size_guide("a | b\nc").rows == [["a", "b"], ["c", ""]]


def test_cards_show_from_the_lowest_price_when_sizes_differ(client, footwear):
    product = sandal(footwear, sizes="40, 41, 42")
    big = variant(product, "42")
    big.price_delta = 20000
    small = variant(product, "40")
    small.price_delta = -5000
    db.session.commit()
    receive(product, 1, variant=big)
    html = page(client, "/category/alas-kaki")
    card = re.search(r'data-testid="card-from-price">(.*?)</span>', html).group(1)
    assert "Rp145.000" in card
    same = sandal_of_another(footwear)
    receive(same, 1, variant=same.active_variants[0])
    assert html.count("card-from-price") == 1


def test_sold_out_product_with_sizes_shows_sold_out_on_its_card(client, footwear):
    sandal(footwear)
    html = page(client, "/category/alas-kaki")
    assert "stock-out" in html


def test_size_filter_lists_sizes_in_stock_and_keeps_the_products_that_have_it(client, footwear):
    first = sandal(footwear)
    second = sandal_of_another(footwear)
    receive(first, 2, variant=variant(first, "39"))
    receive(second, 1, variant=variant(second, "40"))
    receive(first, 1, variant=variant(first, "41"))
    variant(first, "41").review = VariantReview.PENDING.value
    db.session.commit()

    html = page(client, "/category/alas-kaki")
    sizes = re.findall(
        r'<option value="([^"]*)"[^>]*>',
        re.search(r'<select id="filter-size".*?</select>', html, re.S).group(0),
    )
    # 38 has no stock and 41 waits for review: neither is offered.
    assert sizes == ["", "39", "40"]
    only_40 = page(client, "/category/alas-kaki?size=40")
    assert "Sandal Lain" in only_40 and "Sandal Kulit" not in only_40
    assert "Sandal Kulit" in page(client, "/search?q=sandal&size=39")
    none = page(client, "/category/alas-kaki?size=41")
    assert "Sandal Kulit" not in none and "Sandal Lain" not in none


def test_listing_without_sizes_has_no_size_filter(client, footwear):
    product = ProductFactory(name="Kopi", slug="kopi", category=footwear)
    receive(product, 5)
    assert 'id="filter-size"' not in page(client, "/category/alas-kaki")


class TestPageCache:
    @pytest.fixture
    def app_config(self):
        return {"CATALOG_CACHE_SECONDS": 60, "CATALOG_LIST_CACHE_SECONDS": 60}

    def test_each_size_is_its_own_page_and_a_price_change_purges_it(self, client, footwear):
        product = sandal(footwear, sizes="40, 41")
        forty, forty_one = variant(product, "40"), variant(product, "41")
        receive(product, 2, variant=forty)
        receive(product, 2, variant=forty_one)
        url_40 = f"/product/sandal-kulit?ukuran={value_id(product, '40')}"
        url_41 = f"/product/sandal-kulit?ukuran={value_id(product, '41')}"
        assert f'value="{forty.id}" data-variant-id' in page(client, url_40)
        assert client.get(url_40).headers.get(HIT_HEADER) == "hit"
        size_41 = client.get(url_41)
        assert HIT_HEADER not in size_41.headers
        assert f'value="{forty_one.id}" data-variant-id' in size_41.get_data(as_text=True)

        forty.price_delta = 5000
        db.session.commit()
        fresh = client.get(url_40)
        assert HIT_HEADER not in fresh.headers
        assert "Rp155.000" in fresh.get_data(as_text=True)

    def test_a_sold_out_size_coming_back_purges_the_page(self, client, footwear):
        product = sandal(footwear, sizes="40, 41")
        receive(product, 2, variant=variant(product, "40"))
        assert "disabled" in radio(page(client, "/product/sandal-kulit"), value_id(product, "41"))
        assert client.get("/product/sandal-kulit").headers.get(HIT_HEADER) == "hit"
        receive(product, 3, variant=variant(product, "41"))
        fresh = client.get("/product/sandal-kulit")
        assert HIT_HEADER not in fresh.headers
        assert "disabled" not in radio(fresh.get_data(as_text=True), value_id(product, "41"))
