"""One cache for every worker and machine (Redis, CACHE_REDIS_URL), and a shop that keeps
serving when Redis goes away. Runs on the real Redis at 127.0.0.1:6379, in a database number
and key prefix of its own; skipped where no Redis answers."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis

from storefront.auth.models import User
from storefront.extensions import db, limiter
from storefront.settings.services import save_settings
from storefront.shop.page_cache import HIT_HEADER
from tests.conftest import Client, act, empty_tables, make_app
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.stock_helpers import receive
from tests.tcp_proxy import TcpProxy

REDIS_DB = 13


@pytest.fixture
def redis_prefix():
    try:
        server = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1)
        server.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis at 127.0.0.1:6379: CI tests the shared cache on the real one")
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"test-perf-{uuid.uuid4().hex[:8]}:"
    yield prefix
    for key in server.scan_iter(match=f"{prefix}*"):
        server.delete(key)
    server.close()


def shared_config(prefix: str, port: int = 6379) -> dict:
    return {
        "CACHE_REDIS_URL": f"redis://127.0.0.1:{port}/{REDIS_DB}",
        "CACHE_KEY_PREFIX": prefix,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/{REDIS_DB}",
        "CACHE_RETRY_SECONDS": 0,
        "CATALOG_CACHE_SECONDS": 60,
        "CATALOG_LIST_CACHE_SECONDS": 60,
    }


@pytest.fixture
def app_config(redis_prefix):
    return shared_config(redis_prefix)


def rename_outlet(app, name: str) -> None:
    with app.app_context():
        admin = UserFactory(role="admin")
        act(save_settings, admin, {"outlet_name": name})


def test_two_app_instances_share_their_pages_and_a_settings_purge(
    app, database_url, tmp_path, redis_prefix
):
    with app.app_context():
        receive(ProductFactory(name="Kopi Robusta Bubuk", price=45000), 5)
        db.session.commit()
    other = make_app(database_url, tmp_path / "other", **shared_config(redis_prefix))
    first, second = Client(app.test_client()), Client(other.test_client())

    assert HIT_HEADER not in first.get("/").headers
    # The other machine never rendered the home page: it has it from the shared cache.
    assert second.get("/").headers[HIT_HEADER] == "hit"

    rename_outlet(app, "Gerai Cikupa Baru")
    # The change purged the settings every worker reads (a new generation in Redis) and gave
    # the pages new keys: the other instance shows the new name at once.
    page = second.get("/")
    assert HIT_HEADER not in page.headers
    assert "Gerai Cikupa Baru" in page.get_data(as_text=True)
    assert first.get("/").headers[HIT_HEADER] == "hit"
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_pages_are_still_served_when_redis_goes_away_mid_run(
    database_url, tmp_path, redis_prefix, _schema, caplog
):
    proxy = TcpProxy("127.0.0.1", 6379).start()
    app = make_app(database_url, tmp_path, **shared_config(redis_prefix, proxy.port))
    try:
        with app.app_context():
            empty_tables()
            receive(ProductFactory(name="Kopi Robusta Bubuk", price=45000, slug="kopi"), 5)
            db.session.commit()
        client = Client(app.test_client())
        assert client.get("/product/kopi").status_code == 200
        assert client.get("/product/kopi").headers[HIT_HEADER] == "hit"

        proxy.stop()  # Redis is gone: closed port, every connection dropped
        started = time.monotonic()
        for url in ("/product/kopi", "/", "/search?q=kopi", "/product/kopi", "/account/login"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert HIT_HEADER not in response.headers
        assert time.monotonic() - started < 5
        # Rate-limited forms still answer (their counts move to each worker's memory).
        login = Client(app.test_client()).login("x@example.com", "wrong")
        assert login.status_code in (200, 302)
        rename_outlet(app, "Gerai Tanpa Redis")
        assert "Gerai Tanpa Redis" in client.get("/").get_data(as_text=True)
        warnings = [r for r in caplog.records if r.name == "storefront.cache"]
        assert warnings and "serving without the cache" in warnings[0].getMessage()

        proxy.start()  # Redis is back on the same address: the cache is used again
        shopper = Client(app.test_client())
        shopper.get("/product/kopi")
        assert shopper.get("/product/kopi").headers[HIT_HEADER] == "hit"
    finally:
        proxy.stop()
        # The limiter is one object for the process: leave it counting in its own storage.
        limiter._storage_dead = False
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_healthz_reports_the_shared_cache_without_failing_the_machine(
    database_url, tmp_path, redis_prefix, _schema
):
    proxy = TcpProxy("127.0.0.1", 6379).start()
    app = make_app(database_url, tmp_path, **shared_config(redis_prefix, proxy.port))
    try:
        client = app.test_client()
        assert client.get("/healthz").get_json() == {
            "status": "ok",
            "database": "ok",
            "cache": "ok",
        }
        proxy.stop()
        response = client.get("/healthz")
        # Every machine shares the one Redis: taking them all out of rotation would stop the
        # shop, which serves (slower) without it.
        assert response.status_code == 200
        assert response.get_json() == {"status": "degraded", "database": "ok", "cache": "error"}
    finally:
        proxy.stop()
        limiter._storage_dead = False
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_signed_in_page_kept_on_one_machine_is_served_before_flask_on_another(
    app, database_url, tmp_path, redis_prefix
):
    """The front door (shop/front_door.py) of a second instance serves the page the first kept
    in Redis, filled with its own visitor's name; deactivating the account there takes effect
    at once on both."""
    with app.app_context():
        product = ProductFactory(name="Kopi Robusta Bubuk", price=45000)
        receive(product, 5)
        UserFactory(email="sari@example.com", name="Sari Wulandari")
        UserFactory(email="budi@example.com", name="Budi Santoso")
        db.session.commit()
        url = f"/product/{product.slug}"
    other = make_app(database_url, tmp_path / "other", **shared_config(redis_prefix))
    sari, budi = Client(app.test_client()), Client(other.test_client())
    for client, email in ((sari, "sari@example.com"), (budi, "budi@example.com")):
        assert client.login(email, PASSWORD).status_code == 302
        client.get("/cart")
    assert HIT_HEADER not in sari.get(url).headers  # rendered and kept with holes, in Redis
    page = budi.get(url)
    assert page.headers[HIT_HEADER] == "hit"
    assert "<summary>Budi</summary>" in page.get_data(as_text=True)
    assert "Sari" not in page.get_data(as_text=True)

    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="budi@example.com"))
        user.active = False
        db.session.commit()
    assert "<summary>Budi</summary>" not in budi.get(url).get_data(as_text=True)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
