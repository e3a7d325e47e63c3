"""Registering, signing in and out, resetting and changing the password."""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.auth.models import Role, User
from storefront.extensions import db
from tests.factories import PASSWORD, UserFactory
from tests.security.account_helpers import register

LOGIN = "/account/login"
SAME_LOGIN_ERROR = "Email atau kata sandi salah. Silakan coba lagi."


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_shopper_registers_then_signs_in(client, ctx, outbox):
    response = register(client, email="Budi.Santoso@Example.COM")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "budi.santoso@example.com"
    assert user.phone == "+6281234567890"
    assert user.role == Role.SHOPPER
    assert user.password_hash != "rahasia-sekali"
    # Not signed in yet: the answer must not differ from registering a known address
    # (tests/security/test_account_enumeration.py), and a confirmation link was sent.
    assert client.get("/account/").status_code == 302
    assert [m["To"] for m in outbox()] == ["budi.santoso@example.com"]
    assert client.login("budi.santoso@example.com", "rahasia-sekali").status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "budi.santoso@example.com" in page


@pytest.mark.parametrize("email", ["budi@example.com", "BUDI@example.com", "Budi@EXAMPLE.com"])
def test_registering_a_known_email_in_any_letter_case_creates_nothing(client, ctx, outbox, email):
    UserFactory(email="budi@example.com")
    response = register(client, email=email)
    assert response.status_code == 302
    assert user_count() == 1
    assert [m["To"] for m in outbox()] == ["budi@example.com"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "budi@", "Masukkan alamat email yang benar"),
        ("email", "budi example.com", "Masukkan alamat email yang benar"),
        ("phone", "12345", "Masukkan nomor telepon yang benar"),
        ("phone", "0812abc", "Masukkan nomor telepon yang benar"),
        ("password", "pendek", "Gunakan paling sedikit 8 karakter."),
        ("confirm", "lain-lagi-ya", "Kata sandi tidak sama."),
        ("name", "", "Masukkan nama Anda."),
    ],
)
def test_bad_registration_input_shows_a_clear_message_and_creates_nothing(
    client, ctx, field, value, message
):
    overrides = {field: value}
    if field == "password":
        overrides["confirm"] = value
    response = register(client, **overrides)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert user_count() == 0


def test_login_and_logout(client, ctx):
    UserFactory(email="siti@example.com", name="Siti Aminah")
    response = client.login("Siti@Example.com", PASSWORD)
    assert response.status_code == 302
    assert "Siti" in client.get("/").get_data(as_text=True)

    response = client.post_form("/account/logout")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_logout_by_get_is_not_allowed(client, ctx):
    UserFactory(email="siti@example.com")
    client.login("siti@example.com", PASSWORD)
    assert client.get("/account/logout").status_code == 405
    assert client.get("/account/").status_code == 200


def test_remember_me_sets_a_long_lived_cookie(client, ctx):
    UserFactory(email="siti@example.com")
    response = client.post_form(
        LOGIN, {"email": "siti@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "Expires=" in remember[0] and "HttpOnly" in remember[0]


def test_wrong_password_and_unknown_email_get_the_same_message(client, ctx):
    UserFactory(email="siti@example.com")
    wrong_password = client.login("siti@example.com", "salah-salah-salah")
    unknown_email = client.login("tidakada@example.com", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert SAME_LOGIN_ERROR in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_deactivated_account_cannot_sign_in(client, ctx):
    UserFactory(email="siti@example.com", active=False)
    response = client.login("siti@example.com", PASSWORD)
    assert SAME_LOGIN_ERROR in response.get_data(as_text=True)


def test_login_redirects_only_to_pages_on_this_site(client, ctx):
    UserFactory(email="siti@example.com")
    response = client.post_form(
        LOGIN + "?next=https://evil.example.com/",
        {"email": "siti@example.com", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"
    client.post_form("/account/logout")
    response = client.post_form(
        LOGIN + "?next=/account/", {"email": "siti@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/"


def test_too_many_logins_get_a_friendly_429_page(client, ctx):
    UserFactory(email="siti@example.com")
    token = client.csrf_token(LOGIN)
    for _ in range(5):
        response = client.post(
            LOGIN, data={"email": "siti@example.com", "password": "salah", "csrf_token": token}
        )
        assert response.status_code == 200
    response = client.post(
        LOGIN, data={"email": "siti@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Terlalu banyak percobaan" in page
    assert "Tunggu satu menit" in page
    # Even the right password is refused while paused: the limit is on attempts.
    assert client.get("/account/").status_code == 302


def test_password_reset_by_email_link_works_once(client, ctx, outbox):
    UserFactory(email="siti@example.com", name="Siti Aminah")
    response = client.post_form("/account/password/forgot", {"email": "SITI@example.com"})
    assert response.status_code == 302
    [mail] = outbox()
    assert mail["To"] == "siti@example.com"
    body = mail.get_body().get_content()
    assert "Halo Siti Aminah" in body
    link = re.search(r"http://localhost(/account/password/reset/\S+)", body).group(1)

    response = client.post_form(link, {"password": "sandi-baru-123", "confirm": "sandi-baru-123"})
    assert response.status_code == 302
    assert client.login("siti@example.com", "sandi-baru-123").status_code == 302
    client.post_form("/account/logout")

    again = client.get(link, follow_redirects=True)
    assert "sudah kedaluwarsa atau sudah dipakai" in again.get_data(as_text=True)


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, ctx, outbox):
    response = client.post_form(
        "/account/password/forgot", {"email": "tidakada@example.com"}, follow_redirects=True
    )
    assert "Jika ada akun dengan email itu" in response.get_data(as_text=True)
    assert outbox() == []


def test_password_reset_link_expires_after_an_hour(client, ctx, outbox):
    UserFactory(email="siti@example.com")
    with time_machine.travel("2026-11-23 10:00 +0700", tick=False):
        client.post_form("/account/password/forgot", {"email": "siti@example.com"})
    link = re.search(r"(/account/password/reset/\S+)", outbox()[0].get_body().get_content())[1]
    with time_machine.travel("2026-11-23 11:01 +0700", tick=False):
        response = client.get(link, follow_redirects=True)
    assert "sudah kedaluwarsa" in response.get_data(as_text=True)


def test_tampered_reset_link_is_refused(client, ctx):
    response = client.get("/account/password/reset/not-a-token", follow_redirects=True)
    assert "sudah kedaluwarsa atau sudah dipakai" in response.get_data(as_text=True)


def test_change_password_needs_the_current_one(client, ctx):
    UserFactory(email="siti@example.com")
    client.login("siti@example.com", PASSWORD)
    response = client.post_form(
        "/account/password",
        {"current": "bukan-ini-ya", "password": "sandi-baru-123", "confirm": "sandi-baru-123"},
    )
    assert "Kata sandi saat ini salah." in response.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.check_password(PASSWORD)


def test_change_password_signs_out_other_devices(app, client, ctx):
    UserFactory(email="siti@example.com")
    other_device = app.test_client()
    other_device.post(
        LOGIN,
        data={
            "email": "siti@example.com",
            "password": PASSWORD,
            "csrf_token": re.search(
                r'name="csrf-token" content="([^"]+)"',
                other_device.get(LOGIN).get_data(as_text=True),
            )[1],
        },
    )
    assert other_device.get("/account/").status_code == 200

    client.login("siti@example.com", PASSWORD)
    response = client.post_form(
        "/account/password",
        {"current": PASSWORD, "password": "sandi-baru-123", "confirm": "sandi-baru-123"},
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other_device.get("/account/").status_code == 302
