"""The home page, the language switch and the health check."""

from __future__ import annotations

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from storefront import cache
from storefront.auth.access import public
from storefront.categories import all_categories
from storefront.database import ensure_write_lock
from storefront.extensions import db, limiter
from storefront.i18n import LANG_COOKIE
from storefront.navigation import safe_next
from storefront.shop import bp
from storefront.shop.browse import featured_products, new_arrivals, spotlight_vendors
from storefront.stock import markdowns


@bp.route("/")
@public
def home():
    featured = featured_products()
    products = new_arrivals(exclude=[p.id for p in featured])
    stock, marked = markdowns.listing_stock([*featured, *products])
    return render_template(
        "shop/home.html",
        categories=all_categories(),
        featured=featured,
        products=products,
        vendors=spotlight_vendors(),
        stock=stock,
        marked=marked,
    )


@bp.route("/lang/<code>")
@public
def set_language(code: str):
    """Switch language and remember it: a year-long cookie, and the account if signed in."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    response = redirect(safe_next(url_for("shop.home")))
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    if current_user.is_authenticated and current_user.locale != code:
        ensure_write_lock()  # a link (GET) that writes
        current_user.locale = code
    g.lang_override = code
    return response


@bp.route("/healthz")
@limiter.exempt
@public
def healthz():
    """503 when the database does not answer (take this machine out of rotation). A shared
    cache (Redis) that does not answer is reported but leaves the answer 200: the shop serves
    without it, and every machine shares it, so failing them all would stop the shop."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure means the store cannot serve; report, do not crash
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        database = "error"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database}
    redis_answers = cache.ping()
    if redis_answers is not None:
        body["cache"] = "ok" if redis_answers else "error"
        if not redis_answers:
            body["status"] = "degraded"
    if request.args.get("verbose") and current_app.debug:
        body["engine"] = db.engine.dialect.name
    return jsonify(body), status
