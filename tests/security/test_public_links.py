"""Links that leave the request (emails, payment pages, canonical URLs) are built on the
configured public address, never on the Host header a visitor sends; in production a request
for any other host is refused."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from storefront.config import ConfigError, load_config
from storefront.extensions import db
from tests.conftest import CSRF_META, empty_tables, make_app
from tests.factories import UserFactory

PUBLIC = "https://gerai.example"
FOREIGN = "evil.example"
FORGOT = "/account/password/forgot"
SOURCE = Path(__file__).resolve().parents[2] / "storefront"


def ask_for_reset(app, host: str, email: str = "siti@example.com"):
    """The forgot-password form, fetched and posted with `host` in the Host header (and the
    session cookie and CSRF token of that same host, as a browser would)."""
    client = app.test_client()
    base = f"http://{host}"
    page = client.get(FORGOT, base_url=base)
    if page.status_code != 200:
        return page
    token = CSRF_META.search(page.get_data(as_text=True)).group(1)
    return client.post(FORGOT, base_url=base, data={"email": email, "csrf_token": token})


def mail_bodies(app) -> list[str]:
    """The text of every email the app wrote, headers included, decoded."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    mails = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in sorted(folder.glob("*.eml"))
    ]
    return [str(mail) + mail.get_body().get_content() for mail in mails]


@pytest.fixture
def production_app(database_url, _schema, tmp_path, monkeypatch):
    """The app as `STOREFRONT_ENV=production` builds it, with what production requires."""
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("TRUSTED_HOSTS", "www.gerai.example, localhost")
    # Messages are delivered in-process, as in every test (production queues them for Redis).
    app = make_app(database_url, tmp_path, HUEY_IMMEDIATE=True)
    with app.app_context():
        empty_tables()
        UserFactory(email="siti@example.com")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": PUBLIC}])
def test_reset_link_in_development_ignores_a_forged_host_header(app, ctx):
    UserFactory(email="siti@example.com")
    response = ask_for_reset(app, FOREIGN)
    assert response.status_code == 302
    [body] = mail_bodies(app)
    assert FOREIGN not in body
    assert re.search(rf"{PUBLIC}/account/password/reset/\S+", body)


def test_reset_link_in_production_ignores_a_forged_host_header(production_app):
    refused = ask_for_reset(production_app, FOREIGN)
    assert refused.status_code == 400
    assert mail_bodies(production_app) == []

    # A second name of the shop is served, but links still name the public address.
    response = ask_for_reset(production_app, "www.gerai.example")
    assert response.status_code == 302
    [body] = mail_bodies(production_app)
    assert "www.gerai.example" not in body
    assert re.search(rf"{PUBLIC}/account/password/reset/\S+", body)


def test_production_refuses_every_page_for_a_foreign_host(production_app):
    client = production_app.test_client()
    assert client.get("/", base_url=f"http://{FOREIGN}").status_code == 400
    assert client.get("/no-such-page", base_url=f"http://{FOREIGN}").status_code == 400
    assert client.get("/", base_url="https://gerai.example").status_code == 200
    # X-Forwarded-Host is not believed either.
    forwarded = client.get(
        "/", base_url="https://gerai.example", headers={"X-Forwarded-Host": FOREIGN}
    )
    assert forwarded.status_code == 200
    assert FOREIGN not in forwarded.get_data(as_text=True)


def test_production_answers_a_local_health_check(production_app):
    client = production_app.test_client()
    response = client.get("/healthz", base_url="http://127.0.0.1:8000")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    # Any host at all may ask whether the shop is up; it learns nothing else.
    assert client.get("/healthz", base_url="http://10.1.2.3:8000").status_code == 200


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": PUBLIC}])
def test_order_email_link_names_the_public_address(app, ctx, client):
    from storefront.orders import notify
    from tests.conftest import act
    from tests.integration.order_helpers import order_for, stocked_product

    product, _batch = stocked_product()
    order = order_for({product: 1})
    db.session.commit()
    with app.test_request_context("/", base_url=f"http://{FOREIGN}"):
        act(notify.order_placed, order)
    [body] = mail_bodies(app)
    assert FOREIGN not in body
    assert f"{PUBLIC}/orders/{order.number}?key={order.access_key}" in body


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": PUBLIC + "/toko"}])
def test_public_address_may_carry_a_path(app):
    from storefront.links import external_url

    with app.test_request_context("/", base_url=f"http://{FOREIGN}"):
        assert external_url("shop.home") == f"{PUBLIC}/toko/"
        assert external_url("shop.product", slug="kopi") == f"{PUBLIC}/toko/product/kopi"
    with app.app_context():  # commands have no request at all
        assert external_url("auth.login", next="/a b") == f"{PUBLIC}/toko/account/login?next=/a+b"


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": PUBLIC}])
def test_canonical_link_of_a_page_names_the_public_address(app, ctx):
    from tests.factories import ProductFactory

    ProductFactory(slug="kopi-robusta", name="Kopi Robusta")
    page = app.test_client().get("/product/kopi-robusta", base_url=f"http://{FOREIGN}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<link rel="canonical" href="{PUBLIC}/product/kopi-robusta">' in html
    assert FOREIGN not in html


def test_no_code_builds_absolute_urls_from_the_request():
    """One helper, `storefront.links.external_url`, builds every absolute URL (the host
    check in security.py is the one other reader of the Host header)."""
    forbidden = re.compile(r"_external\s*=|\.host_url|\.url_root|request\.host\b|\.base_url")
    offenders = [
        f"{path.relative_to(SOURCE.parent)}:{number}"
        for path in SOURCE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line) and path.name not in {"links.py", "security.py"}
    ]
    assert offenders == []


def test_production_refuses_to_start_without_a_public_address(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "url",
    ["gerai.example", "http://gerai.example", "https://", "https://gerai.example/?a=1", "ftp://x"],
)
def test_production_refuses_a_public_address_that_is_not_an_https_origin(
    monkeypatch, tmp_path, url
):
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(tmp_path)


def test_trusted_hosts_come_from_the_public_address_and_the_extra_names(monkeypatch, tmp_path):
    monkeypatch.setenv("STOREFRONT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://Gerai.Example:8443/")
    monkeypatch.setenv("TRUSTED_HOSTS", "www.gerai.example,  ")
    config = load_config(tmp_path)
    assert config["PUBLIC_BASE_URL"] == "https://gerai.example:8443"
    assert config["PUBLIC_HOSTS"] == ["gerai.example", "www.gerai.example"]
