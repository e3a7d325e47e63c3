"""Catalogue pages for signed-in shoppers: kept once for everyone with holes, and filled on each
request with the visitor's own header, cart count, CSRF token and messages (shop/page_cache.py).
A new price or a sold-out product shows on the next request, for everyone."""

from __future__ import annotations

import re

import pytest

from storefront.extensions import db
from storefront.shop.page_cache import HIT_HEADER
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    ProductFactory,
    UserFactory,
)
from tests.stock_helpers import KEPT_PAGES, coffee_on_the_shelf, receive

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CART_COUNT = re.compile(r'data-testid="cart-count"><span class="visually-hidden">: </span>(\d+)<')


@pytest.fixture
def app_config():
    return KEPT_PAGES


@pytest.fixture
def kopi(ctx):
    return coffee_on_the_shelf(3)


def shopper(app, email: str, name: str) -> Client:
    UserFactory(email=email, name=name)
    db.session.commit()
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    client.get("/cart")  # read the welcome message
    return client


def add_to_cart(client: Client, product, quantity: int) -> None:
    answer = client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    assert answer.status_code == 302
    client.get("/cart")  # read the “in your cart” message


def cart_count(html: str) -> int:
    found = CART_COUNT.search(html)
    return int(found.group(1)) if found else 0


PAGES = ["/", "/search?q=kopi", "/category/makanan-minuman", "/vendors/dapur-nyai"]


@pytest.mark.parametrize("path", [*PAGES, "product"])
def test_each_shopper_sees_their_own_name_cart_and_token_on_a_kept_page(app, kopi, path):
    url = f"/product/{kopi.slug}" if path == "product" else path
    sari = shopper(app, "sari@example.com", "Sari Wulandari")
    budi = shopper(app, "budi@example.com", "Budi Santoso")
    add_to_cart(sari, kopi, 2)

    first = sari.get(url)
    assert first.status_code == 200
    assert HIT_HEADER not in first.headers
    mine = first.get_data(as_text=True)
    assert "<summary>Sari</summary>" in mine
    assert cart_count(mine) == 2
    assert "Kopi Robusta Bubuk" in mine

    second = budi.get(url)
    assert second.headers[HIT_HEADER] == "hit"  # the same page, rendered once
    his = second.get_data(as_text=True)
    assert "<summary>Budi</summary>" in his
    assert "Sari" not in his
    assert cart_count(his) == 0
    assert "Kopi Robusta Bubuk" in his
    assert "<!--personal:" not in his
    # Each has the CSRF token of their own session, which their own forms accept.
    assert CSRF_META.search(mine).group(1) != CSRF_META.search(his).group(1)
    token = CSRF_META.search(his).group(1)
    signed_out = budi.post("/account/logout", data={"csrf_token": token})
    assert signed_out.status_code == 302
    anonymous = budi.get(url).get_data(as_text=True)
    assert "<summary>Budi</summary>" not in anonymous

    # Sari again: her own cart count, from the kept page.
    again = sari.get(url)
    assert again.headers[HIT_HEADER] == "hit"
    assert cart_count(again.get_data(as_text=True)) == 2


def test_a_new_price_shows_at_once_for_signed_in_shoppers(app, kopi):
    sari = shopper(app, "sari@example.com", "Sari Wulandari")
    url = f"/product/{kopi.slug}"
    assert "Rp45.000" in sari.get(url).get_data(as_text=True)
    assert sari.get(url).headers[HIT_HEADER] == "hit"
    assert sari.get("/search?q=kopi").status_code == 200

    kopi.price = 50000
    db.session.commit()

    for page in (url, "/search?q=kopi"):
        answer = sari.get(page)
        assert HIT_HEADER not in answer.headers
        assert "Rp50.000" in answer.get_data(as_text=True)
        assert "Rp45.000" not in answer.get_data(as_text=True)


def test_a_product_sold_out_by_another_shopper_shows_at_once(app, kopi):
    sari = shopper(app, "sari@example.com", "Sari Wulandari")
    url = f"/product/{kopi.slug}"
    assert 'name="product_id"' in sari.get(url).get_data(as_text=True)  # add to cart offered
    assert sari.get(url).headers[HIT_HEADER] == "hit"

    # A guest buys all three units (pay at the outlet): they are reserved for the order.
    guest = Client(app.test_client())
    add_to_cart(guest, kopi, 3)
    placed = guest.post_form(
        "/checkout",
        {
            "name": "Tamu",
            "email": "tamu@example.com",
            "phone": "081234567890",
            "fulfilment": "pickup",
            "payment_method": "outlet",
        },
    )
    assert placed.status_code == 302
    assert "/orders/" in placed.headers["Location"]

    after = sari.get(url)
    assert HIT_HEADER not in after.headers
    assert 'name="product_id"' not in after.get_data(as_text=True)  # no add-to-cart form


def test_a_vendors_preview_of_an_unlisted_product_is_not_kept(app, kopi):
    hidden = ProductFactory(
        name="Kopi Rahasia", vendor=kopi.vendor, category=kopi.category, hidden=True
    )
    receive(hidden, 5)
    UserFactory(email="manajer@example.com", name="Manajer Outlet", role="manager")
    db.session.commit()
    manager = Client(app.test_client())
    assert manager.login("manajer@example.com", PASSWORD).status_code == 302
    url = f"/product/{hidden.slug}"
    assert manager.get(url).status_code == 200
    assert manager.get(url).status_code == 200

    sari = shopper(app, "sari@example.com", "Sari Wulandari")
    answer = sari.get(url)
    assert answer.status_code == 404
    assert HIT_HEADER not in answer.headers


def test_the_header_count_is_kept_in_the_session_and_follows_the_cart(app, kopi):
    from sqlalchemy import event, update

    from storefront.orders.models import CartItem

    ani = shopper(app, "ani@example.com", "Ani")
    add_to_cart(ani, kopi, 2)
    queries: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        queries.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        page = ani.get(f"/product/{kopi.slug}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert cart_count(page) == 2
    assert not [q for q in queries if "cart_items" in q]  # no query for the badge

    # Another device of Ani's changes the stored cart: her cart page shows it, and from then
    # on the header too.
    db.session.execute(update(CartItem).values(quantity=3))
    db.session.commit()
    assert cart_count(ani.get("/cart").get_data(as_text=True)) == 3
    assert cart_count(ani.get(f"/product/{kopi.slug}").get_data(as_text=True)) == 3

    # Someone else signing in on this browser never sees Ani's count.
    UserFactory(email="budi@example.com", name="Budi")
    db.session.commit()
    assert ani.post_form("/account/logout").status_code == 302
    assert ani.login("budi@example.com", PASSWORD).status_code == 302
    assert cart_count(ani.get(f"/product/{kopi.slug}").get_data(as_text=True)) == 0


def test_the_account_menu_is_each_visitors_own_though_rendered_once_per_role(app, kopi):
    """The menu's words and links are kept per language and role; the name and the token are
    each visitor's, escaped."""
    mallory = shopper(app, "mallory@example.com", "<b>Mal</b> Lory")
    ani = shopper(app, "ani@example.com", "Ani Suryani")
    UserFactory(email="rina@example.com", name="Rina", role="manager")
    db.session.commit()
    rina = Client(app.test_client())
    assert rina.login("rina@example.com", PASSWORD).status_code == 302

    pages = {
        who: client.get(f"/product/{kopi.slug}").get_data(as_text=True)
        for who, client in (("mallory", mallory), ("ani", ani), ("rina", rina))
    }
    assert "<summary>&lt;b&gt;Mal&lt;/b&gt;</summary>" in pages["mallory"]
    assert "<summary>Ani</summary>" in pages["ani"] and "Mal" not in pages["ani"]
    assert "/manage/" in pages["rina"] and "/manage/" not in pages["ani"]
    tokens = {who: CSRF_META.search(page).group(1) for who, page in pages.items()}
    for who, page in pages.items():
        assert f'name="csrf_token" value="{tokens[who]}"' in page
    # The token in the menu signs its visitor out.
    answer = ani.post("/account/logout", data={"csrf_token": tokens["ani"]})
    assert answer.status_code == 302
    assert "<summary>" not in ani.get(f"/product/{kopi.slug}").get_data(as_text=True)
