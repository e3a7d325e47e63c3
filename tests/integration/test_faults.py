"""Faults the shop must survive without anyone repairing the database: a gunicorn worker
killed (SIGKILL) in the middle of checkouts, and database connections cut while shoppers
browse. Real gunicorn, real database (SQLite file or PostgreSQL), plain HTTP clients."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from storefront.database import unit_of_work, utcnow
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.orders.services import expire_unpaid_orders
from storefront.stock import ledger
from storefront.stock.ledger import available_quantity, verify_ledger
from storefront.stock.models import Reservation, StockLevel
from tests.conftest import CSRF_META
from tests.factories import ProductFactory
from tests.gunicorn_server import Gunicorn
from tests.integration.test_checkout import CHECKOUT
from tests.stock_helpers import receive

pytestmark = pytest.mark.faults

IN_STOCK = 60


def _checkout(base: str, product_id: int) -> str:
    """One shopper: a cart of two, then Place order (pay at the outlet). What happened."""
    with requests.Session() as shopper:
        shopper.post(
            f"{base}/cart/add",
            data={"product_id": product_id, "quantity": "2"},
            headers={"Origin": base},
            allow_redirects=False,
            timeout=5,
        )
        token = CSRF_META.search(shopper.get(f"{base}/cart", timeout=5).text).group(1)
        response = shopper.post(
            f"{base}/checkout",
            data={**CHECKOUT, "csrf_token": token},
            headers={"Origin": base},
            allow_redirects=False,
            timeout=5,
        )
    location = response.headers.get("Location", "")
    if "/orders/GTG-" in location:
        return "placed"
    if location.endswith("/cart"):
        return "sold out"
    return f"answered {response.status_code}"


def _shoppers(base: str, product_id: int, stop: threading.Event, outcomes: list[str]):
    def shop():
        while not stop.is_set():
            try:
                outcomes.append(_checkout(base, product_id))
            except (requests.RequestException, AttributeError):
                # The worker died under this request (no answer, or a page cut short).
                outcomes.append("cut")

    threads = [threading.Thread(target=shop) for _ in range(4)]
    for thread in threads:
        thread.start()
    return threads


def test_a_worker_killed_mid_checkout_leaves_no_half_order_and_loses_no_stock(
    app, ctx, database_url, tmp_path
):
    product = ProductFactory(name="Sambal Roa Cikupa", price=38_000)
    receive(product, IN_STOCK)
    product_id = product.id
    db.session.commit()
    server = Gunicorn(database_url, tmp_path).start()
    stop, outcomes, killed = threading.Event(), [], []
    try:
        threads = _shoppers(server.url, product_id, stop, outcomes)
        # Kill a worker again and again while four shoppers keep checking out (the other
        # worker serves while the master starts a new one): requests die wherever they are,
        # between the hold and the order, while answering, or waiting for a lock.
        for _kill in range(3):
            time.sleep(1.0)
            killed += server.kill_workers(1)
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        server.wait_healthy()  # the master replaced every killed worker
    finally:
        stop.set()
        server.stop()
    assert len(killed) == 3
    assert "placed" in outcomes and "cut" in outcomes, outcomes
    assert not [o for o in outcomes if o.startswith("answered")], outcomes

    db.session.expire_all()
    orders = db.session.scalars(select(Order)).all()
    # Every order is whole: its lines, its money and its hold all there, or no order at all.
    for order in orders:
        assert [line.quantity for line in order.lines] == [2]
        assert order.subtotal == order.total == 2 * 38_000
        held = db.session.get(Reservation, order.reservation_id)
        assert [line.quantity for line in held.lines] == [2] and held.status == "active"
    active = db.session.scalars(select(Reservation).where(Reservation.status == "active")).all()
    assert {r.id for r in active} == {o.reservation_id for o in orders}
    level = db.session.scalar(select(StockLevel).where(StockLevel.product_id == product_id))
    assert level.on_hand == IN_STOCK and level.reserved == 2 * len(orders)
    assert verify_ledger()[1] == []

    # Nobody comes to pay: the expire service releases every hold, and all the stock is back.
    later = utcnow() + timedelta(days=3)
    with app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"]), unit_of_work():
        expire_unpaid_orders(now=later)
        ledger.expire_reservations(now=later)
    db.session.expire_all()
    assert available_quantity(product_id) == IN_STOCK
    assert (
        db.session.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.status == "active")
        )
        == 0
    )
    assert verify_ledger()[1] == []


def _app_backends(database_url: str) -> int:
    """Cut every PostgreSQL connection the app's workers hold (not this test's): as if the
    database restarted under them. Returns how many were cut."""
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        cut = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND application_name = 'storefront-fault-test'"
            )
        ).scalar()
    admin.dispose()
    return cut


def test_the_shop_recovers_when_its_database_connections_are_cut(app, ctx, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("cuts PostgreSQL connections (SQLite has none to cut)")
    product = ProductFactory(name="Kopi Robusta Bubuk", price=45_000, slug="kopi-robusta")
    receive(product, 5)
    db.session.commit()
    tagged = database_url + ("&" if "?" in database_url else "?")
    server = Gunicorn(
        tagged + "application_name=storefront-fault-test",
        tmp_path,
        CATALOG_CACHE_SECONDS="0",  # every page from the database
    ).start()
    try:
        pages = ["/", "/product/kopi-robusta", "/search?q=kopi", "/healthz"]
        for url in pages * 3:  # every worker and thread opens its connections
            assert requests.get(server.url + url, timeout=10).status_code == 200
        for _round in range(3):
            assert _app_backends(database_url) > 0
            # pool_pre_ping finds each dead connection before a request uses it: no error page.
            for url in pages * 3:
                response = requests.get(server.url + url, timeout=10)
                assert response.status_code == 200, (url, response.text[:500])
            assert re.search("Kopi Robusta Bubuk", requests.get(server.url + "/", timeout=10).text)
    finally:
        server.stop()
