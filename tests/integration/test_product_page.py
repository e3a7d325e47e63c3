"""The product and maker pages, and what a shared link shows: previews, JSON-LD, sitemap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import event

from storefront.catalog.models import ProductPermit, ProductPhoto
from storefront.extensions import db
from storefront.vendors.models import VendorMember, VendorPhoto
from tests.conftest import Client
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager
from tests.stock_helpers import receive

BASE = "http://localhost"
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def food(ctx):
    return CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)


@pytest.fixture
def maker(ctx):
    return VendorFactory(
        slug="dapur-nyai",
        name="Dapur Nyai",
        kecamatan="Cikupa",
        city="kabupaten-tangerang",
        whatsapp="+6281210000001",
        story="Keripik dari singkong petani Cikupa,\ndigoreng setiap pagi.",
    )


def photo(product, key="public/products/abc", position=0):
    db.session.add(
        ProductPhoto(
            product_id=product.id,
            image_key=key,
            widths="320,640,1200",
            width=1200,
            height=900,
            position=position,
        )
    )
    db.session.commit()


def keripik(maker, food, **overrides):
    values = {
        "vendor": maker,
        "category": food,
        "name": "Keripik Singkong Balado",
        "slug": "keripik-singkong-balado",
        "code": "GTG-000123",
        "price": 18000,
        "unit": "bungkus",
        "net_content": "250 g",
        "description": "Renyah dan pedas manis.",
        "ingredients": "Singkong, cabai, gula, garam",
        "allergens": "Diolah di dapur yang juga mengolah kacang",
        "storage": "Simpan di tempat kering",
        "shelf_life_days": 90,
    }
    values.update(overrides)
    return ProductFactory(**values)


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def meta(html: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    assert match, f"no {name} meta tag"
    return match.group(1)


def json_ld(html: str) -> dict:
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def signed_in(app, email, role="shopper", vendor=None) -> Client:
    user = UserFactory(email=email, role=role)
    if vendor is not None:
        db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
        db.session.commit()
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client


def test_product_page_shows_permits_details_and_the_maker(client, maker, food):
    product = keripik(maker, food)
    db.session.add_all(
        [
            ProductPermit(product_id=product.id, kind="halal", number="ID36110000123450925"),
            ProductPermit(product_id=product.id, kind="pirt", number="2093603010123-30"),
            ProductPermit(product_id=product.id, kind="bpom", number="MD240935001200027"),
        ]
    )
    db.session.commit()

    html = page(client, "/product/keripik-singkong-balado")
    assert "Halal ID36110000123450925" in html
    assert "P-IRT No. 2093603010123-30" in html
    assert "BPOM RI MD240935001200027" in html
    assert "Rp18.000" in html and "bungkus" in html and "250 g" in html
    assert "Singkong, cabai, gula, garam" in html
    assert "mengolah kacang" in html
    assert "90 hari" in html
    assert "Simpan di tempat kering" in html
    assert "Kode produk: GTG-000123" in html
    assert 'href="/vendors/dapur-nyai"' in html
    assert "Kec. Cikupa, Kabupaten Tangerang" in html
    # Breadcrumbs lead back to the category.
    assert re.search(r'<a href="[^"]*makanan-minuman">Makanan &amp; Minuman</a>', html)
    # WhatsApp to the maker, the message naming the product and linking to it.
    link = re.search(r'href="(https://wa\.me/6281210000001\?text=[^"]+)"', html)
    assert link
    message = unquote(link.group(1).replace("&amp;", "&"))
    assert "Keripik Singkong Balado" in message
    assert f"{BASE}/product/keripik-singkong-balado" in message


def test_non_halal_declaration_is_clear(client, maker, food):
    keripik(maker, food, name="Sate Babi Manis", slug="sate-babi-manis", non_halal=True)
    html = page(client, "/product/sate-babi-manis")
    assert "Tidak halal: mengandung bahan tidak halal" in html
    assert "permit-non-halal" in html


def test_gallery_has_a_large_first_photo_and_thumbnails_linking_to_large_variants(
    client, maker, food
):
    product = keripik(maker, food)
    photo(product, "public/products/one", 0)
    photo(product, "public/products/two", 1)
    html = page(client, "/product/keripik-singkong-balado")
    assert 'srcset="/media/public/products/one-320.webp 320w' in html
    assert 'sizes="(min-width: 768px) 45vw, 95vw"' in html
    assert 'href="/media/public/products/two-1200.webp"' in html
    assert 'src="/media/public/products/two-320.webp"' in html


@pytest.mark.parametrize(
    ("units", "availability"),
    [
        (0, "https://schema.org/OutOfStock"),
        (3, "https://schema.org/LimitedAvailability"),
        (20, "https://schema.org/InStock"),
    ],
)
def test_json_ld_offers_the_price_in_rupiah_with_availability(
    client, maker, food, units, availability
):
    product = keripik(maker, food)
    photo(product)
    if units:
        receive(product, units)

    data = json_ld(page(client, "/product/keripik-singkong-balado"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["name"] == "Keripik Singkong Balado"
    assert data["sku"] == "GTG-000123"
    assert data["brand"]["name"] == "Dapur Nyai"
    assert data["description"] == "Renyah dan pedas manis."
    assert data["image"] == [f"{BASE}/media/public/products/abc-1200.webp"]
    offer = data["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "18000"
    assert offer["priceCurrency"] == "IDR"
    assert offer["availability"] == availability
    assert offer["url"] == f"{BASE}/product/keripik-singkong-balado"
    assert offer["seller"]["@type"] == "Organization"
    assert offer["seller"]["name"]


def test_add_to_cart_asks_how_many_up_to_the_stock_and_needs_no_session(client, maker, food):
    product = keripik(maker, food)
    receive(product, 7)
    response = client.get("/product/keripik-singkong-balado")
    html = response.get_data(as_text=True)
    form = re.search(r'<form method="post" action="/cart/add">(.*?)</form>', html, re.S).group(1)
    assert re.search(r'<input type="number"[^>]*name="quantity" value="1" min="1" max="7"', form)
    # No CSRF token in the form: an anonymous product page must not start a session.
    assert "csrf_token" not in form


def test_json_ld_cannot_be_broken_out_of_by_product_text(client, maker, food):
    nasty = "Keripik </script><script>alert(1)</script> & <b>"
    keripik(maker, food, description=nasty)
    html = page(client, "/product/keripik-singkong-balado")
    assert "<script>alert(1)" not in html
    assert json_ld(html)["description"] == nasty


def test_shared_link_preview_uses_absolute_urls_and_the_large_photo(client, maker, food):
    product = keripik(maker, food)
    photo(product)
    html = page(client, "/product/keripik-singkong-balado?utm_source=whatsapp&fbclid=abc")
    canonical = f"{BASE}/product/keripik-singkong-balado"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert meta(html, "og:url") == canonical
    assert meta(html, "og:type") == "product"
    assert meta(html, "og:title") == "Keripik Singkong Balado"
    assert meta(html, "og:description") == "Renyah dan pedas manis."
    assert meta(html, "og:image") == f"{BASE}/media/public/products/abc-1200.webp"
    assert meta(html, "og:image:width") == "1200"
    assert meta(html, "og:image:height") == "900"
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:image") == meta(html, "og:image")
    assert "<title>Keripik Singkong Balado · " in html
    assert '<meta name="description" content="Renyah dan pedas manis.">' in html


def test_a_product_without_photos_is_previewed_with_the_outlet_logo(client, maker, food):
    keripik(maker, food, description="")
    html = page(client, "/product/keripik-singkong-balado")
    assert meta(html, "og:image").startswith(f"{BASE}/static/img/logo.svg")
    # No description: one is written from the name, maker and price.
    assert "Dapur Nyai" in meta(html, "og:description")
    assert "Rp18.000" in meta(html, "og:description")


def test_vendor_page_shows_story_photos_location_and_whatsapp(client, maker, food):
    keripik(maker, food)
    db.session.add(
        VendorPhoto(vendor_id=maker.id, image_key="public/vendors/dapur", widths="320,640,1200")
    )
    db.session.commit()
    html = page(client, "/vendors/dapur-nyai?utm_campaign=promo")
    assert "digoreng setiap pagi" in html
    assert "Kec. Cikupa, Kabupaten Tangerang" in html
    assert 'href="/media/public/vendors/dapur-1200.webp"' in html
    assert "https://wa.me/6281210000001?text=" in html
    assert "Keripik Singkong Balado" in html
    assert f'<link rel="canonical" href="{BASE}/vendors/dapur-nyai">' in html
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:image") == f"{BASE}/media/public/vendors/dapur-1200.webp"
    assert meta(html, "og:description").startswith("Keripik dari singkong petani Cikupa, digoreng")


def test_related_products_are_other_visible_ones_of_the_same_category(client, maker, food):
    product = keripik(maker, food)
    others = [
        ProductFactory(category=food, name=f"Kerupuk Udang {n}", slug=f"kerupuk-{n}")
        for n in range(5)
    ]
    receive(others[-1], 2)
    ProductFactory(category=food, name="Keripik Tersembunyi", hidden=True)
    ProductFactory(category=food, name="Keripik Draf", status="draft")
    ProductFactory(name="Batik Tulis Cikupa")  # another category

    html = page(client, f"/product/{product.slug}")
    related = html.split('id="related-title"', 1)[1]
    shown = re.findall(r"Kerupuk Udang \d", related)
    assert len(set(shown)) == 4
    # Newest first: the last one made is there, with its stock.
    assert "Kerupuk Udang 4" in related and "Sisa 2" in related
    assert "Keripik Singkong Balado" not in related
    assert "Tersembunyi" not in related and "Draf" not in related and "Batik" not in related


def test_related_products_cost_the_same_queries_however_many_are_shown(app, client, maker, food):
    product = keripik(maker, food)

    def statements() -> int:
        count = 0

        def count_one(*_args):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count_one)
        try:
            page(client, f"/product/{product.slug}")
        finally:
            event.remove(engine, "before_cursor_execute", count_one)
        return count

    ProductFactory(category=food, slug="kerupuk-a")
    one = statements()
    for n in range(3):
        other = ProductFactory(category=food, slug=f"kerupuk-more-{n}")
        photo(other, f"public/products/more-{n}")
    assert statements() == one


def test_sitemap_lists_what_shoppers_can_open(app, client, maker, food):
    visible = keripik(maker, food)
    hidden = ProductFactory(category=food, slug="disembunyikan", hidden=True)
    draft = ProductFactory(category=food, slug="masih-draf", status="draft")
    VendorFactory(slug="baru-mendaftar", status="submitted")

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own response, not untrusted input)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {
        url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
        for url in root.findall("s:url", ns)
    }
    assert f"{BASE}/" in entries
    category = (
        f"{BASE}/category/makanan-minuman"
        if "shop.category" in app.view_functions
        else f"{BASE}/search?category=makanan-minuman"
    )
    assert category in entries
    assert entries[f"{BASE}/product/{visible.slug}"] == visible.updated_at.date().isoformat()
    assert f"{BASE}/vendors/dapur-nyai" in entries
    assert f"{BASE}/product/{hidden.slug}" not in entries
    assert f"{BASE}/product/{draft.slug}" not in entries
    assert f"{BASE}/vendors/baru-mendaftar" not in entries
    assert all(loc.startswith(BASE) for loc in entries)


def test_robots_txt_keeps_crawlers_out_of_accounts_and_forms(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    for path in ("/account", "/manage", "/vendor/", "/partner/apply", "/cart"):
        assert f"Disallow: {path}" in lines
    # Maker pages live at /vendors/<slug>: no rule may match them by prefix.
    disallowed = [line.split(": ", 1)[1] for line in lines if line.startswith("Disallow:")]
    assert not any("/vendors/dapur-nyai".startswith(rule) for rule in disallowed)
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


@pytest.fixture
def unlisted(maker, food):
    return keripik(maker, food, status="submitted")


def test_shoppers_get_404_for_an_unlisted_product(app, client, unlisted):
    assert client.get(f"/product/{unlisted.slug}").status_code == 404
    shopper = signed_in(app, "pembeli@example.com")
    assert shopper.get(f"/product/{unlisted.slug}").status_code == 404


def test_another_vendor_gets_404_for_an_unlisted_product(app, unlisted):
    other = VendorFactory(slug="toko-lain")
    client = signed_in(app, "lain@example.com", role="vendor", vendor=other)
    assert client.get(f"/product/{unlisted.slug}").status_code == 404


def test_its_vendor_previews_an_unlisted_product_with_a_banner(app, unlisted):
    client = signed_in(app, "nyai@example.com", role="vendor", vendor=unlisted.vendor)
    html = page(client, f"/product/{unlisted.slug}")
    assert "preview-banner" in html
    assert "Menunggu peninjauan" in html  # the status, in the shopper's language
    assert '<meta name="robots" content="noindex">' in html


def test_a_manager_previews_a_hidden_product_with_a_banner(app, maker, food):
    product = keripik(maker, food, hidden=True, hidden_reason="permit_expired")
    html = page(manager(app), f"/product/{product.slug}")
    assert "preview-banner" in html
    assert "hidden because a permit expired" in html or "izin" in html


def test_a_product_whose_permit_lapsed_today_is_a_404_for_shoppers(client, maker, food):
    yesterday = date.today() - timedelta(days=2)  # noqa: DTZ011 (WIB and UTC agree on it)
    product = keripik(maker, food, permits_valid_until=yesterday)
    assert client.get(f"/product/{product.slug}").status_code == 404


def test_unknown_product_is_a_404(client, ctx):
    assert client.get("/product/tidak-ada").status_code == 404


def test_canonical_url_drops_tracking_empty_and_first_page_parameters(app):
    from storefront.shop.seo import canonical_url

    with app.test_request_context("/search?utm_source=wa&q=kopi&fbclid=x&page=1&category="):
        assert canonical_url() == f"{BASE}/search?q=kopi"
        assert canonical_url("page") == f"{BASE}/search"
    with app.test_request_context("/search?q=kopi&page=2&gclid=y"):
        assert canonical_url() == f"{BASE}/search?page=2&q=kopi"
    with app.test_request_context("/search?vendor=b&vendor=a&utm_medium=x"):
        assert canonical_url() == f"{BASE}/search?vendor=b&vendor=a"
