"""Shoppers find products by any word of their name, vendor, category or description, typed in
any order, in any case, or only the start of it; whatever they type is harmless; the index
follows every change without being told."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, select, text

from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.search import product_matches, suggest, words
from storefront.catalog.search_index import (
    TABLE,
    alembic_include_name,
    rebuild_search_index,
)
from storefront.extensions import db
from tests.conftest import make_app
from tests.factories import CategoryFactory, ProductFactory, VendorFactory


@pytest.fixture
def shelf(ctx):
    snacks = CategoryFactory(name="Makanan Ringan", name_en="Snacks")
    drinks = CategoryFactory(name="Minuman", name_en="Drinks")
    crafts = CategoryFactory(name="Kerajinan", name_en="Crafts")
    dapur = VendorFactory(name="Dapur Bu Sri")
    return {
        "keripik": ProductFactory(
            name="Keripik Singkong Pedas Level 5",
            description="Singkong renyah dari Cikupa, digoreng dengan cabai asli.",
            vendor=dapur,
            category=snacks,
        ),
        "sambal": ProductFactory(
            name="Sambal Roa",
            description="Sambal ikan roa yang pedas dan gurih.",
            vendor=dapur,
            category=snacks,
        ),
        "kopi": ProductFactory(
            name="Kopi Robusta Bubuk",
            description="Biji robusta sangrai medium, digiling halus.",
            vendor=VendorFactory(name="Kebun Gunung Karang"),
            category=drinks,
        ),
        "tas": ProductFactory(
            name="Tas Anyaman Pandan",
            description="Dianyam tangan oleh ibu-ibu Desa Talaga.",
            vendor=VendorFactory(name="Sanggar Anyam Talaga"),
            category=crafts,
        ),
        "kafe": ProductFactory(
            name="Kafé Susu Jahe",
            description="Minuman jahe instan.",
            vendor=VendorFactory(name="Wedang Nusantara"),
            category=drinks,
        ),
        "dapur": dapur,
        "snacks": snacks,
    }


def found(query: str) -> list[str]:
    """Names of the matching products, best first."""
    matches = product_matches(query)
    if matches is None:
        return []
    ranked = matches.subquery()
    statement = (
        select(Product.name)
        .join(ranked, ranked.c.product_id == Product.id)
        .order_by(ranked.c.score.desc(), Product.id)
    )
    return list(db.session.scalars(statement))


@pytest.mark.parametrize(
    "query",
    ["keripik pedas", "pedas keripik", "kerip", "KERIPIK PeDaS", "singk lev", "level 5 keripik"],
)
def test_words_in_any_order_in_any_case_and_word_starts_find_the_product(shelf, query):
    assert found(query) == ["Keripik Singkong Pedas Level 5"]


def test_every_word_must_match_somewhere(shelf):
    assert found("keripik kopi") == []


def test_accents_do_not_matter(shelf):
    assert found("kafe") == ["Kafé Susu Jahe"]
    assert found("KAFÉ jahe") == ["Kafé Susu Jahe"]


def test_vendor_name_finds_its_products(shelf):
    assert sorted(found("dapur sri")) == ["Keripik Singkong Pedas Level 5", "Sambal Roa"]


@pytest.mark.parametrize("query", ["minuman", "drinks", "DRINK"])
def test_category_in_indonesian_or_english_finds_its_products(shelf, query):
    assert sorted(found(query)) == ["Kafé Susu Jahe", "Kopi Robusta Bubuk"]


def test_words_may_come_from_different_fields(shelf):
    assert found("kopi drinks") == ["Kopi Robusta Bubuk"]
    assert found("robusta halus") == ["Kopi Robusta Bubuk"]


def test_no_hits_is_an_empty_result_and_no_words_is_no_search(shelf):
    assert found("rendang") == []
    assert product_matches("") is None
    assert product_matches("  !!! ... ") is None


def test_a_name_match_ranks_above_a_description_only_match(shelf):
    # "pedas" is in the keripik's name and only in the sambal's description.
    assert found("pedas") == ["Keripik Singkong Pedas Level 5", "Sambal Roa"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        ":",
        "'",
        '"kopi',
        "kopi*",
        "name:kopi",
        "kopi' OR 1=1 --",
        '"kopi" OR "*"',
        "NEAR(kopi robusta)",
        "kopi AND NOT robusta",
        "-kopi ^robusta (",
        "kopi & ! | robusta",
        "%_%",
    ],
)
def test_search_syntax_characters_are_plain_separators(shelf, query):
    result = found(query)
    assert set(result) <= {"Kopi Robusta Bubuk"}
    assert words(query) == [w for w in words(query) if w.isalnum()]


def test_a_500_character_query_is_harmless(shelf):
    assert found("kopi " * 100) == ["Kopi Robusta Bubuk"]
    assert found("a" * 500) == []
    assert len(words("x " * 250)) <= 8


def test_a_renamed_product_is_found_under_its_new_name_only(shelf):
    shelf["keripik"].name = "Emping Melinjo Balado"
    db.session.commit()
    assert found("emping") == ["Emping Melinjo Balado"]
    assert found("singkong level") == []


def test_a_renamed_vendor_or_category_is_found_under_its_new_name(shelf):
    shelf["dapur"].name = "Dapur Mak Ijah"
    shelf["snacks"].name_en = "Chips"
    db.session.commit()
    assert sorted(found("ijah")) == ["Keripik Singkong Pedas Level 5", "Sambal Roa"]
    assert found("sri") == []
    assert sorted(found("chips")) == ["Keripik Singkong Pedas Level 5", "Sambal Roa"]


def test_moving_a_product_to_another_vendor_reindexes_it(shelf):
    shelf["tas"].vendor = shelf["dapur"]
    db.session.commit()
    assert "Tas Anyaman Pandan" in found("dapur")
    assert found("sanggar") == []


def test_a_deleted_product_disappears(shelf):
    db.session.delete(shelf["tas"])
    db.session.commit()
    assert found("anyaman") == []


def test_a_product_deleted_without_the_orm_leaves_no_index_row(shelf):
    kopi_id = shelf["kopi"].id
    db.session.execute(delete(Product).where(Product.id == kopi_id))
    db.session.commit()
    assert found("kopi") == []
    assert index_rows(kopi_id) == 0


def test_a_rolled_back_change_leaves_the_index_as_it_was(shelf):
    shelf["kopi"].name = "Teh Melati"
    db.session.flush()
    assert found("melati") == ["Teh Melati"]
    db.session.rollback()
    assert found("melati") == []
    assert found("kopi") == ["Kopi Robusta Bubuk"]


def test_rebuild_restores_a_lost_index(app, shelf):
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TABLE product_search"))
    else:
        db.session.execute(text("DELETE FROM product_search"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reindex-search"])
    assert result.exit_code == 0, result.output
    assert "5 products" in result.output
    assert found("kopi") == ["Kopi Robusta Bubuk"]
    assert rebuild_search_index() == 5


def index_rows(product_id: int) -> int:
    if db.engine.dialect.name == "sqlite":
        statement = "SELECT count(*) FROM product_search WHERE rowid = :id"
    else:
        statement = "SELECT count(*) FROM product_search WHERE product_id = :id"
    return db.session.scalar(text(statement), {"id": product_id})


def test_postgresql_finds_words_inside_words_when_no_word_starts_match(shelf):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the substring fallback is PostgreSQL's")
    assert found("ingkong") == ["Keripik Singkong Pedas Level 5"]
    # A word-start match exists: the fallback stays out of it.
    assert found("robusta") == ["Kopi Robusta Bubuk"]


# --- suggestions -----------------------------------------------------------------------------


def test_suggest_offers_visible_product_names_by_prefix(shelf):
    ProductFactory(name="Kopi Luwak Liar", status=ProductStatus.SUBMITTED.value)
    assert suggest("kop") == ["Kopi Robusta Bubuk"]
    assert suggest("Kopi Rob") == ["Kopi Robusta Bubuk"]
    # Vendor and description words are for search, not for completing a name.
    assert suggest("dapur") == []
    assert suggest("k") == []
    assert suggest('"*:') == []


def test_suggest_names_each_name_once_and_keeps_to_the_limit(ctx):
    for _ in range(5):
        ProductFactory(name="Kopi Robusta")
    ProductFactory(name="Kopi Arabika")
    assert sorted(suggest("kopi")) == ["Kopi Arabika", "Kopi Robusta"]
    assert len(suggest("kopi", limit=1)) == 1


def test_suggest_endpoint_answers_json_and_caps_the_list(client, ctx):
    for n in range(12):
        ProductFactory(name=f"Kopi Nomor {n}")
    response = client.get("/search/suggest?q=kop")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    suggestions = response.get_json()["suggestions"]
    assert len(suggestions) == 8
    assert all(name.startswith("Kopi Nomor") for name in suggestions)
    assert client.get("/search/suggest").get_json() == {"suggestions": []}
    assert client.get("/search/suggest?q=" + "%22*%3A'" * 100).get_json() == {"suggestions": []}


# --- the index in migrations -----------------------------------------------------------------


def search_objects() -> dict:
    """The search index's schema objects, as the database describes them."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master "
                    "WHERE name LIKE 'product_search%' AND type IN ('table', 'trigger')"
                )
            )
            return {row.name: (row.type, " ".join((row.sql or "").split())) for row in rows}
        if not inspect(conn).has_table(TABLE):
            return {}
        columns = inspect(conn).get_columns(TABLE)
        indexes = conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"), {"t": TABLE}
        )
        foreign_keys = inspect(conn).get_foreign_keys(TABLE)
        return {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in columns],
            "indexes": sorted(tuple(row) for row in indexes),
            "foreign_keys": [(fk["referred_table"], fk["options"]) for fk in foreign_keys],
        }


def test_migrations_build_the_index_create_all_builds_and_fill_it(
    app, ctx, empty_database_url, tmp_path
):
    from_models = search_objects()
    assert from_models, "create_all built no search index"

    migrated = make_app(empty_database_url, tmp_path)
    with migrated.app_context():
        upgrade()
        assert search_objects() == from_models
        # The index is the migration's business, not the models': Alembic leaves it alone.
        assert not alembic_include_name(TABLE, "table", {})
        assert alembic_include_name("products", "table", {})

        # Products that existed before the index are found once it is built.
        ProductFactory(name="Kopi Robusta Bubuk")
        downgrade(revision="0003_stock_ledger")
        assert search_objects() == {}
        upgrade()
        assert found("robusta") == ["Kopi Robusta Bubuk"]
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
