"""Accounts and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from storefront.database import TimestampMixin, UTCDateTime
from storefront.extensions import db


class Role(enum.StrEnum):
    SHOPPER = "shopper"
    VENDOR = "vendor"
    MANAGER = "manager"
    ADMIN = "admin"
    CASHIER = "cashier"  # outlet staff at the counter only
    MENTOR = "mentor"  # incubator staff: their assigned vendors, no bank or identity data


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('shopper', 'vendor', 'manager', 'admin', 'cashier', 'mentor')",
            name="role_known",
        ),
        # Emails are stored lower-cased by the service, so this is case-insensitive uniqueness.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=Role.SHOPPER.value)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # How the shop's messages reach this person: email, whatsapp or both (storefront/outbox.py).
    message_channel: Mapped[str] = mapped_column(
        String(10), nullable=False, default="email", server_default="email"
    )
    # When the person proved the address is theirs (docs/security.md, "Accounts: email
    # verification"). Until then the account gets nothing that belongs to the address.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the session id: signing out bumps it, so every session and remember-me cookie
    # issued before stops loading on the server, not just in the browser that signed out.
    session_version: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_id(self) -> str:
        # A password fingerprint in the session id signs out every device when it changes,
        # and the session version does the same at sign-out.
        return f"{self.id}.{self.password_hash[-12:]}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """Admins can do everything managers can."""
        allowed = {str(r) for r in roles}
        if Role.MANAGER in allowed:
            allowed.add(Role.ADMIN.value)
        return self.role in allowed

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


def parse_session_id(session_id: str) -> tuple[int, str, int] | None:
    """The user id, password fingerprint and session version a session names (`User.get_id`),
    or None for anything else."""
    head, _, version = (session_id or "").rpartition(".")
    user_id, _, fingerprint = head.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    return int(user_id), fingerprint, int(version)


def session_still_valid(
    *, active: bool, password_hash: str, session_version: int, fingerprint: str, version: int
) -> bool:
    """Whether an account as stored still accepts a session issued with `fingerprint` and
    `version`: deactivating it, a new password or signing out everywhere ends its sessions.
    (The kept-page path, shop/front_door.py, checks a plain row with this too.)"""
    return bool(active) and password_hash[-12:] == fingerprint and session_version == version


def load_user_from_session(session_id: str) -> User | None:
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, fingerprint, version = parsed
    user = db.session.get(User, user_id)
    if user is None or not session_still_valid(
        active=user.active,
        password_hash=user.password_hash,
        session_version=user.session_version,
        fingerprint=fingerprint,
        version=version,
    ):
        return None
    return user
