"""Jinja filters and globals: the one money filter, WIB dates, static URLs, outlet details."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import current_app, g, request, url_for
from flask_babel import format_date, format_datetime
from sqlalchemy.exc import SQLAlchemyError

from storefront.extensions import db
from storefront.i18n import current_language, localized
from storefront.money import format_rupiah
from storefront.phones import display_phone, whatsapp_link
from storefront.settings.services import DEFAULTS, get_settings

LAYOUT_SETTINGS = (
    "outlet_name",
    "outlet_address",
    "opening_hours_id",
    "opening_hours_en",
    "whatsapp",
    "outlet_email",
)


@cache
def _file_hash(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so a changed file is fetched again."""
    path = Path(current_app.static_folder) / filename
    try:
        version = _file_hash(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, v=version)


def outlet() -> dict[str, str]:
    """Outlet details for the header and footer, read once per request."""
    if "outlet" not in g:
        try:
            values = get_settings(*LAYOUT_SETTINGS)
        except SQLAlchemyError:
            # An error page must still render when the database is the problem.
            db.session.rollback()
            values = {key: DEFAULTS[key] for key in LAYOUT_SETTINGS}
        values["opening_hours"] = localized(values["opening_hours_id"], values["opening_hours_en"])
        values["whatsapp_link"] = whatsapp_link(values["whatsapp"])
        values["whatsapp_display"] = display_phone(values["whatsapp"])
        g.outlet = values
    return g.outlet


def url_with_lang(code: str) -> str:
    return url_for("pages.set_language", code=code, next=request.full_path.rstrip("?"))


def register_template_helpers(app) -> None:
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) + " WIB" if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.globals.update(
        static_url=static_url,
        outlet=outlet,
        current_language=current_language,
        url_with_lang=url_with_lang,
        whatsapp_link=whatsapp_link,
    )
