"""Add to cart carries no CSRF token (catalogue pages stay cacheable), so it refuses requests
a browser marks as coming from another site."""

from __future__ import annotations

import pytest

from tests.integration.order_helpers import stocked_product

ADD = "/cart/add"


@pytest.fixture
def product(ctx):
    product, _batch = stocked_product(name="Kopi Robusta Cisoka")
    return product


def add(app, product, headers: dict):
    client = app.test_client()
    response = client.post(ADD, data={"product_id": str(product.id)}, headers=headers)
    in_cart = product.name in client.get("/cart").get_data(as_text=True)
    return response, in_cart


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
    ],
    ids=["fetch-cross-site", "foreign-origin", "look-alike-origin", "null-origin", "both"],
)
def test_add_to_cart_from_another_site_is_refused(app, product, headers):
    response, in_cart = add(app, product, headers)
    assert response.status_code == 403
    assert "Keranjang hanya bisa diubah dari halaman toko ini" in response.get_data(as_text=True)
    assert not in_cart


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://localhost"},
    ],
    ids=["old-browser", "same-origin", "same-site", "typed", "origin-only"],
)
def test_add_to_cart_from_the_shop_itself_works(app, product, headers):
    response, in_cart = add(app, product, headers)
    assert response.status_code == 302
    assert in_cart


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": "https://gerai.example"}])
def test_the_public_address_counts_as_the_shop(app, product):
    response, in_cart = add(app, product, {"Origin": "https://gerai.example"})
    assert response.status_code == 302
    assert in_cart
