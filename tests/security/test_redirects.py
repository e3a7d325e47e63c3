"""A `next` page is followed only when it is a plain path on this shop; anything else (another
host, control characters, backslashes) falls back to a safe page instead of a 500 or an open
redirect."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.factories import PASSWORD, UserFactory

NASTY = [
    "/\nenv;",  # the scanner's find: a newline reaching the Location header
    "/\r\nSet-Cookie: x=1",
    "/\rx",
    "/\x00",
    "/\x7f",
    "/\u2028evil",
    "/\u200b/evil.example",
    "/\t/evil.example",  # browsers drop the tab and read //evil.example
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "HTTPS://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /account/",
    "",
]
GOOD = ["/account/", "/search?q=kopi+susu&page=2", "/product/kopi-robusta", "/%0d%0a"]


@pytest.mark.parametrize("target", NASTY, ids=repr)
def test_language_switch_never_follows_a_nasty_next(client, target):
    response = client.get(f"/lang/en?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", GOOD)
def test_language_switch_returns_to_the_page_it_was_asked_from(client, target):
    response = client.get(f"/lang/en?next={quote(target, safe='')}")
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", NASTY, ids=repr)
def test_sign_in_never_follows_a_nasty_next(client, ctx, target):
    UserFactory(email="siti@example.com")
    response = client.post_form(
        f"/account/login?next={quote(target, safe='')}",
        {"email": "siti@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # Already signed in: the sign-in page sends them on, just as safely.
    again = client.get(f"/account/login?next={quote(target, safe='')}")
    assert again.headers["Location"] == "/"
