"""Kept catalogue pages served before Flask: the page cache's hit path for the two visitors
who make most requests, an anonymous shopper and a signed-in one (issue 19).

A hit through Flask costs more than the page itself: a request context, the session, the
user's ORM object, the settings' ORM query, every before- and after-request hook, and three
small templates for the visitor's own parts (docs/performance.md). This WSGI layer sits
between WhiteNoise and Flask and answers a GET for a kept page with one database round trip
(the two versions a key needs, and the signed-in user's row) and one cache read:

- no cookie but the language one: the whole kept page, as `page_cache._serve_cached` would;
- a signed-in session: the page kept with holes, filled with fragments rendered once per
  process for each language, role and "cart empty or not" (the same templates as the Flask
  path, with placeholders for the first name, the CSRF token and the cart count).

Anything else goes to Flask unchanged, which then serves the page (from the cache or not) as
before: a miss, a cookie it does not know, a remember-me cookie with no session, a session not
signed in (a guest's cart), a session with a message to show, a permanent session, one without
a CSRF token or a cart count for this user, one that Flask-Login's protection would mark not
fresh, an account no longer active or signed out
everywhere (Flask then signs the session out), a URL that is not a catalogue page, and any
error here (the database or Redis gone: logged at debug level, Flask answers as it would).
So nothing is ever served here that Flask would not have served from the same cache entry,
and the entry's headers are the final headers of the response that kept it
(`page_cache._store`). tests/integration/test_front_door.py compares both paths byte for
byte. `PAGE_CACHE_FRONT_DOOR = False` turns this layer off.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from flask import Flask
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES, parse_cookie
from werkzeug.routing import RequestRedirect

from storefront import cache
from storefront.auth.models import parse_session_id, session_still_valid
from storefront.extensions import db
from storefront.i18n import LANG_COOKIE, language_from
from storefront.settings.registry import DEFAULTS
from storefront.shop import page_cache
from storefront.templating import (
    CART_COUNT_KEY,
    FIRST_NAME,
    TOKEN,
    account_menu_html,
    first_name,
)

log = logging.getLogger(__name__)

_COUNT = "\x00cart-count\x00"
# One round trip for a hit: the two versions in every key, and the signed-in user's row
# (no row for an anonymous visitor: the id is 0).
_READ = text(
    "SELECT s1.value, s2.value, u.active, u.password_hash, u.session_version, u.role,"
    " u.locale, u.name"
    " FROM (SELECT 1 AS one) AS base"
    " LEFT JOIN settings s1 ON s1.key = 'settings_version'"
    " LEFT JOIN settings s2 ON s2.key = 'catalog_version'"
    " LEFT JOIN users u ON u.id = :user_id"
)
# A session carrying any of these needs Flask: a message to show and remove, a remember-me
# cookie to set or clear, a permanent session whose cookie Flask sends again with a new expiry.
_NEEDS_FLASK = ("_flashes", "_remember", "_permanent")


class FrontDoor:
    """WSGI middleware: `app.wsgi_app = FrontDoor(app, app.wsgi_app)` (storefront/__init__)."""

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._fragments: dict[tuple, tuple[tuple[bytes, str], ...]] = {}
        self._statement: tuple | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        config = self.app.config
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or not config.get("PAGE_CACHE_FRONT_DOOR", True)
            or not config.get("CATALOG_CACHE_SECONDS")
        ):
            return self.wsgi_app(environ, start_response)
        try:
            answer = self._answer(environ)
        except Exception:  # Flask answers instead, and reports its own errors
            log.debug("front door: left to Flask", exc_info=True)
            answer = None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    # -- one request ------------------------------------------------------------------------

    def _answer(self, environ: dict) -> tuple[str, list, bytes] | None:
        app = self.app
        cookies = parse_cookie(environ.get("HTTP_COOKIE"))
        session_cookie = app.config["SESSION_COOKIE_NAME"]
        remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        if set(cookies) - {LANG_COOKIE, session_cookie, remember_cookie}:
            return None
        if remember_cookie in cookies and session_cookie not in cookies:
            return None  # Flask-Login signs the visitor in from it
        session = None
        if session_cookie in cookies:
            session = self._session(cookies[session_cookie], environ)
            if session is None:
                return None
        with app.app_context():
            request = app.request_class(environ)
            try:
                endpoint, view_args = app.create_url_adapter(request).match()
            except (HTTPException, RequestRedirect):
                return None
            if endpoint not in page_cache.CACHED_ENDPOINTS:
                return None
            user_id = session["user_id"] if session else 0
            row = self._read(user_id)
            versions = page_cache.versions_key(
                row[0] or DEFAULTS["settings_version"],
                row[1] or DEFAULTS["catalog_version"],
                endpoint,
                view_args,
            )
            if session is None:
                language = language_from(cookies.get(LANG_COOKIE))
                kept = cache.get(page_cache.page_key("page", language, versions, request.url))
                if kept is None:
                    return None
                body, status, headers = kept
            else:
                if row[2] is None or not session_still_valid(
                    active=row[2],
                    password_hash=row[3],
                    session_version=row[4],
                    fingerprint=session["fingerprint"],
                    version=session["version"],
                ):
                    return None  # Flask signs the session out
                language = language_from(cookies.get(LANG_COOKIE), row[6])  # as select_locale
                kept = cache.get(page_cache.page_key("holes", language, versions, request.url))
                if kept is None:
                    return None
                body, status, headers = kept
                body = self._fill(
                    body,
                    script_root=request.script_root,
                    language=language,
                    role=row[5],
                    name=row[7],
                    count=session["count"],
                    token=session["token"],
                )
        headers = [
            *headers,
            ("Content-Length", str(len(body))),
            (page_cache.HIT_HEADER, "hit"),
        ]
        return f"{status} {HTTP_STATUS_CODES.get(status, '')}".rstrip(), headers, body

    def _session(self, cookie: str, environ: dict) -> dict | None:
        """What a hit needs from a signed-in session, or None when Flask must look at it."""
        app = self.app
        serializer = app.session_interface.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            data = serializer.loads(
                cookie, max_age=int(app.permanent_session_lifetime.total_seconds())
            )
        except BadSignature:
            return None
        if any(name in data for name in _NEEDS_FLASK):
            return None
        parsed = parse_session_id(data.get("_user_id") or "")
        raw_token = data.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        count = data.get(CART_COUNT_KEY)
        if parsed is None or not raw_token:
            return None
        if not (isinstance(count, list) and len(count) == 2 and count[0] == parsed[0]):
            return None
        # Flask-Login's "basic" protection marks a session used from another address or
        # browser as not fresh (a write): Flask does that once.
        if data.get("_id") != _identifier(environ) and data.get("_fresh") is not False:
            return None
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        token = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw_token)
        return {
            "user_id": parsed[0],
            "fingerprint": parsed[1],
            "version": parsed[2],
            "count": int(count[1]),
            "token": token,
        }

    def _read(self, user_id: int) -> tuple:
        """The two versions and the user's row, on a pooled connection of the shop's engine."""
        engine = db.engine
        if self._statement is None or self._statement[0] is not engine:
            compiled = _READ.compile(dialect=engine.dialect)
            self._statement = (engine, str(compiled), compiled.positiontup)
        _engine, sql, positions = self._statement
        params = {"user_id": user_id}
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, tuple(params[n] for n in positions) if positions else params)
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            connection.invalidate()
            raise
        finally:
            connection.close()
        return row

    # -- the visitor's own parts ------------------------------------------------------------

    def _fill(self, body: bytes, **visitor) -> bytes:
        parts = self._parts(
            visitor["script_root"], visitor["language"], visitor["role"], visitor["count"] > 0
        )
        values = (
            (FIRST_NAME, str(escape(first_name(visitor["name"])))),
            (TOKEN, visitor["token"]),
            (_COUNT, str(visitor["count"])),
        )
        for marker, part in parts:
            for placeholder, value in values:
                part = part.replace(placeholder, value)
            body = body.replace(marker, part.encode(), 1)
        return body

    def _parts(self, script_root: str, language: str, role: str, has_items: bool):
        """The three holes' contents for a signed-in visitor of `role`, in `language`, with
        placeholders: rendered from the same templates as the Flask path, once per process."""
        env = self.app.jinja_env
        templates = tuple(env.get_template(f"personal/{name}.html") for name in page_cache.HOLES)
        key = (script_root, language, role, has_items, tuple(map(id, templates)))
        parts = self._fragments.get(key)
        if parts is not None:
            return parts
        base_url = f"http://fragments.invalid{script_root}/"
        with self.app.test_request_context("/", base_url=base_url), force_locale(language):
            menu = Markup(account_menu_html(role))  # noqa: S704  # nosec B704 (our template)
            context = {
                "current_user": _SignedIn(role),
                "account_menu": lambda: menu,
                "cart_item_count": lambda: _COUNT if has_items else 0,
                "csrf_token": lambda: TOKEN,
                "page_cache_candidate": lambda: False,
                "get_flashed_messages": lambda **_kwargs: [],
            }
            parts = tuple(
                (page_cache.HOLE.format(name).encode(), template.render(context))
                for name, template in zip(page_cache.HOLES, templates, strict=True)
            )
        self._fragments[key] = parts
        return parts


class _SignedIn:
    """What the holes' templates read of `current_user` (the rest is in the placeholders)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, role: str):
        self.role = role


def _identifier(environ: dict) -> str:
    """Flask-Login's session identifier (`flask_login.utils._create_identifier`) from the
    WSGI environ: the first X-Forwarded-For address (or the peer's) and the User-Agent."""
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = environ.get("HTTP_USER_AGENT")
    if agent is not None:
        agent = agent.encode("utf-8")
    return hashlib.sha512(f"{address}|{agent}".encode()).hexdigest()
