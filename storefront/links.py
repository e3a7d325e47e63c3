"""Absolute URLs for links that leave the request: emails, payment pages, canonical links,
sitemaps, WhatsApp texts.

They are built on the configured `PUBLIC_BASE_URL`, never on the request's Host header: a
visitor chooses that header, and a password-reset email whose link points at their host hands
them the token (docs/security.md). This module is the only place that builds one;
`tests/security/test_public_links.py` fails if any other code asks Flask for an external URL.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app


def public_base_url() -> str:
    """`https://host[:port][/path]`, without a trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"]


def public_origin() -> str:
    """The scheme and host of the public address, as browsers send it in `Origin`."""
    parts = urlsplit(public_base_url())
    return f"{parts.scheme}://{parts.netloc}"


def external_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute URL on the public address. Works without a
    request too (commands, jobs)."""
    base = urlsplit(public_base_url())
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def external_path_url(path: str) -> str:
    """An absolute URL for a path on this shop (`/static/…`, the path of the current page)."""
    return public_base_url() + "/" + quote(path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")
