"""Account rules: registration, email verification, login check, password reset and change."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from blinker import Namespace
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from storefront.auth.models import Role, User
from storefront.database import ensure_write_lock, utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.notices import ChannelChoice
from storefront.phones import InvalidPhone, normalise_phone

# Sent (inside the unit of work, before commit) when an account proves its address is its own;
# receivers hand the account what was waiting for that proof (a vendor it was made owner of).
email_confirmed = Namespace().signal("email-confirmed")

MIN_PASSWORD_LENGTH = 8


class AccountError(DomainError):
    """A rule about accounts was broken; the message is safe to show."""


class InvalidEmail(AccountError):
    pass


class EmailTaken(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class WrongPassword(AccountError):
    pass


class InvalidResetToken(AccountError):
    pass


class InvalidVerificationLink(AccountError):
    pass


class OtherAccountsLink(AccountError):
    """A valid confirmation link, but for an account other than the one signed in."""


def normalise_email(text: str) -> str:
    """Validate the syntax (no DNS look-up) and return the lower-cased address."""
    try:
        result = validate_email((text or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.lower()


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    *,
    name: str,
    email: str,
    password: str,
    phone: str | None = None,
    role: Role = Role.SHOPPER,
    verified: bool = False,
    locale: str | None = None,
) -> User:
    """Create an account; the caller commits. Raises AccountError or InvalidPhone.

    `verified`: the address is known to be the person's (staff made by a command, demo data);
    everyone else proves it with the emailed link.
    """
    email = normalise_email(email)
    check_password_strength(password)
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        name=name.strip(),
        email=email,
        phone=normalise_phone(phone) if phone else None,
        role=Role(role).value,
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class Registration:
    """What a sign-up did: made `account`, or found the address already used by `existing`.
    Visitors are told the same in both cases; only the mailbox learns which."""

    account: User | None = None
    existing: User | None = None


def register_account(
    *, name: str, email: str, password: str, phone: str | None = None, locale: str | None = None
) -> Registration:
    email = normalise_email(email)
    check_password_strength(password)
    existing = find_user_by_email(email)
    if existing is not None:
        # Hash anyway, so a known address does not answer faster than a new one.
        generate_password_hash(password)
        return Registration(existing=existing)
    return Registration(
        account=create_user(name=name, email=email, password=password, phone=phone, locale=locale)
    )


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Never says which part was wrong."""
    user = find_user_by_email(email or "")
    if user is None:
        # Spend the same time hashing as a real check, so timing does not reveal accounts.
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise WrongPassword("current password is wrong")
    check_password_strength(new)
    user.set_password(new)


# --- password reset -----------------------------------------------------------------------
# The token carries the user id and a fingerprint of the current password hash: once the
# password changes the token no longer matches, which makes it one-time without a table.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    return user.password_hash[-16:]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidResetToken("expired") from exc
    except BadSignature as exc:
        raise InvalidResetToken("invalid") from exc
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        raise InvalidResetToken("used or invalid")
    return user


def reset_password(token: str, new: str) -> User:
    user = user_for_reset_token(token)
    check_password_strength(new)
    user.set_password(new)
    # The link was opened from the mailbox and the password is now the mailbox holder's: the
    # address is proven, and whoever chose the old password has lost every session.
    mark_email_verified(user)
    return user


# --- email verification -------------------------------------------------------------------
# The link carries the account id, the address it was sent to and the password fingerprint,
# signed and dated: it cannot be replayed for another address or account, and it is only
# accepted from a browser signed in to its account, so holding the mailbox alone (or the
# password alone) proves nothing.


def _verification_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-verification")


def make_verification_token(user: User) -> str:
    return _verification_serializer().dumps(
        {"uid": user.id, "email": user.email, "fp": _fingerprint(user)}
    )


def confirm_email(token: str, user: User) -> bool:
    """Confirm `user`'s address with an emailed token. True if it was not confirmed before."""
    max_age = current_app.config["EMAIL_VERIFICATION_MAX_AGE"]
    try:
        data = _verification_serializer().loads(token, max_age=max_age)
    except BadSignature as exc:  # SignatureExpired included
        raise InvalidVerificationLink("expired or invalid") from exc
    if data.get("uid") != user.id:
        raise OtherAccountsLink("another account's link")
    if data.get("email") != user.email or data.get("fp") != _fingerprint(user):
        raise InvalidVerificationLink("sent to another address or before a password change")
    return mark_email_verified(user)


def mark_email_verified(user: User) -> bool:
    if user.email_verified_at is not None:
        return False
    ensure_write_lock()  # the confirmation link is opened with a GET
    user.email_verified_at = utcnow()
    email_confirmed.send(current_app._get_current_object(), user=user)
    return True


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")


def set_message_preferences(user: User, channel: str, phone: str | None) -> None:
    """How the shop's messages reach this person: email, WhatsApp or both. WhatsApp needs a
    valid phone number."""
    if channel not in set(ChannelChoice):
        raise AccountError(_l("Choose how we should keep you posted."), field="message_channel")
    number = None
    if phone and phone.strip():
        try:
            number = normalise_phone(phone)
        except InvalidPhone as exc:
            raise AccountError(
                _l("Enter a valid phone number, e.g. 0812-3456-7890 or +62 812 3456 7890."),
                field="phone",
            ) from exc
    if channel != ChannelChoice.EMAIL and number is None:
        raise AccountError(_l("Enter your WhatsApp number to get messages there."), field="phone")
    user.message_channel = channel
    user.phone = number
    db.session.flush()
