"""Search suggestions for the header search box (static/js/suggest.js fills a <datalist>)."""

from __future__ import annotations

from flask import jsonify, request

from storefront.auth.access import public
from storefront.catalog.search import suggest
from storefront.shop import bp

# Suggestions change only when products do; a minute in the browser's cache spares the server
# a request for every repeated keystroke (only visible products' names, so public).
SUGGEST_MAX_AGE = 60


@bp.route("/search/suggest")
@public
def search_suggest():
    response = jsonify(suggestions=suggest(request.args.get("q", "")))
    response.cache_control.public = True
    response.cache_control.max_age = SUGGEST_MAX_AGE
    return response
