"""Two hundred shoppers want the last fifty jars at the same moment (DESIGN invariant 1).

Each shopper is a separate test client — its own session cookie and address, so the checkout
rate limit sees two hundred people — and every request runs in its own thread and app context,
as it would under a threaded server. They fill their carts first, then wait at a barrier and
press "Place order" together. Runs on SQLite (BEGIN IMMEDIATE) and PostgreSQL (FOR UPDATE).
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import event, func, select, text

from storefront import database
from storefront.database import unit_of_work
from storefront.extensions import db
from storefront.orders.models import Order, OrderStatus
from storefront.stock.ledger import available_quantity, verify_ledger
from storefront.stock.models import Reservation, StockLevel
from tests.conftest import CSRF_META, Client
from tests.factories import ProductFactory
from tests.integration.test_checkout import CHECKOUT as GUEST_CHECKOUT
from tests.stock_helpers import receive

IN_STOCK = 50
SHOPPERS = 200

CHECKOUT = {**GUEST_CHECKOUT, "name": "Pembeli Serentak", "email": "pembeli@example.com"}


@dataclass
class Outcome:
    status: int
    location: str
    page: str


def _shopper(app, number: int, product_id: int, start: threading.Barrier) -> Outcome:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.{number // 250}.{number % 250 + 1}"
    added = client.post("/cart/add", data={"product_id": product_id, "quantity": "1"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/cart")
    token = CSRF_META.search(client.get("/cart").get_data(as_text=True)).group(1)
    start.wait(timeout=60)
    response = client.post("/checkout", data={**CHECKOUT, "csrf_token": token})
    location = response.headers.get("Location", "")
    page = client.get(location).get_data(as_text=True) if location else ""
    return Outcome(response.status_code, location, page)


def test_fifty_jars_two_hundred_shoppers_exactly_fifty_orders(app, ctx):
    product = ProductFactory(name="Sambal Roa Cikupa", price=38_000)
    receive(product, IN_STOCK)
    product_id = product.id
    db.session.commit()

    start = threading.Barrier(SHOPPERS)
    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        futures = [pool.submit(_shopper, app, n, product_id, start) for n in range(SHOPPERS)]
        outcomes = [future.result() for future in futures]

    placed = [o for o in outcomes if o.status == 302 and "/orders/GTG-" in o.location]
    turned_away = [o for o in outcomes if o.status == 302 and o.location.endswith("/cart")]
    assert len(placed) == IN_STOCK
    assert len(turned_away) == SHOPPERS - IN_STOCK
    # Each winner sees their order waiting for payment; each loser is told it sold out,
    # on an empty cart, not an error page.
    assert all("Menunggu pembayaran" in o.page for o in placed)
    for outcome in turned_away:
        # "habis" from the cart check, or the newer message while its translation is pending.
        assert re.search(r"Sambal Roa Cikupa (baru saja )?habis|has just sold out", outcome.page)
        assert "Keranjang Anda masih kosong" in outcome.page

    db.session.expire_all()
    numbers = [re.search(r"/orders/(GTG-\d{6}-\d{4})", o.location).group(1) for o in placed]
    assert len(set(numbers)) == IN_STOCK
    orders = db.session.scalars(select(Order)).all()
    assert sorted(o.number for o in orders) == sorted(numbers)
    assert all(o.status == OrderStatus.PENDING_PAYMENT for o in orders)
    assert all(o.reservation.status == "active" for o in orders)
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == IN_STOCK

    level = db.session.scalar(select(StockLevel).where(StockLevel.product_id == product_id))
    assert level.on_hand == IN_STOCK and level.reserved == IN_STOCK
    assert available_quantity(product_id) == 0
    checked, mismatches = verify_ledger()
    assert checked == 1 and mismatches == []


def _writer_elsewhere(app, seconds: float, started: threading.Event) -> threading.Thread:
    """Another action holding SQLite's write lock for `seconds` (a long stock count, say)."""

    def hold():
        with app.app_context(), unit_of_work():
            db.session.execute(text("UPDATE settings SET value = value"))
            started.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert started.wait(5)
    return thread


def _checkout_one(app, product_id):
    client = Client(app.test_client())
    client.post("/cart/add", data={"product_id": product_id, "quantity": "1"})
    token = client.csrf_token("/checkout")
    return client, lambda: client.post("/checkout", data={**CHECKOUT, "csrf_token": token})


def _sqlite_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL locks rows")


def test_a_checkout_that_meets_a_busy_database_waits_its_turn(app, ctx):
    _sqlite_only(app)
    product = ProductFactory(name="Sambal Roa Cikupa", price=38_000)
    receive(product, 2)
    client, place = _checkout_one(app, product.id)
    other = _writer_elsewhere(app, 1.0, threading.Event())
    response = place()
    other.join()
    assert response.status_code == 302 and "/orders/GTG-" in response.headers["Location"]
    assert "Menunggu pembayaran" in client.get(response.headers["Location"]).get_data(True)
    assert available_quantity(product.id) == 1


def test_a_checkout_that_keeps_meeting_a_busy_database_is_told_to_try_again(app, ctx, monkeypatch):
    _sqlite_only(app)
    product = ProductFactory(name="Sambal Roa Cikupa", price=38_000)
    receive(product, 2)
    client, place = _checkout_one(app, product.id)
    # Two turns in the queue of a quarter second each, instead of five of five seconds.
    monkeypatch.setattr(database, "BEGIN_ATTEMPTS", 2)
    event.listen(db.engine, "connect", _short_busy_timeout)
    db.engine.dispose()
    other = _writer_elsewhere(app, 2.0, threading.Event())
    response = place()
    other.join()
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "sangat ramai" in page or "very busy" in page
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert available_quantity(product.id) == 2
    # The cart is kept, so trying again is one press of the button.
    assert "Sambal Roa Cikupa" in client.get("/cart").get_data(as_text=True)
    assert verify_ledger()[1] == []


def _short_busy_timeout(dbapi_connection, connection_record):
    dbapi_connection.execute("PRAGMA busy_timeout=250")
