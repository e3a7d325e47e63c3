"""Reset and invitation tokens and order keys stay out of access logs: gunicorn's access log
drops query strings and masks the token of an emailed link, and the emailed links move their
token into the session at once, so the pages people see (and their Referer headers) carry
none."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.app.base import Application

from storefront.auth.services import make_reset_token
from storefront.extensions import db
from storefront.vendors import team as teams
from tests.conftest import Client
from tests.factories import PASSWORD, UserFactory, VendorFactory

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
SECRET = "s3cr3t-T0ken_9f8e7d6c5b4a3f2e1d0c"


class ConfiguredGunicorn(Application):
    """gunicorn's own configuration loading, from our gunicorn.conf.py."""

    def __init__(self, access_log: Path):
        self.access_log = access_log
        super().__init__()

    def load_config(self):
        self.load_config_from_file(str(CONF))
        self.cfg.set("accesslog", str(self.access_log))

    def load(self):  # pragma: no cover - never served
        return None


def access_log_lines(tmp_path, requests: list[tuple[str, str, str]]) -> str:
    """Log (method, raw URI, referer) requests through the configured access logger."""
    path = tmp_path / "access.log"
    cfg = ConfiguredGunicorn(path).cfg
    logger = cfg.logger_class(cfg)
    for method, uri, referer in requests:
        target, _, query = uri.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "RAW_URI": uri,
            "PATH_INFO": target,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": referer,
            "HTTP_USER_AGENT": "Mozilla/5.0",
        }
        request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Mozilla/5.0")])
        response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
        logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.close()
    return path.read_text()


def test_the_access_log_never_holds_a_token_or_an_order_key(tmp_path):
    log = access_log_lines(
        tmp_path,
        [
            ("GET", f"/account/password/reset/{SECRET}", "https://mail.example/inbox"),
            ("POST", f"/account/password/reset/{SECRET}?x=1", "-"),
            ("GET", f"/vendor/invitations/{SECRET}", "-"),
            ("GET", f"/account/login?next=%2Fvendor%2Finvitations%2F{SECRET}", "-"),
            ("GET", f"/orders/GTG-261201-0001?key={SECRET}&paid=1", "-"),
            ("GET", "/product/kopi", f"https://gerai.example/orders/GTG-261201-0001?key={SECRET}"),
            ("GET", "/", f"https://gerai.example/account/password/reset/{SECRET}"),
        ],
    )
    assert SECRET not in log
    lines = log.splitlines()
    assert len(lines) == 7
    assert '"GET /account/password/reset/[redacted] HTTP/1.1" 302' in lines[0]
    assert '"GET /orders/GTG-261201-0001 HTTP/1.1"' in lines[4]
    assert '"https://gerai.example/orders/GTG-261201-0001"' in lines[5]


def test_every_route_with_a_token_in_its_path_is_masked_in_the_log(app, tmp_path):
    rules = [r for r in app.url_map.iter_rules() if {"token", "key"} & set(r.arguments)]
    assert rules, "the reset and invitation links take a token"
    requests = []
    with app.test_request_context():
        for rule in rules:
            values = {name: SECRET if name in {"token", "key"} else "1" for name in rule.arguments}
            path = app.url_map.bind("localhost").build(rule.endpoint, values)
            requests.append(("GET", path, "-"))
    assert SECRET not in access_log_lines(tmp_path, requests)


def test_the_reset_link_moves_its_token_out_of_the_address(client, ctx):
    user = UserFactory(email="siti@example.com")
    link = f"/account/password/reset/{make_reset_token(user)}"
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password/reset"
    form = client.get("/account/password/reset")
    assert form.status_code == 200
    assert "Buat kata sandi baru" in form.get_data(as_text=True)
    done = client.post_form(
        "/account/password/reset", {"password": "sandi-baru-123", "confirm": "sandi-baru-123"}
    )
    assert done.status_code == 302
    assert client.login("siti@example.com", "sandi-baru-123").status_code == 302


def test_the_reset_page_without_a_link_says_to_ask_for_one(client):
    response = client.get("/account/password/reset", follow_redirects=True)
    assert "sudah kedaluwarsa atau sudah dipakai" in response.get_data(as_text=True)


def test_the_invitation_link_moves_its_token_out_of_the_address(app, ctx):
    vendor = VendorFactory(name="Kopi Cisoka")
    owner = UserFactory(email="owner@example.com", role="vendor")
    invitation, token = teams.invite(vendor, owner, "rina@example.com")
    db.session.commit()
    rina = Client(app.test_client())
    UserFactory(email="rina@example.com")
    assert rina.login("rina@example.com", PASSWORD).status_code == 302
    response = rina.get(f"/vendor/invitations/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/vendor/invitations"
    html = rina.get("/vendor/invitations").get_data(as_text=True)
    assert "Kopi Cisoka" in html
    assert token not in html
    accepted = rina.post_form("/vendor/invitations")
    assert accepted.headers["Location"] == "/vendor"
    db.session.expire_all()
    assert invitation.accepted_at is not None
