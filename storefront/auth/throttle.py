"""Limits on password guessing, shared by every form that checks a password (sign-in, the
counter's manager approval).

A guess is counted per email *and* client address, with a looser ceiling per address. So a
guesser at one address gets 5 tries a minute and 20 an hour at one account, while the owner,
signing in from anywhere else, is never locked out; and one address spraying many accounts
is paused after 30 tries a minute. The buckets are shared between the forms, so a guess at
the till costs the same as one at the sign-in page. The client address is the real visitor's
behind a trusted proxy (TRUSTED_PROXY_COUNT, storefront/__init__.py). docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_limiter.util import get_remote_address

from storefront.extensions import limiter

PER_ACCOUNT_AND_ADDRESS = "5 per minute;20 per hour"
PER_ADDRESS = "30 per minute"


def _account_and_address(email_field: str) -> Callable[[], str]:
    def key() -> str:
        email = (request.form.get(email_field) or "").strip().lower()
        return f"{email}|{get_remote_address()}"

    return key


def password_guess_limits(
    email_field: str = "email", exempt_when: Callable[[], bool] | None = None
) -> Callable:
    """Decorate a view whose POST checks the password of the account named in `email_field`."""
    per_account = limiter.shared_limit(
        PER_ACCOUNT_AND_ADDRESS,
        scope="password-guess-account",
        key_func=_account_and_address(email_field),
        methods=["POST"],
        exempt_when=exempt_when,
    )
    per_address = limiter.shared_limit(
        PER_ADDRESS, scope="password-guess-address", methods=["POST"], exempt_when=exempt_when
    )

    def decorate(view: Callable) -> Callable:
        return per_address(per_account(view))

    return decorate
