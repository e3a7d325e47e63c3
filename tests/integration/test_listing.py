"""Shoppers browse, filter and sort the catalogue; the home page shows the shop window.

Listing pages: /search (all products and search results) and /category/<slug>.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import case, event, literal, select

from storefront.catalog.models import Product, ProductPermit, ProductPhoto, ProductStatus
from storefront.extensions import db
from storefront.i18n import LANG_COOKIE
from storefront.shop import browse as listing
from storefront.shop.browse import spotlight_vendors
from storefront.vendors.models import VendorStatus
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from tests.stock_helpers import receive

HALAL = "ID36110000123450925"
CARD_NAME = re.compile(r'class="product-link">.*?<h3>(.*?)</h3>', re.DOTALL)
MIN_OVER_MAX = "The lowest price is higher than the highest price"


@pytest.fixture
def english(client):
    """For messages new in this change: read in English, the source language."""
    client.set_cookie(LANG_COOKIE, "en")
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return CARD_NAME.findall(response.get_data(as_text=True))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def halal(product) -> None:
    db.session.add(ProductPermit(product_id=product.id, kind="halal", number=HALAL))
    db.session.commit()


def photo(product) -> None:
    db.session.add(
        ProductPhoto(
            product_id=product.id,
            image_key=f"products/{product.id}/photo",
            widths="320,640",
            width=640,
            height=640,
        )
    )
    db.session.commit()


@pytest.fixture
def shelf(ctx):
    """A small shop: two categories, two makers, prices from Rp10.000 to Rp60.000."""
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman")
    crafts = CategoryFactory(slug="kerajinan", name="Kerajinan")
    nyai = VendorFactory(slug="dapur-nyai", name="Dapur Nyai")
    anyaman = VendorFactory(slug="anyaman-cikupa", name="Anyaman Cikupa")
    items = {
        "kopi": ProductFactory(name="Kopi Robusta Bubuk", price=45000, category=food, vendor=nyai),
        "sambal": ProductFactory(name="Sambal Roa", price=30000, category=food, vendor=nyai),
        "keripik": ProductFactory(
            name="Keripik Singkong Pedas", price=10000, category=food, vendor=nyai
        ),
        "tas": ProductFactory(
            name="Tas Anyaman Pandan", price=60000, category=crafts, vendor=anyaman
        ),
    }
    halal(items["kopi"])
    halal(items["keripik"])
    receive(items["kopi"], 10)
    receive(items["tas"], 2)
    return items


# --- filters -------------------------------------------------------------------------------


def test_all_products_are_listed_newest_first_with_stock_and_halal_badges(client, shelf):
    html = page(client, "/search")
    assert CARD_NAME.findall(html) == [
        "Tas Anyaman Pandan",
        "Keripik Singkong Pedas",
        "Sambal Roa",
        "Kopi Robusta Bubuk",
    ]
    assert "4 produk" in html
    assert html.count("badge-halal") == 2
    assert "Sisa 2" in html and "Habis" in html and "Tersedia" in html


def test_category_page_and_category_filter_show_the_same_products(client, shelf):
    expected = ["Keripik Singkong Pedas", "Sambal Roa", "Kopi Robusta Bubuk"]
    assert names(client.get("/category/makanan-minuman")) == expected
    assert names(client.get("/search?category=makanan-minuman")) == expected
    html = page(client, "/category/kerajinan")
    assert "<h1>Kerajinan</h1>" in html
    assert CARD_NAME.findall(html) == ["Tas Anyaman Pandan"]


@pytest.mark.parametrize(
    "url", ["/category/tidak-ada", "/search?category=tidak-ada", "/search?vendor=tidak-ada"]
)
def test_unknown_category_or_vendor_slug_is_not_found(client, shelf, url):
    assert client.get(url).status_code == 404


def test_a_suspended_vendor_cannot_be_filtered_by(client, shelf):
    VendorFactory(slug="ditangguhkan", status=VendorStatus.SUSPENDED.value)
    assert client.get("/search?vendor=ditangguhkan").status_code == 404


def test_vendor_filter(client, shelf):
    assert names(client.get("/search?vendor=anyaman-cikupa")) == ["Tas Anyaman Pandan"]
    assert len(names(client.get("/search?vendor=dapur-nyai"))) == 3


def test_halal_filter_lists_only_products_with_a_halal_certificate(client, shelf):
    assert names(client.get("/search?halal=1")) == ["Keripik Singkong Pedas", "Kopi Robusta Bubuk"]


def test_price_range_filter_in_whole_rupiah(client, shelf):
    assert names(client.get("/search?min=30000&max=45000")) == ["Sambal Roa", "Kopi Robusta Bubuk"]
    assert names(client.get("/search?min=45000")) == ["Tas Anyaman Pandan", "Kopi Robusta Bubuk"]
    # Typed the Indonesian way, with thousands dots.
    assert names(client.get("/search?max=30.000")) == ["Keripik Singkong Pedas", "Sambal Roa"]


def test_min_above_max_is_explained_and_the_price_filter_ignored(english, client, shelf):
    response = client.get("/search?min=50000&max=20000")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert MIN_OVER_MAX in html
    assert len(CARD_NAME.findall(html)) == 4
    # What the shopper typed stays in the form, to correct.
    assert 'value="50000"' in html and 'value="20000"' in html


def test_a_price_that_is_not_a_number_is_explained_and_ignored(english, client, shelf):
    html = page(client, "/search?min=murah")
    assert "Enter prices as whole rupiah" in html
    assert len(CARD_NAME.findall(html)) == 4


def test_in_stock_only_uses_the_ledger(client, shelf):
    expired = shelf["sambal"]
    receive(expired, 5, expires_on=date.today() - timedelta(days=1))  # noqa: DTZ011
    assert names(client.get("/search?in_stock=1")) == ["Tas Anyaman Pandan", "Kopi Robusta Bubuk"]


def test_filters_combine(client, shelf):
    assert names(client.get("/search?category=makanan-minuman&halal=1&in_stock=1")) == [
        "Kopi Robusta Bubuk"
    ]
    assert names(client.get("/category/makanan-minuman?halal=1&max=20000")) == [
        "Keripik Singkong Pedas"
    ]
    assert names(client.get("/search?q=kopi&vendor=anyaman-cikupa")) == []


# --- sorting -------------------------------------------------------------------------------


def test_sort_by_price_both_ways(client, shelf):
    assert names(client.get("/search?sort=price_asc")) == [
        "Keripik Singkong Pedas",
        "Sambal Roa",
        "Kopi Robusta Bubuk",
        "Tas Anyaman Pandan",
    ]
    assert names(client.get("/search?sort=price_desc")) == [
        "Tas Anyaman Pandan",
        "Kopi Robusta Bubuk",
        "Sambal Roa",
        "Keripik Singkong Pedas",
    ]


def test_sort_newest(client, shelf):
    assert names(client.get("/search?sort=newest"))[0] == "Tas Anyaman Pandan"


def test_unknown_sort_or_relevance_without_a_query_falls_back_to_newest(client, shelf):
    newest = names(client.get("/search?sort=newest"))
    assert names(client.get("/search?sort=popular")) == newest
    assert names(client.get("/search?sort=relevance")) == newest


def test_relevance_orders_by_the_search_services_score(client, shelf, monkeypatch):
    scores = {shelf["sambal"].id: 3.0, shelf["kopi"].id: 2.0, shelf["keripik"].id: 1.0}

    def scored_matches(query):
        return select(
            Product.id.label("product_id"),
            case(scores, value=Product.id, else_=literal(0.0)).label("score"),
        ).where(Product.id.in_(scores))

    monkeypatch.setattr(listing, "product_matches", scored_matches)
    assert names(client.get("/search?q=apa+saja")) == [
        "Sambal Roa",
        "Kopi Robusta Bubuk",
        "Keripik Singkong Pedas",
    ]
    # The same matches in another order when the shopper asks for it.
    assert names(client.get("/search?q=apa+saja&sort=price_asc")) == [
        "Keripik Singkong Pedas",
        "Sambal Roa",
        "Kopi Robusta Bubuk",
    ]


def test_relevance_reads_the_best_matches_first_and_every_match_when_too_few_are_on_sale(
    app, ctx, monkeypatch
):
    """At 100,000 products only the best matches are ranked (`RANK_WINDOW`); the page is the
    one ranking every match would give, also when the best ones are not on sale."""
    maker = VendorFactory()
    products = [ProductFactory(vendor=maker, name=f"Keripik {n}") for n in range(14)]
    db.session.commit()
    # Scores 14 down to 1; ties broken by the product added last.
    scores = {p.id: float(14 - n) for n, p in enumerate(products)}
    scores[products[5].id] = scores[products[4].id]

    def scored_matches(query):
        return select(
            Product.id.label("product_id"),
            case(scores, value=Product.id, else_=literal(0.0)).label("score"),
        ).where(Product.id.in_(scores))

    monkeypatch.setattr(listing, "product_matches", scored_matches)
    monkeypatch.setattr(listing, "RANK_WINDOW", 1)
    filters = listing.with_rows(listing.parse_listing_args({"q": "keripik"}), None, None)

    def ranked(per_page, page=1):
        with app.test_request_context("/search"):
            found = listing.product_listing(filters, page=page, per_page=per_page)
            return [p.name for p in found.items], found.total

    # The window (4 x 3 = 12 best) holds the page: the same order as ranking everything.
    assert ranked(2) == (["Keripik 0", "Keripik 1"], 14)
    assert ranked(2, page=3) == (["Keripik 5", "Keripik 4"], 14)
    # The best eleven are taken off sale: the window of the best 12 holds one, too few for a
    # page, which is read again from every match.
    for product in products[:11]:
        product.hidden = True
    db.session.commit()
    assert ranked(2) == (["Keripik 11", "Keripik 12"], 3)
    assert ranked(2, page=2) == (["Keripik 13"], 3)


def test_search_finds_by_name_and_offers_best_match_first(client, shelf):
    html = page(client, "/search?q=kopi")
    assert CARD_NAME.findall(html) == ["Kopi Robusta Bubuk"]
    assert '<option value="relevance" selected>' in html


@pytest.mark.parametrize(
    "query",
    ['"kopi', "kop*", "kopi:robusta", "kopi' OR 1=1 --", "NEAR(kopi sambal)", "a" * 500, "*:\"'"],
)
def test_queries_with_search_syntax_or_500_characters_are_harmless(client, shelf, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


# --- pages and links -----------------------------------------------------------------------


@pytest.fixture
def many(ctx):
    category = CategoryFactory(slug="camilan", name="Camilan")
    return [ProductFactory(name=f"Camilan {n:02d}", category=category) for n in range(30)]


def test_24_per_page_and_every_product_exactly_once(client, many):
    first = names(client.get("/search?sort=price_asc"))
    second = names(client.get("/search?sort=price_asc&page=2"))
    assert len(first) == 24 and len(second) == 6
    assert sorted(first + second) == sorted(p.name for p in many)


def test_page_links_keep_the_filters_and_only_non_default_values(client, many):
    html = page(client, "/category/camilan?sort=price_desc&halal=&in_stock=")
    assert 'href="/category/camilan?sort=price_desc&amp;page=2"' in html
    html = page(client, "/category/camilan?page=2&sort=price_desc")
    # Back to page 1 without page=1: one URL per page.
    assert 'href="/category/camilan?sort=price_desc" rel="prev"' in html


def test_a_long_listing_says_how_many_up_to_the_cap_and_still_pages_on(
    english, client, many, monkeypatch
):
    # Counting stops at COUNT_CAP (1,000 in the shop): past it the shopper reads "1.000+".
    monkeypatch.setattr(listing, "COUNT_CAP", 25)
    html = page(client, "/category/camilan?sort=price_asc")
    assert "25+ products" in html
    assert "Page 1 of" not in html
    assert 'href="/category/camilan?sort=price_asc&amp;page=2" rel="next"' in html
    second = page(client, "/category/camilan?sort=price_asc&page=2")
    assert "Page 2" in second and 'rel="next"' not in second
    assert len(CARD_NAME.findall(second)) == 6


def test_the_maker_filter_offers_the_makers_with_most_products_and_the_chosen_one(
    client, shelf, monkeypatch
):
    monkeypatch.setattr(listing, "VENDOR_OPTIONS", 1)
    html = page(client, "/search")
    assert 'value="dapur-nyai"' in html  # three products
    assert 'value="anyaman-cikupa"' not in html  # one
    chosen = page(client, "/search?vendor=anyaman-cikupa")
    assert 'value="anyaman-cikupa" selected' in chosen


def test_category_chips_keep_the_other_filters(client, shelf):
    html = page(client, "/search?halal=1&sort=price_asc")
    assert 'href="/category/kerajinan?halal=1&amp;sort=price_asc"' in html


@pytest.mark.parametrize("value", ["abc", "-1", "0", "2.5", "99999999999"])
def test_a_page_number_that_is_not_a_number_shows_page_1(client, many, value):
    assert len(names(client.get(f"/search?page={value}"))) == 24


def test_a_page_past_the_end_says_so_and_links_back(english, client, many):
    response = client.get("/category/camilan?page=9&sort=price_asc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert CARD_NAME.findall(html) == []
    assert "past the end of the results" in html
    assert 'href="/category/camilan?sort=price_asc"' in html
    assert 'href="/category/camilan?sort=price_asc&amp;page=2"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_no_results_has_a_clear_empty_state_with_ways_out(english, client, shelf):
    html = page(client, "/search?q=durian&halal=1")
    assert "No products match “durian”." in html
    assert 'href="/search?q=durian"' in html  # remove the filters, keep the words
    assert 'href="/search"' in html
    assert "wa.me" in html


def test_filters_work_without_javascript(client, shelf):
    html = page(client, "/category/makanan-minuman")
    assert '<form method="get" action="/category/makanan-minuman" id="listing-filters"' in html
    assert (
        '<details class="listing-filters"' in html
        and '<details class="listing-filters" open' not in html
    )
    assert 'name="halal"' in html and 'name="in_stock"' in html
    assert 'name="min"' in html and 'name="max"' in html and 'name="vendor"' in html
    assert "<script>" not in html and 'style="' not in html


# --- only permitted goods ------------------------------------------------------------------


def test_hidden_unapproved_and_unpermitted_products_are_never_listed(client, ctx):
    category = CategoryFactory(slug="camilan", name="Camilan")
    shown = ProductFactory(name="Boleh Tampil", category=category)
    hidden_ones = [
        ProductFactory(name="Disembunyikan", category=category, hidden=True),
        ProductFactory(name="Draf", category=category, status=ProductStatus.DRAFT.value),
        ProductFactory(name="Diajukan", category=category, status=ProductStatus.SUBMITTED.value),
        ProductFactory(name="Ditolak", category=category, status=ProductStatus.REJECTED.value),
        ProductFactory(
            name="Mitra Ditangguhkan",
            category=category,
            vendor=VendorFactory(status=VendorStatus.SUSPENDED.value),
        ),
        ProductFactory(name="Izin Kurang", category=category, permits_complete=False),
        ProductFactory(
            name="Izin Kedaluwarsa",
            category=category,
            permits_valid_until=date.today() - timedelta(days=1),  # noqa: DTZ011
        ),
    ]
    for product in [shown, *hidden_ones]:
        halal(product)
        photo(product)
        receive(product, 5)
    for url in [
        "/search",
        "/search?q=camilan",
        "/category/camilan?halal=1&in_stock=1&sort=price_desc",
        "/",
    ]:
        html = page(client, url)
        assert "Boleh Tampil" in html, url
        for product in hidden_ones:
            assert product.name not in html, (url, product.name)


# --- the home page -------------------------------------------------------------------------


def test_home_shows_featured_new_categories_makers_and_the_outlet(client, ctx):
    category = CategoryFactory(slug="kopi", name="Kopi")
    maker = VendorFactory(name="Kopi Jaya", story="Tiga generasi menyangrai kopi di Cikupa.")
    VendorFactory(name="Tanpa Cerita", story="")
    pictured = ProductFactory(name="Kopi Bergambar", category=category, vendor=maker)
    photo(pictured)
    receive(pictured, 8)
    no_stock = ProductFactory(name="Kopi Tanpa Stok", category=category, vendor=maker)
    photo(no_stock)
    ProductFactory(name="Kopi Tanpa Foto", category=category, vendor=maker)

    html = page(client, "/")
    featured = html.split('id="featured-title"')[1].split("</section>")[0]
    assert CARD_NAME.findall(featured) == ["Kopi Bergambar"]
    new = html.split('id="new-title"')[1].split("</section>")[0]
    # Not twice on one page: the featured product is left out of the new arrivals.
    assert CARD_NAME.findall(new) == ["Kopi Tanpa Foto", "Kopi Tanpa Stok"]
    assert 'href="/category/kopi"' in html
    makers = html.split('id="makers-title"')[1].split("</section>")[0]
    assert "Kopi Jaya" in makers and "Tiga generasi" in makers
    assert f'href="/vendors/{maker.slug}"' in makers
    assert "Tanpa Cerita" not in makers
    assert "Jl. Raya Serang" in html and "09.00" in html


def test_spotlight_makers_change_by_the_day_and_stay_the_same_all_day(ctx):
    makers = [VendorFactory(story=f"Cerita {n}") for n in range(6)]
    for maker in makers:
        ProductFactory(vendor=maker)
    VendorFactory(story="Belum punya produk")  # nothing to buy: not in the spotlight
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    first = spotlight_vendors(monday)
    assert [v.id for v in first] == [v.id for v in spotlight_vendors(monday)]
    assert 2 <= len(first) <= 4
    assert {v.id for v in first} != {v.id for v in spotlight_vendors(tuesday)}
    seen = {v.id for day in range(6) for v in spotlight_vendors(monday + timedelta(days=day))}
    assert seen == {m.id for m in makers}


# --- no N+1 --------------------------------------------------------------------------------


@contextmanager
def counting_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def stocked_products(count: int, category, vendors) -> None:
    for n in range(count):
        product = ProductFactory(
            name=f"Produk {n}", category=category, vendor=vendors[n % len(vendors)]
        )
        halal(product)
        photo(product)
        receive(product, 3)


def statements_for(client, url: str) -> int:
    client.get(url)  # warm up: anything cached per process is not a per-item cost
    with counting_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "url",
    [
        "/search",
        "/search?q=produk&sort=relevance",
        "/category/camilan?halal=1&in_stock=1&sort=price_asc",
        "/",
    ],
)
def test_statements_per_page_do_not_grow_with_the_products_shown(client, ctx, url):
    category = CategoryFactory(slug="camilan", name="Camilan")
    vendors = [VendorFactory(story=f"Cerita {n}") for n in range(4)]
    stocked_products(5, category, vendors)
    with_five = statements_for(client, url)
    stocked_products(19, category, vendors)
    with_24 = statements_for(client, url)
    assert with_24 == with_five
    # 12 queries, the unit of work's BEGIN, the cards' variants ("from Rp…") and, on the
    # listings, the sizes in stock for the "Ukuran" filter.
    assert with_five <= 15
