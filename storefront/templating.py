"""Jinja filters and globals: the one money filter, WIB dates, static URLs, outlet details."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from flask import current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
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


_SLUG_PLACEHOLDER = "slug-placeholder"
_PLAIN_SLUG = re.compile(r"^[A-Za-z0-9._~-]+$")


def slug_url(endpoint: str, slug: str) -> str:
    """`url_for(endpoint, slug=slug)` for the links of a list (24 product cards link to their
    product and maker): the URL is built once per request and endpoint and the slug put in, as
    long as it needs no quoting (every slug the shop makes); any other is left to url_for."""
    if not _PLAIN_SLUG.match(slug or ""):
        return url_for(endpoint, slug=slug)
    built = g.setdefault("slug_urls", {})
    parts = built.get(endpoint)
    if parts is None:
        parts = built[endpoint] = url_for(endpoint, slug=_SLUG_PLACEHOLDER).split(
            _SLUG_PLACEHOLDER, 1
        )
    return f"{parts[0]}{slug}{parts[1]}"


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


# Where a signed-in shopper's session keeps the header's cart count, [user id, count]: written
# by orders/cart.py, read by the header and by the kept-page path (shop/front_door.py).
CART_COUNT_KEY = "cart_n"

# The account menu as rendered for a language and role, with placeholders (`account_menu`).
_ACCOUNT_MENUS: dict[tuple[int, str, str, str], str] = {}
FIRST_NAME, TOKEN = "\x00first-name\x00", "\x00csrf-token\x00"


def account_menu_html(role: str) -> str:
    """The account menu of `role` in the current language, with `FIRST_NAME` and `TOKEN` in
    place of the visitor's first name and CSRF token; rendered once per process."""
    # The template object changes when its file is edited while developing (auto reload).
    template = current_app.jinja_env.get_template("personal/_account_menu.html")
    key = (id(template), current_language(), role, request.script_root)
    html = _ACCOUNT_MENUS.get(key)
    if html is None:
        html = template.render(role=role, first_name=FIRST_NAME, token=TOKEN)
        _ACCOUNT_MENUS[key] = html
    return html


def first_name(name: str | None) -> str:
    return (name or "").split(" ")[0]


def account_menu() -> Markup:
    """The signed-in header's account menu. Its links and words are the same for everyone of
    one role in one language, so they are rendered once per process (a signed-in page spent
    more time on this menu's `url_for` and `_()` calls than on anything else of its own,
    bench/profile_page.py); each request puts in the first name and its CSRF token."""
    # Our own template's autoescaped output; Markup.replace escapes what it puts in.
    menu = Markup(account_menu_html(current_user.role))  # noqa: S704  # nosec B704
    return menu.replace(FIRST_NAME, first_name(current_user.name)).replace(TOKEN, generate_csrf())


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
        account_menu=account_menu,
        slug_url=slug_url,
    )
