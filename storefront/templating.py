"""Jinja filters and globals: the one money filter, WIB dates, static URLs, outlet details."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import current_app, g, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from storefront.dates import date_text, datetime_text
from storefront.extensions import db
from storefront.i18n import current_language, localized
from storefront.links import external_url
from storefront.money import format_percent, format_rupiah
from storefront.phones import display_phone, whatsapp_link
from storefront.settings.services import DEFAULTS, get_settings
from storefront.uploads import media_url, upload_max_bytes

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


def static_url(filename: str, *, external: bool = False) -> str:
    """URL of a static file with a content hash, so a changed file is fetched again;
    `external` makes it absolute on the public address (link previews)."""
    build = external_url if external else url_for
    path = Path(current_app.static_folder) / filename
    try:
        version = _file_hash(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return build("static", filename=filename)
    return build("static", filename=filename, v=version)


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


def photo_url(photo, width: int = 640) -> str:
    """URL of the stored variant closest to `width` (never smaller when one is available)."""
    widths = sorted(int(w) for w in photo_widths(photo))
    chosen = next((w for w in widths if w >= width), widths[-1])
    return media_url(f"{photo_key(photo)}-{chosen}.webp")


def photo_srcset(photo) -> str:
    return ", ".join(
        f"{media_url(f'{photo_key(photo)}-{w}.webp')} {w}w" for w in photo_widths(photo)
    )


def photo_key(photo) -> str:
    return photo.image_key


def photo_widths(photo) -> list[str]:
    widths = getattr(photo, "widths", None)
    return widths.split(",") if isinstance(widths, str) else [str(w) for w in widths]


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def url_with_lang(code: str) -> str:
    return url_for("shop.set_language", code=code, next=request.full_path.rstrip("?"))


def register_template_helpers(app) -> None:
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["datetime"] = datetime_text
    app.jinja_env.filters["date"] = date_text
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.globals.update(
        static_url=static_url,
        outlet=outlet,
        current_language=current_language,
        url_with_lang=url_with_lang,
        whatsapp_link=whatsapp_link,
        media_url=media_url,
        upload_max_bytes=upload_max_bytes,
        photo_url=photo_url,
        photo_srcset=photo_srcset,
        has_endpoint=has_endpoint,
    )
