"""The one permission mechanism. Every view declares who may use it with `@public` or
`@role_required(...)`; tests/security walks every route and checks the declaration holds.

Admins are managers with more powers, so `@role_required(Role.MANAGER)` lets admins in too.
`@role_required(Role.ADMIN)` (or `"admin"`) is strictly admin: managers get 403. It guards
what the outlet keeps to its administrators (docs/security.md, "Roles and routes"): showing
NIK, NPWP and bank account numbers in full, the payout file, staff roles and shop settings.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, render_template, request
from flask_login import current_user

from storefront.auth.models import Role
from storefront.extensions import login_manager

ANY_ACCOUNT = tuple(Role)


def public(view: Callable) -> Callable:
    """Anyone, signed in or not, may use this view."""
    view.access = "public"
    return view


def role_required(*roles: Role) -> Callable[[Callable], Callable]:
    """Signed-in users with one of `roles`. Others: the sign-in page, or 403.

    Naming `Role.MANAGER` admits admins as well; naming only `Role.ADMIN` admits admins only.
    """
    if not roles:
        raise ValueError("name at least one role; use ANY_ACCOUNT for every signed-in user")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = tuple(Role(r) for r in roles)
        return wrapped

    return decorator


def allowed_roles(view: Callable) -> set[Role] | str | None:
    """What a view declared: 'public', a set of roles (admin included for manager), or None.

    `{Role.ADMIN}` alone means an admin-only route."""
    access = getattr(view, "access", None)
    if access is None or access == "public":
        return access
    roles = set(access)
    if Role.MANAGER in roles:
        roles.add(Role.ADMIN)
    return roles


def unverified_email_page(reason: str):
    """403 page for an account that must confirm its address first: says why, offers the link
    again, and brings the person back here once the address is confirmed."""
    return render_template("auth/verify_required.html", reason=reason, back=request.path), 403


def verified_email_required(reason) -> Callable[[Callable], Callable]:
    """For what belongs to an email address (a vendor, a team, orders placed with it): only an
    account that proved the address is its own. Put it below `@role_required`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.is_authenticated and not current_user.email_verified:
                return unverified_email_page(str(reason))
            return view(*args, **kwargs)

        return wrapped

    return decorator
