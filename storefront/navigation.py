"""Where to send a person next, without becoming an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, redirect, request, session, url_for


def safe_next(default: str) -> str:
    r"""The `next` parameter if it is a plain path on this site, else `default`: the one check
    for every redirect whose target comes from the visitor.

    Refused: other hosts (`https://…`, `//host`), backslashes (browsers read `/\host` as
    `//host`), and control or invisible characters: browsers drop tabs and newlines (`/<tab>/host`
    becomes `//host`), and a newline in a Location header is a 500 or a forged header."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not parts.scheme
        and not parts.netloc
    ):
        return target
    return default


def stash_link_token(session_key: str, token: str | None) -> Response | None:
    """Keep the token of an emailed link (a password reset, an invitation) in the session.

    Opening the link itself (`GET …/<token>`) answers a redirect to the same page without the
    token, so the page people see, their history, the Referer headers its links send and every
    later log line carry none; the page reads `session[session_key]`. Returns that redirect."""
    if token is None:
        return None
    session[session_key] = token
    if request.method == "GET":
        return redirect(url_for(request.endpoint))
    return None


def page_number() -> int:
    """The `page` query parameter as a positive int; anything else is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
