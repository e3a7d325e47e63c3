"""Search as Indonesians type (issue 14): spelling variants on both sides of the index, typos
matched to the nearest indexed words (FTS5 vocabulary + edit distance on SQLite, pg_trgm on
PostgreSQL), and nothing found for words that are nothing like the shop's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.catalog.search import has_trigrams, max_typos, product_matches, suggest
from storefront.catalog.search_index import rebuild_search_index
from storefront.extensions import db
from tests.factories import CategoryFactory, ProductFactory, VendorFactory


@pytest.fixture
def shop(ctx):
    snacks = CategoryFactory(name="Makanan Ringan", name_en="Snacks")
    drinks = CategoryFactory(name="Minuman", name_en="Drinks")
    shoes = CategoryFactory(name="Alas Kaki", name_en="Footwear")
    batik = CategoryFactory(name="Busana & Batik", name_en="Clothing & Batik")
    nyai = VendorFactory(name="Dapur Nyai Cikupa")
    rini = VendorFactory(name="Dapur Bu Rini")
    products = [
        ProductFactory(name="Keripik Singkong Balado", vendor=nyai, category=snacks),
        ProductFactory(name="Kripik Pisang Manis", vendor=nyai, category=snacks),
        ProductFactory(name="Sambel Bawang Pedas", vendor=rini, category=snacks),
        ProductFactory(name="Sambal Cumi Asin", vendor=rini, category=snacks),
        ProductFactory(name="Kopi Robusta Bubuk", category=drinks),
        ProductFactory(name="Coklat Panas Sachet", category=drinks),
        ProductFactory(name="Kain Batik Tulis Cisadane", category=batik),
        ProductFactory(name="Sendal Kulit Pria", category=shoes),
    ]
    return {p.name: p for p in products}


def found(query: str) -> set[str]:
    matches = product_matches(query)
    if matches is None:
        return set()
    ranked = matches.subquery()
    return set(
        db.session.scalars(select(Product.name).join(ranked, ranked.c.product_id == Product.id))
    )


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("kripik", {"Keripik Singkong Balado", "Kripik Pisang Manis"}),
        ("keripik", {"Keripik Singkong Balado", "Kripik Pisang Manis"}),
        ("kripik pisang", {"Kripik Pisang Manis"}),
        ("sambel", {"Sambel Bawang Pedas", "Sambal Cumi Asin"}),
        ("sambal", {"Sambel Bawang Pedas", "Sambal Cumi Asin"}),
        ("kofi", {"Kopi Robusta Bubuk"}),
        ("coffee", {"Kopi Robusta Bubuk"}),
        ("cokelat", {"Coklat Panas Sachet"}),
        ("batek", {"Kain Batik Tulis Cisadane"}),
        ("sandal", {"Sendal Kulit Pria"}),
        ("pedes", {"Sambel Bawang Pedas"}),
    ],
)
def test_spelling_variants_find_each_other(shop, query, names):
    assert found(query) == names


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("kerpik", {"Keripik Singkong Balado", "Kripik Pisang Manis"}),  # one letter dropped
        ("sambal bawng", {"Sambel Bawang Pedas"}),
        ("robsuta", {"Kopi Robusta Bubuk"}),  # two letters swapped
        ("singkog balado", {"Keripik Singkong Balado"}),
    ],
)
def test_typos_find_the_nearest_words(shop, query, names):
    assert found(query) == names


@pytest.mark.parametrize("query", ["kursi", "sepeda motor", "xyzzy", "sambal durian"])
def test_words_unlike_anything_in_the_shop_find_nothing(shop, query):
    assert found(query) == set()


def test_prefixes_still_work_while_typing(shop):
    assert found("krip") == {"Kripik Pisang Manis"}  # the start of the word as written
    assert found("kerip") == {"Keripik Singkong Balado", "Kripik Pisang Manis"}
    assert "Sambel Bawang Pedas" in suggest("sambel")
    assert set(suggest("kripik")) == {"Keripik Singkong Balado", "Kripik Pisang Manis"}


def test_rebuilding_the_index_keeps_the_variants(shop):
    rebuild_search_index()
    db.session.commit()
    assert found("kripik") == {"Keripik Singkong Balado", "Kripik Pisang Manis"}


def test_short_words_are_never_guessed(shop):
    # "tas" or "teh" have too many neighbours one letter away to guess from.
    assert max_typos("teh") == 0 and max_typos("kopi") == 0
    assert max_typos("kerpik") == 1 and max_typos("sambalbawang") == 2
    assert found("kopu") == set()


def test_postgresql_uses_trigrams_where_available(shop):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    assert has_trigrams()
    assert found("bawng") == {"Sambel Bawang Pedas"}
