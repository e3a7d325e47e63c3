"""Per-process caches for the catalogue: whole pages for anonymous shoppers, and a few slow
lists (the vendor filter's makers, the spotlight's candidates).

A catalogue page (home, listing, category, search, product, vendor) is kept for
CATALOG_CACHE_SECONDS (default 60) and served again to anyone who sends no cookie but the
language one, keyed by full URL, language, WIB date and the shop settings' version (a saved
setting shows at once). Such a visitor has no session — not signed in, no cart, no flashed
message — so the page cannot show anything of theirs. A page is
only kept if it was answered 200, and if answering it set no cookie (for example when a
template put something in the session). Stock badges on a cached page can be up to a minute
old; `ledger.reserve` at checkout is what guarantees stock (docs/decisions.md).

The pages live in the shop's one cache (storefront/cache.py): each worker's memory by default,
Redis shared by every worker and machine when CACHE_REDIS_URL is set; with Redis unreachable a
page is a miss and is rendered. CATALOG_CACHE_SECONDS = 0 (a setting, or an environment
variable) turns the page cache off, CATALOG_LIST_CACHE_SECONDS = 0 the lists' cache. Both
are 0 under TESTING, so tests see every change at once (tests/integration/test_page_cache.py
turns them on).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, request, request_finished
from werkzeug.wrappers import Response

from storefront import cache
from storefront.clock import today_wib
from storefront.i18n import LANG_COOKIE
from storefront.settings.services import settings_version

CACHED_ENDPOINTS = frozenset(
    {
        "shop.home",
        "shop.search",
        "shop.category",
        "shop.product",
        "shop.vendor_page",
    }
)
HIT_HEADER = "X-Page-Cache"
# A fixed pool of locks (pages hash onto them), so the pool never grows with the URLs seen.
_RENDER_LOCKS = [threading.Lock() for _ in range(64)]
RENDER_WAIT_SECONDS = 10
# How often a worker waiting for another worker's render looks for the page (shared cache).
RENDER_POLL_SECONDS = 0.05

T = TypeVar("T")


def cache_seconds() -> int:
    return int(current_app.config.get("CATALOG_CACHE_SECONDS", 0) or 0)


def cached(key: str, compute: Callable[[], T], seconds: int | None = None) -> T:
    """`compute()`, kept under `key` for `seconds` (default CATALOG_LIST_CACHE_SECONDS). Values
    must pickle: plain tuples and ids, not ORM rows."""
    default = int(current_app.config.get("CATALOG_LIST_CACHE_SECONDS", 0) or 0)
    if not default:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=seconds or default)
    return value


def init_app(app: Flask) -> None:
    """Called by `shop.init_app`: the hooks that serve and keep whole pages."""
    default = 0 if app.config.get("TESTING") else 60
    for name in ("CATALOG_CACHE_SECONDS", "CATALOG_LIST_CACHE_SECONDS"):
        app.config.setdefault(name, int(os.environ.get(name, default)))
    app.before_request(_serve_cached)
    request_finished.connect(_store, app, weak=False)
    app.teardown_request(_release_render_lock)
    app.add_template_global(page_cache_candidate)


def _page_key() -> str:
    languages = current_app.config["LANGUAGES"]
    language = request.cookies.get(LANG_COOKIE)
    if language not in languages:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    # The settings version: a page shows the outlet's name, hours and WhatsApp number, and a
    # change an admin saves must show at once on every worker, not a minute later.
    version = settings_version()
    if request.endpoint == "shop.vendor_page":
        # What the maker page shows from other parts (the cohort badge) purges it by a new
        # generation of the vendor's page (`cache.new_generation`).
        slug = (request.view_args or {}).get("slug", "")
        version = f"{version}:{cache.generation(cache.vendor_page_generation(slug))}"
    return f"page:{language}:{today_wib().isoformat()}:{version}:{request.url}"


def page_cache_candidate() -> bool:
    """Whether this request's page may be served from, and kept in, the page cache."""
    return bool(getattr(g, "page_cache_key", None))


def _serve_cached():
    if (
        request.method != "GET"
        or request.endpoint not in CACHED_ENDPOINTS
        or not cache_seconds()
        or any(name != LANG_COOKIE for name in request.cookies)
    ):
        return None
    g.page_cache_key = key = _page_key()
    hit = cache.get(key)
    if hit is None:
        # Only one thread of this worker renders a missing page; the others wait for it and
        # serve what it kept, instead of all rendering the same slow page at once whenever it
        # expires (a 0.5 s search page at 100k products queued every thread behind it).
        lock = _RENDER_LOCKS[hash(key) % len(_RENDER_LOCKS)]
        if not lock.acquire(timeout=RENDER_WAIT_SECONDS):
            return None
        g.page_cache_lock = lock
        hit = cache.get(key)
        if hit is None:
            hit = _render_or_wait(key)
            if hit is None:
                return None
        _release_render_lock()
    g.page_cache_hit = True
    body, status, headers = hit
    response = Response(body, status=status, headers=headers)
    response.headers[HIT_HEADER] = "hit"
    return response


def _render_or_wait(key: str):
    """With a shared cache, one worker of all the machines renders a missing page: take the
    shared lock and return None (render it), or wait for the worker holding it to keep the page
    and return that. If it keeps nothing (the page set a cookie) or takes too long, render."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while True:
        token = cache.acquire_lock(key, RENDER_WAIT_SECONDS)
        if token is not None:
            g.page_cache_shared_lock = (key, token)
            return None
        if time.monotonic() >= deadline:
            return None
        time.sleep(RENDER_POLL_SECONDS)
        hit = cache.get(key)
        if hit is not None:
            return hit


def _release_render_lock(*_args) -> None:
    shared = g.pop("page_cache_shared_lock", None)
    if shared is not None:
        cache.release_lock(*shared)
    lock = g.pop("page_cache_lock", None)
    if lock is not None:
        lock.release()


def _store(sender, response, **extra) -> None:
    """After the response is final (session saved, every after_request run): keep it if it is
    a plain 200 page that set no cookie."""
    key = getattr(g, "page_cache_key", None)
    if (
        key is None
        or getattr(g, "page_cache_hit", False)
        or response.status_code != 200
        or response.is_streamed
        or "Set-Cookie" in response.headers
    ):
        return
    headers = [(name, value) for name, value in response.headers if name != "Content-Length"]
    cache.set(key, (response.get_data(), response.status_code, headers), timeout=cache_seconds())
