"""Response headers that every page carries, the hosts a production shop answers to, and
`@no_store` for pages with personal data."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, current_app, request
from werkzeug.sansio.utils import host_is_trusted

from storefront.links import public_origin

# No inline script or style anywhere: all JavaScript and CSS are files under static/.
# Chromium applies form-action to the redirects that follow a form POST too: the checkout form
# posts here and is redirected to Stripe Checkout, so Stripe's origin must be allowed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://checkout.stripe.com",
        "frame-ancestors 'none'",
    ]
)


# Private files (files.send_private) carry the same header.
NO_STORE = "private, no-store"


def no_store(view: Callable) -> Callable:
    """The page shows someone's personal data in full (NIK, NPWP, bank account, an order's
    name, phone and address): no browser, proxy or back-button cache may keep a copy.

    A flag on the view, read after the request, so it holds for every answer the view gives
    (a form re-shown with errors, a redirect). Works above or below `@role_required`.
    """
    view.no_store = True
    return view


def _wants_no_store() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "no_store", False))


def register_host_check(app) -> None:
    """In production, answer only for the public address and TRUSTED_HOSTS: 400 for any other
    Host header. Links never come from the Host header anyway (storefront/links.py); this keeps
    a forged one from reaching any page, cache key or log line.

    `/healthz` answers whatever the host, so a load balancer or `curl http://127.0.0.1:8000/
    healthz` on the server can check the shop; it tells only whether the database answers.
    Registered before every other hook, so nothing runs for a refused request."""
    hosts = app.config.get("PUBLIC_HOSTS")
    if not hosts:
        return

    @app.before_request
    def refuse_foreign_hosts():
        if request.endpoint == "shop.healthz":
            return
        if not host_is_trusted(request.host, hosts):
            abort(400)


def same_site_path(url: str | None) -> str | None:
    """The path and query of `url` when it points at this shop (this host or the public
    address), else None: what a form's Referer may send someone back to."""
    parts = urlsplit(url or "")
    if not parts.path.startswith("/") or parts.netloc not in {
        request.host,
        urlsplit(public_origin()).netloc,
    }:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_cross_site_request() -> bool:
    """Whether the browser says this request was sent by another site's page: `Sec-Fetch-Site:
    cross-site`, or an `Origin` that is neither this host nor the public address (`null`
    included). Browsers too old to send either are let through."""
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    origin = origin.strip().lower()
    return origin != public_origin() and urlsplit(origin).netloc != request.host.lower()


def register_security_headers(app) -> None:
    @app.after_request
    def add_headers(response):
        headers = response.headers
        if _wants_no_store():
            headers["Cache-Control"] = NO_STORE
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
