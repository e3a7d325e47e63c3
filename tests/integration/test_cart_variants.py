"""Sizes and colours from the cart to the order: the cart holds variants, checkout holds the
chosen size's batches, and a refund puts the size sold back on the shelf."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.catalog import variants
from storefront.catalog.variants import OptionSpec
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.orders import fulfilment, refunds
from storefront.orders.models import CartItem, Order, OrderStatus, PaidWith
from storefront.stock import markdowns
from storefront.stock.ledger import available_quantity, verify_ledger
from storefront.stock.models import Batch, MovementKind
from tests.conftest import act
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.integration.order_helpers import level, manager, movements, order_for
from tests.integration.test_books import books_hold
from tests.integration.test_checkout import CHECKOUT
from tests.integration.test_shelf_prices import terms as markdown_terms
from tests.stock_helpers import receive


@pytest.fixture
def sandal(ctx):
    """Sandal Kulit in sizes 39 (none in stock), 40 (2 pairs) and 41 (3 pairs, Rp10.000
    dearer)."""
    product = ProductFactory(name="Sandal Kulit", price=150_000)
    variants.set_options(product, [OptionSpec.parse("Ukuran", "39, 40, 41")])
    db.session.flush()
    size = {v.label: v for v in product.active_variants}
    size["41"].price_delta = 10_000
    later = today_wib() + timedelta(days=300)
    receive(product, 2, variant=size["40"], code="SK-40", expires_on=later)
    receive(product, 3, variant=size["41"], code="SK-41", expires_on=later)
    db.session.commit()
    return product, size


def product_batches(product) -> list[Batch]:
    return list(db.session.scalars(select(Batch).where(Batch.product_id == product.id)))


def add(client, product, variant=None, quantity="1"):
    data = {"product_id": product.id, "quantity": quantity}
    if variant is not None:
        data["variant_id"] = variant if isinstance(variant, str) else variant.id
    return client.post("/cart/add", data=data)


def flashed(client) -> str:
    with client.session_transaction() as session:
        return " ".join(str(message) for _category, message in session.get("_flashes", []))


def guest_cart(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("cart") or {})


def test_a_guest_puts_two_sizes_in_the_cart_as_two_lines(client, sandal):
    product, size = sandal
    assert add(client, product, size["40"]).status_code == 302
    add(client, product, size["41"], "2")
    add(client, product, size["40"])
    assert guest_cart(client) == {f"v{size['40'].id}": 2, f"v{size['41'].id}": 2}

    page = client.get("/cart").get_data(as_text=True)
    assert page.count('data-testid="cart-variant"') == 2
    assert "Ukuran 40" in page and "Ukuran 41" in page
    # 2 × Rp150.000 for size 40, 2 × Rp160.000 for the dearer size 41.
    assert "Rp160.000" in page and "Rp620.000" in page


def test_more_of_a_size_than_is_left_is_refused_with_the_number_left(client, sandal):
    product, size = sandal
    add(client, product, size["40"], "2")
    before = guest_cart(client)

    response = add(client, product, size["40"])
    assert response.status_code == 302
    message = flashed(client)
    assert "Hanya 2 Sandal Kulit — 40 yang tersedia" in message
    assert guest_cart(client) == before

    add(client, product, size["41"], "3")  # another size of the same sandal still can
    assert guest_cart(client)[f"v{size['41'].id}"] == 3


def test_a_sold_out_size_is_refused_and_the_cart_is_unchanged(client, sandal):
    product, size = sandal
    add(client, product, size["40"])
    before = guest_cart(client)
    add(client, product, size["39"])
    assert "Maaf, Sandal Kulit — 39 habis." in flashed(client)
    assert guest_cart(client) == before


@pytest.mark.parametrize(
    "choice, message",
    [
        (None, "Pilih ukuran atau warna dulu."),
        ("", "Pilih ukuran atau warna dulu."),
        ("abc", "Ukuran atau warna itu sudah tidak dijual."),
        ("foreign", "Ukuran atau warna itu sudah tidak dijual."),
        ("retired", "Ukuran atau warna itu sudah tidak dijual."),
        ("pending", "Ukuran atau warna itu belum dijual; pilih yang lain."),
    ],
)
def test_a_product_with_sizes_needs_one_of_its_own_sizes_on_sale(client, sandal, choice, message):
    product, size = sandal
    other = ProductFactory(name="Kopi")
    db.session.flush()
    if choice == "foreign":
        choice = str(other.default_variant.id)
    elif choice == "retired":
        choice = str(next(v.id for v in product.variants if not v.active))
    elif choice == "pending":
        size["41"].review = "pending"
        choice = str(size["41"].id)
    db.session.commit()

    response = add(client, product, choice)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/{product.slug}")
    assert message in flashed(client)
    assert guest_cart(client) == {}


def test_a_signed_in_shopper_keeps_a_line_per_size_and_merges_by_size(client, sandal):
    product, size = sandal
    shopper = UserFactory(email="pembeli@example.com")
    db.session.commit()
    add(client, product, size["40"])  # as a guest
    client.login("pembeli@example.com", PASSWORD)
    merged = db.session.execute(
        select(CartItem.variant_id, CartItem.quantity).where(CartItem.user_id == shopper.id)
    ).all()
    assert merged == [(size["40"].id, 1)]
    add(client, product, size["41"], "2")
    add(client, product, size["40"])
    add(client, product, size["40"])  # a third pair of size 40: only 2 exist
    assert "Hanya 2" in flashed(client)
    rows = db.session.execute(
        select(CartItem.variant_id, CartItem.quantity).where(CartItem.user_id == shopper.id)
    ).all()
    assert sorted(rows) == sorted([(size["40"].id, 2), (size["41"].id, 2)])

    client.post_form("/cart/update", {"variant_id": size["41"].id, "quantity": "1"})
    client.post_form("/cart/remove", {"variant_id": size["40"].id})
    db.session.expire_all()
    rows = db.session.execute(
        select(CartItem.variant_id, CartItem.quantity).where(CartItem.user_id == shopper.id)
    ).all()
    assert rows == [(size["41"].id, 1)]


def test_a_cart_kept_from_before_sizes_reads_product_ids(client, sandal):
    product, _size = sandal
    kopi = ProductFactory(name="Kopi Robusta", price=45_000)
    receive(kopi, 5)
    db.session.commit()
    with client.session_transaction() as session:
        session["cart"] = {str(kopi.id): 2, str(product.id): 1}

    page = client.get("/cart").get_data(as_text=True)
    assert "Kopi Robusta" in page and "Rp90.000" in page
    # Which size of the sandal was wanted is unknown: the line goes, with a word why.
    assert "Sandal Kulit sekarang ada ukuran atau warnanya" in page
    assert guest_cart(client) == {f"v{kopi.default_variant.id}": 2}


def test_checkout_holds_the_chosen_sizes_and_cancelling_gives_them_back(client, sandal, outbox):
    product, size = sandal
    add(client, product, size["40"])
    add(client, product, size["41"], "2")
    response = client.post_form("/checkout", CHECKOUT)
    assert response.status_code == 302, response.get_data(as_text=True)

    order = db.session.scalar(select(Order))
    lines = {line.variant_id: line for line in order.lines}
    assert set(lines) == {size["40"].id, size["41"].id}
    forty, forty_one = lines[size["40"].id], lines[size["41"].id]
    assert (forty.variant_label, forty.product_code, forty.quantity) == ("40", size["40"].code, 1)
    assert (forty_one.unit_price, forty_one.quantity) == (160_000, 2)
    assert order.total == 470_000
    held = {(r.variant_id, r.batch.code, r.quantity) for r in order.reservation.lines}
    assert held == {(size["40"].id, "SK-40", 1), (size["41"].id, "SK-41", 2)}
    assert available_quantity(product.id, variant_id=size["40"].id) == 1
    assert available_quantity(product.id, variant_id=size["41"].id) == 1

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sandal Kulit — 40" in page and "Sandal Kulit — 41" in page
    assert "Sandal Kulit — 41" in outbox()[-1].get_content()
    picks = [item for group in fulfilment.pick_list([order]) for item in group.items]
    assert {(item.product_name, item.product_code, item.quantity) for item in picks} == {
        ("Sandal Kulit — 40", size["40"].code, 1),
        ("Sandal Kulit — 41", size["41"].code, 2),
    }

    client.post_form(
        f"/orders/{order.number}/cancel", {}, headers={"Referer": response.headers["Location"]}
    )
    db.session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    assert available_quantity(product.id, variant_id=size["40"].id) == 2
    assert available_quantity(product.id, variant_id=size["41"].id) == 3
    assert verify_ledger()[1] == []


def test_a_refund_with_restock_puts_the_size_sold_back(ctx, sandal, outbox):
    product, size = sandal
    boss = manager()
    order = order_for({size["40"]: 1, size["41"]: 1})
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=boss)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    # Size 41's batch came in after size 40's: the refund must not fill the older batch.
    forty_one = next(line for line in order.lines if line.variant_id == size["41"].id)

    act(
        refunds.refund,
        order,
        lines={forty_one.id: 1},
        method="cash",
        restock=True,
        reason="Kekecilan",
        actor=boss,
        idempotency_key="form-1",
    )

    returns = movements(MovementKind.CUSTOMER_RETURN, reference_type="refund")
    assert [(m.variant_id, m.quantity) for m in returns] == [(size["41"].id, 1)]
    assert available_quantity(product.id, variant_id=size["40"].id) == 1
    assert available_quantity(product.id, variant_id=size["41"].id) == 3
    shelf = {batch.code: level(batch).on_hand for batch in product_batches(product)}
    assert shelf == {"SK-40": 1, "SK-41": 3}
    assert "Sandal Kulit — 41" in outbox()[-1].get_content()
    assert verify_ledger()[1] == []
    books_hold()


def test_a_markdown_on_one_sizes_batch_lowers_only_that_size(client, sandal):
    product, size = sandal
    soon = receive(
        product, 1, variant=size["40"], code="SK-40-LAMA", expires_on=today_wib() + timedelta(10)
    )
    act(markdowns.mark_down, soon, manager(), markdown_terms(percent_bp=3000))
    add(client, product, size["40"])
    add(client, product, size["41"])

    page = client.get("/cart").get_data(as_text=True)
    assert page.count('data-testid="cart-markdown"') == 1
    # Rp150.000 less 30 % for the near-expiry pair of size 40, Rp160.000 for size 41.
    assert "Rp105.000" in page and "Rp265.000" in page

    client.post_form("/checkout", CHECKOUT)
    order = db.session.scalar(select(Order))
    sold = {(line.variant_label, line.unit_price, line.discount) for line in order.lines}
    assert sold == {("40", 105_000, 45_000), ("41", 160_000, 0)}
    assert order.total == 265_000
