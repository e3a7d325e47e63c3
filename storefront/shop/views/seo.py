"""/sitemap.xml and /robots.txt: what search engines may crawl and where the pages are."""

from __future__ import annotations

from xml.sax.saxutils import escape  # nosec B406 # escape() writes the sitemap; nothing parses XML

from flask import Response

from storefront.auth.access import public
from storefront.links import external_url
from storefront.shop import bp
from storefront.shop.seo import sitemap_entries

# Pages for people with an account, forms and the cart: nothing a search result should open.
# Rules match by prefix, so the vendor portal is "/vendor" exactly plus "/vendor/": a bare
# "/vendor" would also hide the public maker pages at /vendors/<slug>.
DISALLOWED = ("/account", "/manage", "/vendor$", "/vendor/", "/partner/apply", "/cart")
CACHE_FOR = "public, max-age=3600"


@bp.route("/sitemap.xml")
@public
def sitemap():
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, updated in sitemap_entries():
        lastmod = f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else ""
        lines.append(f"<url><loc>{escape(url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    response = Response("\n".join(lines) + "\n", mimetype="application/xml")
    response.headers["Cache-Control"] = CACHE_FOR
    return response


@bp.route("/robots.txt")
@public
def robots():
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines.append(f"Sitemap: {external_url('shop.sitemap')}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = CACHE_FOR
    return response
