"""The page layout, the language switch, error pages and response headers."""

from __future__ import annotations

import pytest
from flask import Blueprint

from storefront.auth.access import public
from storefront.extensions import db
from storefront.settings.services import set_setting
from tests.factories import PASSWORD, ProductFactory, UserFactory


def test_home_speaks_indonesian_even_to_an_english_browser(client, ctx):
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id"' in page
    assert "Bangga produk lokal" in page
    assert "Masuk" in page


def test_language_switch_persists_in_a_cookie(client, ctx):
    response = client.get("/lang/en?next=/search")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Proudly local" in page
    page = client.get("/account/login").get_data(as_text=True)
    assert "Remember me on this device" in page

    client.get("/lang/id")
    assert "Bangga produk lokal" in client.get("/").get_data(as_text=True)


def test_language_choice_is_saved_on_the_account(app, client, ctx):
    user = UserFactory(email="siti@example.com")
    client.login("siti@example.com", PASSWORD)
    client.get("/lang/en")
    db.session.refresh(user)
    assert user.locale == "en"
    # A new device with no cookie still gets English after signing in.
    other = app.test_client()
    from tests.conftest import Client

    other = Client(other)
    other.login("siti@example.com", PASSWORD)
    assert "Proudly local" in other.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_indonesian(client, ctx):
    client.get("/lang/fr")
    assert '<html lang="id"' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client, ctx):
    response = client.get("/lang/en?next=//evil.example.com/")
    assert response.headers["Location"] == "/"


def test_footer_shows_outlet_details_from_settings(client, ctx):
    set_setting("outlet_address", "Jl. Percobaan No. 1, Cikupa")
    set_setting("whatsapp", "+6281299998888")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Jl. Percobaan No. 1, Cikupa" in page
    assert "https://wa.me/6281299998888" in page
    assert "Senin–Sabtu 09.00–17.00 WIB" in page


def test_prices_use_the_one_rupiah_format(client, ctx):
    ProductFactory(name="Sambal Roa", price=40000)
    page = client.get("/").get_data(as_text=True)
    assert "Rp40.000" in page


@pytest.mark.parametrize(
    ("lang", "title"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")]
)
def test_404_page_is_friendly_in_both_languages(client, ctx, lang, title):
    client.get(f"/lang/{lang}")
    response = client.get("/tidak-ada-halaman-ini")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert title in page
    assert 'href="/"' in page


def test_missing_csrf_token_gets_the_400_page_and_changes_nothing(client, ctx, outbox):
    UserFactory(email="siti@example.com")
    response = client.post("/account/password/forgot", data={"email": "siti@example.com"})
    assert response.status_code == 400
    assert "Formulirnya mungkin sudah kedaluwarsa" in response.get_data(as_text=True)
    assert outbox() == []


def test_oversized_request_gets_the_413_page(app, client, ctx):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        "/account/login", data={"email": "a@example.com", "password": "x" * 5000}
    )
    assert response.status_code == 413
    assert "Berkas yang diunggah terlalu besar" in response.get_data(as_text=True)


def test_forbidden_page_in_english(client, ctx):
    client.get("/lang/en")
    from storefront.errors import render_error

    # 403 pages are reached through role checks (see tests/security); here the page itself.
    with client.application.test_request_context("/", headers={"Cookie": "lang=en"}):
        body, status = render_error(403)
    assert status == 403
    assert "You do not have access to this page" in body


def test_unexpected_error_gets_the_500_page(database_url, tmp_path, _schema):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    boom = Blueprint("boom", __name__)

    @boom.route("/boom")
    @public
    def explode():
        raise RuntimeError("kaboom")

    app.register_blueprint(boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Terjadi kesalahan di sistem kami" in page
    assert "kaboom" not in page
    with app.app_context():
        db.engine.dispose()


def test_security_headers_are_on_every_page(client, ctx):
    for path in ("/", "/account/login", "/tidak-ada"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script(client, ctx):
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page
    assert " onclick=" not in page


def test_session_cookie_is_httponly_and_lax(client, ctx):
    cookie = client.get("/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_outside_development(database_url, tmp_path, _schema):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    cookie = app.test_client().get("/").headers["Set-Cookie"]
    assert "Secure" in cookie
    with app.app_context():
        db.engine.dispose()


def test_healthz_reports_the_database(client, ctx):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_down(tmp_path, _schema):
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path}/missing/dir/nope.db", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
    with app.app_context():
        db.engine.dispose()


def test_versioned_vendor_files_are_cached_for_a_year(client):
    with client.get("/static/vendor/pico-2.1.1.jade.min.css") as response:
        assert response.status_code == 200
        assert "max-age=315360000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]


def test_own_static_files_are_served_with_a_content_hash(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/css/app.css?v=" in page
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert "max-age=3600" in response.headers["Cache-Control"]


def test_dates_are_shown_in_wib(app):
    from datetime import UTC, datetime

    with app.test_request_context("/"):
        rendered = app.jinja_env.from_string("{{ t | datetime('short') }}").render(
            t=datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
        )
    assert rendered.startswith("24/11/2026 ")
    assert "00.00" in rendered and rendered.endswith("WIB")
