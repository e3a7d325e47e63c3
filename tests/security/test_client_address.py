"""Rate limits count per real visitor: behind the reverse proxy the README asks for, the
client's address comes from X-Forwarded-For (only from as many proxies as TRUSTED_PROXY_COUNT
says), and a guesser at one address never locks the real owner out from another."""

from __future__ import annotations

import pytest
import time_machine

from storefront.config import ConfigError, load_config
from tests.conftest import CSRF_META
from tests.factories import PASSWORD, UserFactory

LOGIN = "/account/login"
PROXY = "127.0.0.1"


class Visitor:
    """One browser at one address, optionally behind the proxy (which appends the address it
    saw to whatever X-Forwarded-For the browser sent)."""

    def __init__(self, app, address: str, *, via_proxy: bool = False, claims: str | None = None):
        self.client = app.test_client()
        self.address = address
        self.via_proxy = via_proxy
        self.claims = claims  # an X-Forwarded-For the browser itself sends

    def _request(self) -> dict:
        forwarded = [self.claims] if self.claims else []
        if self.via_proxy:
            forwarded.append(self.address)
        headers = {"X-Forwarded-For": ", ".join(forwarded)} if forwarded else {}
        remote = PROXY if self.via_proxy else self.address
        return {"headers": headers, "environ_base": {"REMOTE_ADDR": remote}}

    def sign_in(self, email: str, password: str):
        page = self.client.get(LOGIN, **self._request()).get_data(as_text=True)
        token = CSRF_META.search(page).group(1)
        data = {"email": email, "password": password, "csrf_token": token}
        return self.client.post(LOGIN, data=data, **self._request())

    def login(self, email: str, password: str) -> int:
        return self.sign_in(email, password).status_code


def test_without_trusted_proxies_a_forged_forwarded_for_buys_no_extra_guesses(app, ctx):
    UserFactory(email="manajer@example.com", role="manager")
    statuses = []
    for attempt in range(6):
        guesser = Visitor(app, "203.0.113.7", claims=f"198.51.100.{attempt}")
        statuses.append(guesser.login("manajer@example.com", "tebakan-salah"))
    assert statuses == [200] * 5 + [429]


def test_a_guesser_does_not_lock_the_owner_out_from_another_address(app, ctx):
    UserFactory(email="manajer@example.com", role="manager")
    guesser = Visitor(app, "203.0.113.7")
    statuses = [guesser.login("manajer@example.com", "tebakan-salah") for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # The manager, at the outlet's own address, signs in at once.
    assert Visitor(app, "198.51.100.20").login("manajer@example.com", PASSWORD) == 302
    # The guesser stays paused, even with the right password.
    assert guesser.login("manajer@example.com", PASSWORD) == 429


def test_a_slow_guesser_is_paused_for_the_rest_of_the_hour(app, ctx):
    UserFactory(email="manajer@example.com", role="manager")
    guesser = Visitor(app, "203.0.113.7")
    with time_machine.travel("2026-12-01 09:00 +0700", tick=False) as traveller:
        for _round in range(4):
            statuses = [guesser.login("manajer@example.com", "tebakan-salah") for _ in range(5)]
            assert statuses == [200] * 5
            traveller.shift(61)
        page = guesser.sign_in("manajer@example.com", "tebakan-salah")
        assert page.status_code == 429
        assert "Coba lagi dalam 56 menit" in page.get_data(as_text=True)
        traveller.shift(56 * 60)
        assert guesser.login("manajer@example.com", PASSWORD) == 302


def test_one_address_trying_many_accounts_is_paused(app, ctx):
    sprayer = Visitor(app, "203.0.113.7")
    statuses = [sprayer.login(f"orang{n}@example.com", "") for n in range(31)]
    assert statuses == [200] * 30 + [429]
    # Another visitor is not affected.
    assert Visitor(app, "198.51.100.20").login("orang1@example.com", "") == 200


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_COUNT": 1}])
def test_behind_the_proxy_each_shopper_has_their_own_limit(app, ctx):
    UserFactory(email="manajer@example.com", role="manager")
    guesser = Visitor(app, "203.0.113.7", via_proxy=True)
    statuses = [guesser.login("manajer@example.com", "tebakan-salah") for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # Everyone comes from the proxy's address, yet the manager is not in the guesser's bucket.
    manager = Visitor(app, "198.51.100.20", via_proxy=True)
    assert manager.login("manajer@example.com", PASSWORD) == 302


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_COUNT": 1}])
def test_behind_the_proxy_a_forged_forwarded_for_is_ignored(app, ctx):
    """The proxy appends the address it saw; only that last entry is believed."""
    UserFactory(email="manajer@example.com", role="manager")
    statuses = []
    for attempt in range(6):
        guesser = Visitor(app, "203.0.113.7", via_proxy=True, claims=f"198.51.100.{attempt}")
        statuses.append(guesser.login("manajer@example.com", "tebakan-salah"))
    assert statuses == [200] * 5 + [429]


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_COUNT": 1}])
def test_the_address_pages_see_is_the_shoppers(app):
    from flask import request

    seen = {}

    @app.get("/_test/address")  # a page that only reports what it was told
    def address():
        seen["remote"] = request.remote_addr
        return ""

    app.test_client().get(
        "/_test/address",
        headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert seen["remote"] == "203.0.113.7"


@pytest.mark.parametrize("value", ["-1", "dua"])
def test_a_bad_trusted_proxy_count_is_a_clear_error(monkeypatch, tmp_path, value):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        load_config(tmp_path)


def test_no_proxy_is_trusted_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    assert load_config(tmp_path)["TRUSTED_PROXY_COUNT"] == 0
