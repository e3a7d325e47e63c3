"""Account emails, each in the recipient's language. Sent after the commit by the views."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from storefront.auth.models import User
from storefront.auth.services import make_reset_token, make_verification_token
from storefront.links import external_url
from storefront.mail import send_template


def verification_link(user: User, next_path: str | None = None) -> str:
    return external_url("auth.verify_email", token=make_verification_token(user), next=next_path)


def reset_link(user: User) -> str:
    return external_url("auth.reset_password_page", token=make_reset_token(user))


def send_verification(user: User, next_path: str | None = None) -> None:
    send_template(
        user.email,
        "auth/email/verify_email.txt",
        _l("Confirm your email address at Gerai Tangerang Gemilang"),
        locale=user.locale,
        user=user,
        link=verification_link(user, next_path),
        days=current_app.config["EMAIL_VERIFICATION_MAX_AGE"] // 86400,
    )


def send_registration_attempt(user: User) -> None:
    """Someone tried to register an address that already has an account: tell its owner, with
    the ways in, instead of telling the visitor that the address is known."""
    send_template(
        user.email,
        "auth/email/registration_attempt.txt",
        _l("Someone tried to register with your email address"),
        locale=user.locale,
        user=user,
        login_link=external_url("auth.login", email=user.email),
        forgot_link=external_url("auth.forgot_password"),
    )
