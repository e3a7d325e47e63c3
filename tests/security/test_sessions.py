"""Sessions: a new session and CSRF token at sign-in; signing out ends the session on the
server, so a copied session or remember-me cookie stops working."""

from __future__ import annotations

from sqlalchemy import select

from storefront.auth.models import User
from storefront.extensions import db
from tests.factories import PASSWORD, UserFactory
from tests.security.account_helpers import LOGIN, browser, page, signed_in

NEW_PASSWORD = "sandi-baru-sekali"


def change_password(client, csrf_token: str):
    return client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token,
        },
    )


def password_is_unchanged() -> bool:
    db.session.expire_all()
    return db.session.scalar(select(User)).check_password(PASSWORD)


def test_a_csrf_token_from_before_sign_in_is_refused_after_it(client, ctx):
    UserFactory(email="siti@example.com")
    before = client.csrf_token(LOGIN)
    response = client.post(
        LOGIN, data={"email": "siti@example.com", "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302

    assert change_password(client, before).status_code == 400
    assert password_is_unchanged()
    # The page's new token works: the refusal is about the old one.
    assert change_password(client, client.csrf_token("/account/password")).status_code == 302
    assert not password_is_unchanged()


def test_a_session_planted_before_sign_in_gives_its_planter_nothing(app, ctx):
    """Session fixation: someone gets a session (and its CSRF token) from the shop, puts the
    cookie into the victim's browser, and waits for the victim to sign in."""
    UserFactory(email="siti@example.com", name="Siti Aminah")
    attacker = browser(app)
    planted_token = attacker.csrf_token(LOGIN)
    planted_cookie = attacker.get_cookie("session").value

    victim = browser(app)
    victim.set_cookie("session", planted_cookie)
    signed_in(victim, "siti@example.com")
    assert victim.get("/account/").status_code == 200
    assert victim.get_cookie("session").value != planted_cookie

    # The planter's copy of the cookie is still anonymous...
    assert attacker.get("/account/").status_code == 302
    # ...and the CSRF token it knows does not work in the victim's signed-in session.
    assert change_password(victim, planted_token).status_code == 400
    assert password_is_unchanged()


def test_sign_in_keeps_the_guest_cart(client, ctx):
    """Rotating the session must not cost a shopper the cart they filled before signing in."""
    from tests.integration.order_helpers import stocked_product

    product, _batch = stocked_product()
    client.post("/cart/add", data={"product_id": product.id, "quantity": "2"})
    UserFactory(email="siti@example.com")
    signed_in(client, "siti@example.com")
    assert product.name in page(client.get("/cart"))


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, ctx):
    UserFactory(email="siti@example.com")
    signed_in(client, "siti@example.com")
    copied = client.get_cookie("session").value

    thief = browser(app)
    thief.set_cookie("session", copied)
    assert thief.get("/account/").status_code == 200  # the copy works while she is signed in

    assert client.post_form("/account/logout").status_code == 302
    thief.set_cookie("session", copied)
    response = thief.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_a_copied_remember_me_cookie_stops_working_after_sign_out(app, client, ctx):
    UserFactory(email="siti@example.com")
    signed_in(client, "siti@example.com", remember="y")
    remember = client.get_cookie("remember_token").value

    before = browser(app)
    before.set_cookie("remember_token", remember)
    assert before.get("/account/").status_code == 200  # the cookie alone signs in

    client.post_form("/account/logout")
    thief = browser(app)
    thief.set_cookie("remember_token", remember)
    assert thief.get("/account/").status_code == 302


def test_signing_out_ends_the_accounts_sessions_on_other_devices_too(app, client, ctx):
    """The price of a server-side sign-out with one counter per account (docs/security.md)."""
    UserFactory(email="siti@example.com")
    laptop = signed_in(browser(app), "siti@example.com")
    signed_in(client, "siti@example.com")
    client.post_form("/account/logout")
    assert laptop.get("/account/").status_code == 302
    # Signing in again works at once.
    signed_in(laptop, "siti@example.com")
    assert laptop.get("/account/").status_code == 200
