"""Catalogue pages kept for a minute for anonymous shoppers, and with holes for anyone with a
session (signed in, a cart, a message), whose own parts are filled in on each request; a change
to the catalogue shows at once for both (tests/integration/test_signed_in_pages.py)."""

from __future__ import annotations

import pytest

from storefront.clock import today_wib
from storefront.extensions import db
from storefront.incubator import cohorts
from storefront.incubator.models import Cohort
from storefront.shop.page_cache import HIT_HEADER
from tests.conftest import act
from tests.factories import PASSWORD, UserFactory
from tests.stock_helpers import KEPT_PAGES, coffee_on_the_shelf


@pytest.fixture
def app_config():
    return KEPT_PAGES


@pytest.fixture
def kopi(ctx):
    return coffee_on_the_shelf(10)


def reprice(product, price: int) -> None:
    product.price = price
    db.session.commit()


def pages(product) -> list[str]:
    return [
        "/",
        "/search?q=kopi",
        "/category/makanan-minuman",
        f"/product/{product.slug}",
        "/vendors/dapur-nyai",
    ]


@pytest.mark.parametrize("which", range(5))
def test_anonymous_shoppers_get_the_page_kept_for_a_minute(app, client, kopi, which):
    url = pages(kopi)[which]
    first = client.get(url)
    assert first.status_code == 200
    assert "Rp45.000" in first.get_data(as_text=True)
    assert HIT_HEADER not in first.headers
    # Nothing of the visitor's on the page: no session cookie, no CSRF token in the page.
    assert "Set-Cookie" not in first.headers
    assert 'name="csrf-token"' not in first.get_data(as_text=True)

    second = client.get(url)
    assert second.headers[HIT_HEADER] == "hit"
    assert "Rp45.000" in second.get_data(as_text=True)
    # A new price gives the catalogue a new version: the next visitor sees it at once.
    reprice(kopi, 50000)
    third = client.get(url)
    assert HIT_HEADER not in third.headers
    assert "Rp50.000" in third.get_data(as_text=True)
    # Another address (here a page number) is another page, read fresh.
    other = client.get(url + ("&" if "?" in url else "?") + "page=1")
    assert HIT_HEADER not in other.headers


def test_each_language_has_its_own_copy(app, client, kopi):
    indonesian = client.get("/search?q=kopi").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/search?q=kopi")
    assert HIT_HEADER not in english.headers
    assert english.get_data(as_text=True) != indonesian
    assert '<html lang="en"' in english.get_data(as_text=True)


def test_a_signed_in_shopper_sees_changes_at_once_and_leaves_nothing_for_others(app, client, kopi):
    UserFactory(email="sari@example.com", name="Sari Wulandari")
    assert client.login("sari@example.com", PASSWORD).status_code == 302
    url = f"/product/{kopi.slug}"
    mine = client.get(url)
    assert "Sari" in mine.get_data(as_text=True)
    reprice(kopi, 50000)
    again = client.get(url)
    assert HIT_HEADER not in again.headers
    assert "Rp50.000" in again.get_data(as_text=True)

    # Her page (with her name) was not kept for the next anonymous visitor.
    stranger = app.test_client().get(url)
    assert HIT_HEADER not in stranger.headers
    assert "Sari" not in stranger.get_data(as_text=True)


def test_a_visitor_with_a_cart_or_a_message_sees_the_page_as_it_is_with_their_own_parts(
    app, client, kopi
):
    url = f"/product/{kopi.slug}"
    assert HIT_HEADER not in app.test_client().get(url).headers  # an anonymous copy is kept
    assert app.test_client().get(url).headers[HIT_HEADER] == "hit"
    reprice(kopi, 50000)

    with client.session_transaction() as session:
        session["cart"] = {str(kopi.id): 2}
    with_cart = client.get(url)
    assert HIT_HEADER not in with_cart.headers  # the new price: a new version
    assert "Rp50.000" in with_cart.get_data(as_text=True)
    assert 'data-testid="cart-count"' in with_cart.get_data(as_text=True)

    # The copy with holes kept for the visitor with a cart serves the next visitor with a
    # session, filled with their own message and (empty) cart.
    flashed = app.test_client()
    with flashed.session_transaction() as session:
        session["_flashes"] = [("success", "Added to your cart.")]
    page = flashed.get(url)
    assert page.headers[HIT_HEADER] == "hit"
    html = page.get_data(as_text=True)
    assert "Rp50.000" in html
    assert "Added to your cart." in html
    assert 'data-testid="cart-count"' not in html
    assert "<!--personal:" not in html
    # The message was read: it is not shown again.
    assert "Added to your cart." not in flashed.get(url).get_data(as_text=True)


def test_pages_that_are_not_found_are_not_kept(app, client, kopi):
    assert client.get("/product/tidak-ada").status_code == 404
    again = client.get("/product/tidak-ada")
    assert again.status_code == 404
    assert HIT_HEADER not in again.headers


def test_concurrent_misses_render_a_page_once(app, kopi):
    """Eight shoppers asking for the same expired page at once: one renders it, the others
    wait for it and get the kept copy, instead of all rendering the same page."""
    import threading

    from flask import template_rendered

    db.session.commit()
    url = f"/product/{kopi.slug}"
    rendered = []

    def count(sender, template, context, **extra):
        if template.name == "shop/product.html":
            rendered.append(1)

    template_rendered.connect(count, app)
    start = threading.Barrier(8)
    answers = []

    def shopper():
        client = app.test_client()
        start.wait()
        response = client.get(url)
        answers.append((response.status_code, response.headers.get(HIT_HEADER)))

    threads = [threading.Thread(target=shopper) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 8 and all(status == 200 for status, _ in answers)
    assert sorted(hit or "" for _, hit in answers) == [""] + ["hit"] * 7
    assert len(rendered) == 1


def test_a_cohort_change_purges_the_maker_page_at_once(app, client, kopi):
    manager = UserFactory(email="manajer@example.com", name="Bu Rina", role="manager")
    cohort = act(cohorts.create_cohort, manager, "Angkatan 2026", today_wib(), None)
    cohort = db.session.get(Cohort, cohort.id)
    before = client.get("/vendors/dapur-nyai")
    assert "Angkatan 2026" not in before.get_data(as_text=True)
    for url in ("/vendors/dapur-nyai", "/vendors/dapur-nyai?page=1"):
        client.get(url)
    assert client.get("/vendors/dapur-nyai").headers[HIT_HEADER] == "hit"

    act(cohorts.add_member, manager, cohort, kopi.vendor.id, None)
    for url in ("/vendors/dapur-nyai", "/vendors/dapur-nyai?page=1"):
        joined = client.get(url)
        assert HIT_HEADER not in joined.headers
        assert 'data-testid="cohort-badge"' in joined.get_data(as_text=True)
    # Other pages are not purged by it.
    assert client.get(f"/product/{kopi.slug}").status_code == 200

    act(cohorts.remove_member, manager, db.session.get(Cohort, cohort.id), kopi.vendor.id)
    left = client.get("/vendors/dapur-nyai")
    assert HIT_HEADER not in left.headers
    assert "Angkatan 2026" not in left.get_data(as_text=True)
