"""Starting and ending a signed-in session, and "recent authentication".

Sign-in starts a new session: everything from before is dropped (a session or CSRF token
someone planted in the browser is worth nothing afterwards) except the few harmless things a
shopper expects to keep, which their packages list with `keep_at_sign_in`. Sign-out bumps the
account's session version, which is part of the session id (`User.get_id`), so copies of the
session or remember-me cookie stop loading on the server too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from storefront.security import same_site_path

# The password was typed within this many seconds: enough for the change it was asked for.
RECENT_AUTH_SECONDS = 5 * 60
_AUTH_AT = "auth_at"
_KEPT_AT_SIGN_IN: set[str] = set()


def keep_at_sign_in(*keys: str) -> None:
    """Session keys that survive sign-in (a guest's cart, their orders in this browser)."""
    _KEPT_AT_SIGN_IN.update(keys)


def sign_in(user, *, remember: bool = False) -> None:
    """Sign `user` in after they typed their password, in a fresh session."""
    kept = {key: session[key] for key in _KEPT_AT_SIGN_IN if key in session}
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches this request's token here
    session.update(kept)
    login_user(user, remember=remember)
    mark_recent_auth()


def sign_out() -> None:
    """End this session and every other one of the account (see the module docstring)."""
    if current_user.is_authenticated:
        current_user.session_version += 1
    # Orders placed in this browser and a counter sale in progress stay with the person who
    # signed out, not with the next one at a shared computer.
    session.clear()
    logout_user()


# --- asking for the password again ---------------------------------------------------------


def mark_recent_auth() -> None:
    session[_AUTH_AT] = int(time.time())


def has_recent_auth() -> bool:
    typed_at = session.get(_AUTH_AT)
    return isinstance(typed_at, int) and 0 <= time.time() - typed_at <= RECENT_AUTH_SECONDS


def _return_path() -> str:
    """Where the person was: this page for a GET; for a form post, the page the form was on
    (when it is on this site), since a POST cannot be repeated by a redirect."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return same_site_path(request.referrer) or url_for("auth.account")


def ask_for_password():
    """The response sending the person to confirm their password, or None if they did lately."""
    if has_recent_auth():
        return None
    return redirect(url_for("auth.confirm_password", next=_return_path()))


def recent_auth_required(view: Callable) -> Callable:
    """For actions worth a second question (payout accounts, personal data, the payout file):
    the password typed in the last five minutes. Put it below `@role_required`."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return ask_for_password() or view(*args, **kwargs)

    return wrapped
