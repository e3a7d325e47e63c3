"""Accounts as an administrator keeps them: find people, make staff accounts, change roles,
close and reopen accounts. The views send the emails after the commit; nothing here commits.

The shop always keeps one active administrator: the last one can be neither demoted nor
closed. The active admins are locked first (`FOR UPDATE` on PostgreSQL), so two admins
demoting each other at the same moment cannot both succeed; on SQLite the second writer's
snapshot is stale and its commit is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from storefront import audit
from storefront.auth.models import Role, User
from storefront.auth.services import (
    EmailTaken,
    InvalidEmail,
    create_user,
    find_user_by_email,
    mark_email_verified,
    normalise_email,
)
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.phones import InvalidPhone

# Roles an administrator may give. `vendor` comes with membership of a business (the
# application or an invitation), never from this screen.
STAFF_ROLES = (Role.CASHIER, Role.MENTOR, Role.MANAGER, Role.ADMIN)
ASSIGNABLE_ROLES = (Role.SHOPPER, *STAFF_ROLES)
PER_PAGE = 25


class StaffError(DomainError):
    """A rule about staff accounts was broken; `message` is safe to show, `field` names the
    input."""


def find_accounts(query: str = "", role: str | None = None, active: bool | None = None, page=1):
    """Accounts by name or email (part of either), newest first."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    words = (query or "").strip().lower()[:80]
    if words:
        pattern = f"%{words}%"
        statement = statement.where(
            or_(func.lower(User.name).like(pattern), User.email.like(pattern))
        )
    if role:
        statement = statement.where(User.role == role)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


def role_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)
    )
    return dict(rows.tuples().all())


@dataclass(frozen=True)
class NewStaff:
    name: str
    email: str
    role: str
    phone: str | None = None
    locale: str | None = None


def create_staff(admin: User, details: NewStaff) -> User:
    """A staff account without a password its owner knows: they choose one from the emailed
    link, which is also how the address is proven (so the account counts as verified)."""
    role = Role(details.role)
    if role not in STAFF_ROLES:
        raise StaffError(_l("Staff accounts are cashiers, mentors, managers or admins."), "role")
    try:
        email = normalise_email(details.email)
    except InvalidEmail:
        raise StaffError(
            _l("Enter a valid email address, e.g. nama@contoh.com."), "email"
        ) from None
    if find_user_by_email(email) is not None:
        raise StaffError(
            _l("%(email)s already has an account: find it below and change its role.", email=email),
            "email",
        )
    try:
        user = create_user(
            name=details.name,
            email=email,
            # Nobody knows this password; the emailed link replaces it.
            password=secrets.token_urlsafe(32),
            phone=details.phone or None,
            role=role,
            verified=True,
            locale=details.locale,
        )
    except InvalidPhone:
        raise StaffError(
            _l("Enter a valid phone number, e.g. 0812-3456-7890 or +62 812 3456 7890."), "phone"
        ) from None
    except EmailTaken:  # pragma: no cover - checked just above, unless another request won
        raise StaffError(_l("That email already has an account."), "email") from None
    audit.record(admin, "user.create", user, after={"email": user.email, "role": user.role})
    return user


def _lock_active_admins() -> list[User]:
    statement = (
        select(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(db.session.scalars(statement))


def _keeps_an_admin(user: User, *, role: str | None = None, active: bool | None = None) -> bool:
    """Whether at least one active admin remains once `user` gets `role` / `active`."""
    admins = _lock_active_admins()
    if user not in admins:
        return True
    stays_admin = (role or user.role) == Role.ADMIN.value and (
        user.active if active is None else active
    )
    return stays_admin or len(admins) > 1


LAST_ADMIN = _l(
    "The shop needs at least one active administrator: make someone else an admin first."
)


def change_role(admin: User, user: User, role: str) -> bool:
    """Give `user` another role. True if it changed."""
    new = Role(role)
    if new not in ASSIGNABLE_ROLES:
        raise StaffError(_l("Choose shopper, cashier, manager or admin."), "role")
    if user.role == Role.VENDOR.value:
        raise StaffError(
            _l("A vendor's role comes from their business; remove them from its team first."),
            "role",
        )
    if user.role == new.value:
        return False
    if not _keeps_an_admin(user, role=new.value):
        raise StaffError(LAST_ADMIN, "role")
    before = user.role
    user.role = new.value
    if new in STAFF_ROLES and user.email_verified_at is None:
        # An admin vouches for staff they appoint, as for the accounts they create.
        mark_email_verified(user)
    audit.record(admin, "user.role", user, before={"role": before}, after={"role": user.role})
    return True


def set_active(admin: User, user: User, active: bool) -> bool:
    """Close or reopen an account. A closed account is signed out everywhere at once (its
    session version changes, so no session or remember-me cookie loads any more) and cannot
    sign in or use a reset link. True if it changed."""
    if user.active == active:
        return False
    if not active and user.id == admin.id:
        raise StaffError(_l("You cannot deactivate your own account; ask another admin."))
    if not active and not _keeps_an_admin(user, active=False):
        raise StaffError(LAST_ADMIN)
    user.active = active
    user.session_version += 1
    audit.record(
        admin,
        "user.activate" if active else "user.deactivate",
        user,
        before={"active": not active},
        after={"active": active},
    )
    return True


def record_reset_link(admin: User, user: User) -> None:
    """Sending someone a password-reset link is written down: it is how an account is taken
    over if the wrong address is on it."""
    if not user.active:
        raise StaffError(_l("This account is deactivated; reactivate it first."))
    audit.record(admin, "user.reset_link", user, after={"email": user.email})
