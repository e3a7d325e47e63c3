"""Caches for the catalogue: whole pages for anonymous shoppers, the same pages with holes for
everyone else (signed in, a cart, a message), and a few slow lists (the vendor filter's makers,
the spotlight's candidates).

A catalogue page (home, listing, category, search, product, vendor) is kept for
CATALOG_CACHE_SECONDS (default 60) and served again to anyone who sends no cookie but the
language one, keyed by full URL, language, WIB date and the shop settings' version (a saved
setting shows at once). A product page's chosen size or colour is in its URL
(`?ukuran=…`, shop/picker.py), so each choice is kept as its own page. Such a visitor has no
session — not signed in, no cart, no flashed message — so the page cannot show anything of
theirs. A page is only kept if it was answered 200, and if answering it set no cookie (for
example when a template put something in the session). Stock badges on a cached page can be
up to a minute old; `ledger.reserve` at checkout is what guarantees stock (docs/decisions.md).

A visitor with a session (signed in, a cart, a flashed message) gets the same page, kept
once for everyone with three holes: the CSRF `<meta>` tag, the header's cart count and account
menu, and the flashed messages (`templates/personal/`). The kept copy is rendered with markers
in their place (`personal_holes()` is true while it renders), and every request fills them from
its own session, so the grid, the product body and the category and filter lists are rendered
once, the personal parts each time (a few small queries and templates). It is keyed like the
anonymous page, but by the language actually chosen (an account may have its own). A page is
not kept when rendering it used the visitor's session: a CSRF token in the body, or a view that
marks the page as the viewer's own (`personal_page()`: a vendor's preview of an unlisted
product).

Both kinds of page are also keyed by the catalogue version (the internal setting
`catalog_version`, read with the other settings once per request, so every worker on every
machine sees a change at once, with or without Redis). `_note_catalogue_change` replaces it in
the same transaction as any change to a product (price, status, text, photos, its sizes and
colours and their prices), a permit, a
vendor, a category or a markdown, and whenever a batch's available stock reaches zero or comes
back from it: a new price or a sold-out product shows on the next request, not a minute later.
The exact number left (“3 left”) may still be up to a minute old on a kept page.

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
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from storefront import cache
from storefront.catalog.models import (
    Product,
    ProductOption,
    ProductOptionValue,
    ProductPermit,
    ProductPhoto,
    ProductVariant,
)
from storefront.categories import Category
from storefront.clock import today_wib
from storefront.i18n import LANG_COOKIE, current_language, language_from
from storefront.settings.services import bump_catalog_version, get_settings
from storefront.stock.models import Markdown, StockLevel
from storefront.vendors.models import Vendor

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
# The parts of a page that are the visitor's own (templates/personal/<name>.html).
HOLES = ("csrf_meta", "account", "flashes")
HOLE = "<!--personal:{}-->"
# Changes to these show on catalogue pages: any of them gives the catalogue a new version
# (a size's price difference, a size switched off or approved, an option renamed too).
CATALOGUE_MODELS = (
    Product,
    ProductVariant,
    ProductOption,
    ProductOptionValue,
    ProductPermit,
    ProductPhoto,
    Vendor,
    Category,
    Markdown,
)
_listening = False
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
    app.after_request(_keep_and_fill)
    request_finished.connect(_store, app, weak=False)
    app.teardown_request(_release_render_lock)
    app.add_template_global(page_cache_candidate)
    app.add_template_global(personal_holes)
    global _listening
    if not _listening:  # one listener per process, whatever the number of apps (tests)
        event.listen(Session, "before_flush", _note_catalogue_change)
        _listening = True


def versions_key(settings_version: str, catalog_version: str, endpoint, view_args) -> str:
    """What a kept page's key takes from the shop's state. The settings version: a page shows
    the outlet's name, hours and WhatsApp number, and a change an admin saves must show at once
    on every worker, not a minute later. The catalogue version: the same for prices, products
    and stock running out."""
    key = f"{settings_version}:{catalog_version}"
    if endpoint == "shop.vendor_page":
        # What the maker page shows from other parts (the cohort badge) purges it by a new
        # generation of the vendor's page (`cache.new_generation`).
        slug = (view_args or {}).get("slug", "")
        key = f"{key}:{cache.generation(cache.vendor_page_generation(slug))}"
    return key


def page_key(kind: str, language: str, versions: str, url: str) -> str:
    """`kind` "page": a whole page for visitors without a session; "holes": the page with holes
    for everyone else. Keyed by the WIB date too (what a page shows can change at midnight)."""
    return f"{kind}:{language}:{today_wib().isoformat()}:{versions}:{url}"


def _versions() -> str:
    versions = get_settings("settings_version", "catalog_version")
    return versions_key(
        versions["settings_version"],
        versions["catalog_version"],
        request.endpoint,
        request.view_args,
    )


def _page_key() -> str:
    # A visitor without a session: the cookie's language, else the shop's default.
    return page_key(
        "page", language_from(request.cookies.get(LANG_COOKIE)), _versions(), request.url
    )


def _shared_key() -> str:
    """The key of the page with holes: the language chosen for this visitor (a signed-in
    shopper's own, or the cookie's), so it is looked up only after the session is known."""
    return page_key("holes", current_language(), _versions(), request.url)


def personal_holes() -> bool:
    """True while a page is rendered to be kept with holes (templates leave the visitor's own
    parts out and put a marker in their place)."""
    return bool(getattr(g, "page_holes_key", None))


def personal_page() -> None:
    """Called by a view whose page shows something of the viewer's own (a vendor's preview of
    an unlisted product): the page is not kept for others."""
    g.page_is_personal = True


def _fill_holes(body: str) -> str:
    """The visitor's own parts, rendered now, in place of the markers (one template context
    for the three: the context processors run once)."""
    context: dict = {}
    for name in HOLES:
        marker = HOLE.format(name)
        if marker not in body:
            continue
        if not context:
            current_app.update_template_context(context)
        part = current_app.jinja_env.get_template(f"personal/{name}.html").render(context)
        body = body.replace(marker, part, 1)
    return body


def page_cache_candidate() -> bool:
    """Whether this request's page may be served from, and kept in, the page cache."""
    return bool(getattr(g, "page_cache_key", None))


def _serve_cached():
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS or not cache_seconds():
        return None
    if any(name != LANG_COOKIE for name in request.cookies):
        g.page_holes_key = key = _shared_key()
    else:
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
    if getattr(g, "page_holes_key", None):
        g.page_holes_key = None  # the holes are filled with this visitor's own parts
        body = _fill_holes(body.decode())
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


def _keep_and_fill(response):
    """A page rendered with holes: keep it for everyone (unless it used the visitor's session),
    then fill the holes for this visitor. An after_request hook, so that what the holes do to
    the session (a flashed message read, a CSRF token made) is saved with it."""
    key = getattr(g, "page_holes_key", None)
    if key is None:
        return response
    g.page_holes_key = None  # from here on templates render the visitor's parts in place
    if response.is_streamed or response.mimetype != "text/html":
        return response
    body = response.get_data(as_text=True)
    if (
        response.status_code == 200
        and not getattr(g, "page_is_personal", False)
        and "csrf_token" not in g  # the body holds this session's token
        and "Set-Cookie" not in response.headers
    ):
        # Kept by `_store` once the response is final: with the headers every hook added (the
        # hit path in storefront/shop/front_door.py serves them as they are).
        g.page_holes_keep = (key, body.encode(), response.status_code)
    response.set_data(_fill_holes(body))
    return response


def _note_catalogue_change(session, flush_context, instances) -> None:
    """Before a flush: when it changes what catalogue pages show, give the catalogue a new
    version in the same transaction (see the module's docstring)."""
    if session.info.get("catalog_version_bumped"):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, StockLevel):
            changed = _availability_crossed_zero(obj, new=obj in session.new)
        else:
            changed = isinstance(obj, CATALOGUE_MODELS) and (
                obj in session.new or obj in session.deleted or session.is_modified(obj)
            )
        if changed:
            session.info["catalog_version_bumped"] = True
            bump_catalog_version(session)
            return


def _availability_crossed_zero(level: StockLevel, *, new: bool) -> bool:
    now = (level.on_hand or 0) - (level.reserved or 0)
    if new:
        return now > 0
    state = inspect(level)
    before = []
    for name in ("on_hand", "reserved"):
        history = state.attrs[name].history
        before.append(history.deleted[0] if history.deleted else getattr(level, name))
    return (before[0] - before[1] > 0) != (now > 0)


def _reset_bump(session, *_args) -> None:
    session.info.pop("catalog_version_bumped", None)


event.listen(Session, "after_commit", _reset_bump)
event.listen(Session, "after_rollback", _reset_bump)
event.listen(Session, "after_soft_rollback", _reset_bump)


def _store(sender, response, **extra) -> None:
    """After the response is final (session saved, every after_request run): keep a page with
    holes `_keep_and_fill` chose, or an anonymous page if it is a plain 200 that set no
    cookie. Either is kept with its final headers."""
    holes = g.pop("page_holes_keep", None)
    if holes is not None:
        # The visitor's own cookie (a session saved with a read message) is not the page's.
        key, body, status = holes
        headers = [
            (name, value)
            for name, value in response.headers
            if name not in ("Content-Length", "Set-Cookie")
        ]
        cache.set(key, (body, status, headers), timeout=cache_seconds())
        return
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
