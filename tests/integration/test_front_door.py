"""Kept catalogue pages served before Flask (storefront/shop/front_door.py): the same bytes and
headers as Flask's own hit path for anonymous and signed-in shoppers, and every visitor whose
session Flask must look at still goes to Flask."""

from __future__ import annotations

import re

import pytest

from storefront.auth.models import User
from storefront.extensions import db
from storefront.shop.front_door import FrontDoor
from storefront.shop.page_cache import HIT_HEADER
from tests.conftest import Client
from tests.factories import PASSWORD, UserFactory
from tests.stock_helpers import KEPT_PAGES, coffee_on_the_shelf

TOKEN = re.compile(r'(name="csrf[-_]token" (?:content|value)=")[^"]+"')


@pytest.fixture
def app_config():
    return KEPT_PAGES


@pytest.fixture
def kopi(ctx):
    return coffee_on_the_shelf(5)


@pytest.fixture
def flask_calls(app):
    """How many requests the front door passed on to Flask."""
    layer = app.wsgi_app
    while not isinstance(layer, FrontDoor):
        layer = layer.application if hasattr(layer, "application") else layer.app
    inner = layer.wsgi_app
    calls = []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    layer.wsgi_app = counting
    yield calls
    layer.wsgi_app = inner


def signed_in(app, email: str, name: str, **fields) -> Client:
    UserFactory(email=email, name=name, **fields)
    db.session.commit()
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    client.get("/cart")  # reads the welcome message, keeps the cart count in the session
    return client


def both_ways(app, client, url: str):
    """The page through the front door and through Flask's own hit path."""
    app.config["PAGE_CACHE_FRONT_DOOR"] = True
    front = client.get(url)
    app.config["PAGE_CACHE_FRONT_DOOR"] = False
    flask = client.get(url)
    app.config["PAGE_CACHE_FRONT_DOOR"] = True
    return front, flask


def same(front, flask) -> None:
    assert front.status_code == flask.status_code == 200
    assert front.headers[HIT_HEADER] == flask.headers[HIT_HEADER] == "hit"
    # The CSRF token is signed with the time: the same session's token may differ by a second.
    body = TOKEN.sub(r'\1…"', front.get_data(as_text=True))
    assert body == TOKEN.sub(r'\1…"', flask.get_data(as_text=True))
    assert sorted(front.headers.items()) == sorted(flask.headers.items())


PAGES = ["/", "/search?q=kopi", "/category/makanan-minuman", "/vendors/dapur-nyai", "product"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_and_signed_in_hits_are_what_flask_serves(app, client, kopi, flask_calls, path):
    url = f"/product/{kopi.slug}" if path == "product" else path
    sari = signed_in(app, "sari@example.com", "Sari <Wulandari>")
    sari.post("/cart/add", data={"product_id": kopi.id, "quantity": 2})
    sari.get("/cart")
    rina = signed_in(app, "rina@example.com", "Rina", role="manager", locale="en")
    assert client.get(url).status_code == 200  # kept
    assert sari.get(url).status_code == 200  # kept with holes
    assert rina.get(url).status_code == 200  # and in English
    flask_calls.clear()

    for visitor in (client, sari, rina):
        front, flask = both_ways(app, visitor, url)
        same(front, flask)
    assert len(flask_calls) == 3  # only the three asked of Flask on purpose

    sari_page = sari.get(url).get_data(as_text=True)
    assert "<summary>Sari</summary>" in sari_page
    assert 'data-testid="cart-count"><span class="visually-hidden">: </span>2<' in sari_page
    assert "<!--personal:" not in sari_page
    rina_page = rina.get(url).get_data(as_text=True)
    assert '<html lang="en"' in rina_page and "Manage the outlet" in rina_page
    assert 'data-testid="cart-count"' not in rina_page
    assert "csrf-token" not in client.get(url).get_data(as_text=True)
    assert len(flask_calls) == 3


def test_a_deactivated_or_signed_out_account_is_left_to_flask(app, kopi, flask_calls):
    url = f"/product/{kopi.slug}"
    budi = signed_in(app, "budi@example.com", "Budi Santoso")
    other_device = Client(app.test_client())
    assert other_device.login("budi@example.com", PASSWORD).status_code == 302
    other_device.get("/cart")
    budi.get(url)
    flask_calls.clear()
    assert "<summary>Budi</summary>" in budi.get(url).get_data(as_text=True)
    assert flask_calls == []

    # Signing out on the other device ends this session too, at once.
    token = other_device.csrf_token(url)
    assert other_device.post("/account/logout", data={"csrf_token": token}).status_code == 302
    page = budi.get(url).get_data(as_text=True)
    assert "<summary>Budi</summary>" not in page
    assert flask_calls[-1] == url

    ani = signed_in(app, "ani@example.com", "Ani Suryani")
    assert "<summary>Ani</summary>" in ani.get(url).get_data(as_text=True)
    user = db.session.scalar(db.select(User).filter_by(email="ani@example.com"))
    user.active = False
    db.session.commit()
    calls = len(flask_calls)
    assert "<summary>Ani</summary>" not in ani.get(url).get_data(as_text=True)
    assert len(flask_calls) == calls + 1


def test_a_message_a_guest_cart_or_another_browser_goes_to_flask(app, client, kopi, flask_calls):
    url = f"/product/{kopi.slug}"
    client.get(url)
    # A guest's cart lives in the session: Flask fills the holes.
    client.post("/cart/add", data={"product_id": kopi.id, "quantity": 1})
    flask_calls.clear()
    client.get(url)
    assert client.get(url).headers[HIT_HEADER] == "hit"
    assert flask_calls == [url, url]

    # A signed-in shopper's message is shown once, by Flask; then the front door serves.
    dewi = signed_in(app, "dewi@example.com", "Dewi")
    dewi.post("/cart/add", data={"product_id": kopi.id, "quantity": 1})
    flask_calls.clear()
    with_message = dewi.get(url)
    assert flask_calls == [url]
    assert 'class="flash flash-' in with_message.get_data(as_text=True)
    assert 'class="flash flash-' not in dewi.get(url).get_data(as_text=True)
    assert flask_calls == [url]

    # The same session from another browser: Flask-Login marks it not fresh once (a write).
    other = dewi.get(url, headers={"User-Agent": "Another browser"})
    assert "<summary>Dewi</summary>" in other.get_data(as_text=True)
    assert flask_calls == [url, url]
    dewi.get(url, headers={"User-Agent": "Another browser"})
    assert flask_calls == [url, url]


def test_a_catalogue_change_shows_at_once_through_the_front_door(app, kopi, flask_calls):
    url = f"/product/{kopi.slug}"
    sari = signed_in(app, "sari@example.com", "Sari")
    sari.get(url)
    assert sari.get(url).headers[HIT_HEADER] == "hit"
    kopi.price = 47500
    db.session.commit()
    flask_calls.clear()
    page = sari.get(url)
    assert "Rp47.500" in page.get_data(as_text=True)
    assert flask_calls == [url]  # the new version's page was not kept yet
    assert "Rp47.500" in sari.get(url).get_data(as_text=True)
    assert flask_calls == [url]


def test_without_the_page_cache_everything_goes_to_flask(app, client, kopi, flask_calls):
    app.config["CATALOG_CACHE_SECONDS"] = 0
    url = f"/product/{kopi.slug}"
    client.get(url)
    client.get(url)
    assert flask_calls == [url, url]
