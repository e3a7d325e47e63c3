"""GET /media/...: public uploads only, cached for a year; nothing private, no way out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from storefront.extensions import db
from storefront.uploads import (
    MEDIA_CACHE_CONTROL,
    media_url,
    register_media_route,
    save_document,
    save_image,
)
from tests.conftest import make_app

FAKE_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def png(size=(700, 350)) -> FileStorage:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return FileStorage(stream=io.BytesIO(out.getvalue()), filename="foto.png")


@pytest.fixture
def media_app(database_url, tmp_path, _schema):
    app = make_app(database_url, tmp_path)
    if "media" not in app.view_functions:
        register_media_route(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def stored(media_app):
    with media_app.app_context():
        photo = save_image(png(), folder="products/5")
        document = save_document(
            FileStorage(stream=io.BytesIO(FAKE_PDF), filename="izin.pdf"), folder="vendors/5"
        )
    return photo, document


def test_route_is_declared_public_and_registering_twice_is_harmless(media_app):
    view = media_app.view_functions["media"]
    assert view.access == "public"
    register_media_route(media_app)
    assert media_app.view_functions["media"] is view
    rules = [r for r in media_app.url_map.iter_rules() if r.endpoint == "media"]
    assert [r.rule for r in rules] == ["/media/<path:relative>"]


def test_public_variant_is_served_with_a_year_long_immutable_cache(media_app, stored):
    photo, _ = stored
    path = photo.path_for(640)
    expected = (Path(media_app.config["UPLOAD_DIR"]) / path).read_bytes()
    with media_app.test_request_context("/"):
        url = media_url(path)
    assert url == f"/media/{path}"

    with media_app.test_client().get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert response.headers["Cache-Control"] == MEDIA_CACHE_CONTROL
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data() == expected


def test_srcset_urls_all_resolve(media_app, stored):
    photo, _ = stored
    with media_app.test_request_context("/"):
        srcset = photo.srcset(media_url)
    entries = [entry.rsplit(" ", 1) for entry in srcset.split(", ")]
    assert [descriptor for _, descriptor in entries] == ["320w", "640w", "700w"]
    client = media_app.test_client()
    for url, _ in entries:
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_revalidation_gets_304(media_app, stored):
    photo, _ = stored
    client = media_app.test_client()
    url = "/media/" + photo.path_for(320)
    with client.get(url) as first:
        etag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_private_documents_are_never_served(media_app, stored):
    _, document = stored
    client = media_app.test_client()
    for url in (
        f"/media/{document.path}",
        "/media/public/../" + document.path,
        "/media/public/%2e%2e/" + document.path,
        "/media/public/products/5/../../" + document.path,
    ):
        with client.get(url) as response:
            assert response.status_code == 404, url
            assert b"%PDF" not in response.get_data(), url


@pytest.mark.parametrize(
    "url",
    [
        "/media/public/products/5/missing-320.webp",
        "/media/public/products/5",
        "/media/public/",
        "/media/products/5/x.webp",
        "/media/..%2f..%2fsecret_key",
        "/media/public/..%2fprivate%2fx.pdf",
    ],
)
def test_anything_else_is_404(media_app, stored, url):
    with media_app.test_client().get(url) as response:
        assert response.status_code == 404


def test_files_of_other_types_under_public_are_not_served(media_app, stored):
    page = Path(media_app.config["UPLOAD_DIR"]) / "public" / "products" / "5" / "evil.html"
    page.write_text("<script>alert(1)</script>")
    with media_app.test_client().get("/media/public/products/5/evil.html") as response:
        assert response.status_code == 404
        assert b"alert(1)" not in response.get_data()
