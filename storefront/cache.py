"""The shop's one cache: Redis when CACHE_REDIS_URL (or REDIS_URL) is set, shared by every
worker on every machine; otherwise each worker's own memory (Flask-Caching's SimpleCache,
nothing to run beside the app).

What is kept here: whole catalogue pages for anonymous shoppers and a few slow lists
(shop/page_cache.py), the manager dashboard's past days (reports/dashboard.py), the shop
settings when the cache is shared (settings/services.py), and the lock that lets one worker
render a missing page while the others wait for it. Rate limits live in the same Redis
(Flask-Limiter's own storage, extensions.py).

A cache is never the only copy of anything: when Redis stops answering, every call here logs
once and answers as a miss (`get` -> None, `set` does nothing, a lock is granted), and for
CACHE_RETRY_SECONDS the shop does not ask Redis at all, so pages are rendered from the database,
slower but served. When Redis answers again it is used again, and that is logged too.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_caching import Cache
from redis.exceptions import RedisError

cache = Cache()
log = logging.getLogger(__name__)

EXTENSION_NAME = "storefront_cache"
# A Redis that does not answer must not hold a page for long: connecting and each reply are
# bounded, and after a failure Redis is left alone for CACHE_RETRY_SECONDS.
SOCKET_TIMEOUT_SECONDS = 0.5
_FAILURES = (RedisError, OSError)


@dataclass
class _State:
    shared: bool
    retry_seconds: float
    down_until: float = 0.0
    down: bool = False


def redis_options() -> dict[str, Any]:
    """Client options for every Redis the shop talks to (cache and rate limits)."""
    return {
        "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
    }


def init_app(app: Flask) -> None:
    url = app.config.get("CACHE_REDIS_URL") or ""
    if url:
        config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": url,
            "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX") or "storefront:",
            "CACHE_OPTIONS": redis_options(),
            "CACHE_DEFAULT_TIMEOUT": 300,
        }
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000, "CACHE_KEY_PREFIX": ""}
    cache.init_app(app, config=config)
    app.extensions[EXTENSION_NAME] = _State(
        shared=bool(url), retry_seconds=float(app.config.get("CACHE_RETRY_SECONDS", 5))
    )


def _state() -> _State:
    return current_app.extensions[EXTENSION_NAME]


def is_shared() -> bool:
    """Whether every worker sees the same cache (Redis), so a purge reaches them all."""
    return _state().shared


def _available() -> bool:
    state = _state()
    return not state.down or time.monotonic() >= state.down_until


def _failed(operation: str, exc: Exception) -> None:
    state = _state()
    if not state.down:
        log.warning(
            "cache: Redis failed on %s (%s: %s); serving without the cache for now",
            operation,
            type(exc).__name__,
            exc,
        )
    state.down = True
    state.down_until = time.monotonic() + state.retry_seconds


def _answered() -> None:
    state = _state()
    if state.down:
        state.down = False
        log.warning("cache: Redis answers again; using the cache")


def get(key: str) -> Any:
    """The kept value, or None (not kept, expired, or the cache is unreachable)."""
    if not _available():
        return None
    try:
        value = cache.get(key)
    except _FAILURES as exc:
        _failed("get", exc)
        return None
    _answered()
    return value


def set(key: str, value: Any, timeout: int) -> None:
    if not _available():
        return
    try:
        cache.set(key, value, timeout=timeout)
    except _FAILURES as exc:
        _failed("set", exc)
        return
    _answered()


def delete(key: str) -> None:
    """Forget `key`. A purge that cannot reach Redis is logged; what it kept expires on its own
    timeout, which is why nothing is kept without one."""
    if not _available():
        return
    try:
        cache.delete(key)
    except _FAILURES as exc:
        _failed("delete", exc)
        return
    _answered()


# How long a page generation is remembered: far longer than any page is kept, so a page kept
# under a generation has expired before that generation could be forgotten and come back as 0.
GENERATION_SECONDS = 24 * 3600


def generation(name: str) -> int:
    """The current generation of `name` (0 until `new_generation`): part of the key of what is
    kept about it, so a new generation is a purge of every copy, whatever its address."""
    return int(get(f"generation:{name}") or 0)


def new_generation(name: str) -> None:
    """Purge everything kept under `name`'s generation. Call it in `after_commit`. With the
    shared cache every worker sees it at once; with each worker's memory only this worker does,
    and the others' copies expire on their own timeout."""
    set(f"generation:{name}", time.time_ns(), timeout=GENERATION_SECONDS)


def vendor_page_generation(slug: str) -> str:
    """The name whose generation is part of the key of a vendor's public (maker) page, every
    page number and campaign address of it (shop/page_cache.py)."""
    return f"vendor-page:{slug}"


def ping() -> bool | None:
    """For the health check: None without a shared cache, else whether Redis answers now."""
    if not is_shared():
        return None
    try:
        cache.cache._write_client.ping()
    except _FAILURES:
        return False
    return True


def acquire_lock(name: str, seconds: int) -> str | None:
    """Take the lock `name` across every worker for at most `seconds`: a token to release it
    with, or None when someone else holds it. Without a shared cache (or with Redis down)
    there is no one to share with: the lock is granted (the caller's own process lock is what
    serialises its threads)."""
    token = secrets.token_hex(8)
    if not is_shared() or not _available():
        return token
    backend = cache.cache
    try:
        # SET NX PX in one command: a worker killed while holding the lock cannot leave it
        # behind for longer than `seconds`.
        taken = backend._write_client.set(
            f"{backend.key_prefix}lock:{name}", token, nx=True, px=int(seconds * 1000)
        )
    except _FAILURES as exc:
        _failed("lock", exc)
        return token
    _answered()
    return token if taken else None


def release_lock(name: str, token: str) -> None:
    if not is_shared() or not _available():
        return
    backend = cache.cache
    key = f"{backend.key_prefix}lock:{name}"
    try:
        if backend._write_client.get(key) == token.encode():
            backend._write_client.delete(key)
    except _FAILURES as exc:
        _failed("unlock", exc)
