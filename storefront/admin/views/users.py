"""Accounts for an administrator: find, create staff, change roles, deactivate, reset links."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from storefront.admin import bp
from storefront.admin.forms import ROLE_LABELS, NewStaffForm, RoleForm
from storefront.audit import AuditEntry
from storefront.auth import staff
from storefront.auth.access import role_required
from storefront.auth.emails import reset_link
from storefront.auth.models import Role, User
from storefront.auth.sessions import recent_auth_required
from storefront.extensions import db
from storefront.forms import ConfirmForm, form_error
from storefront.mail import send_template
from storefront.navigation import page_number
from storefront.security import no_store

STATUS_FILTERS = ("active", "inactive")


@bp.route("/users")
@role_required(Role.ADMIN)
@no_store
def users():
    query = request.args.get("q", "").strip()[:80]
    role = request.args.get("role", "")
    role = role if role in {r.value for r in Role} else ""
    status = request.args.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    results = staff.find_accounts(
        query, role or None, None if not status else status == "active", page_number()
    )
    return render_template(
        "admin/users.html",
        results=results,
        query=query,
        role=role,
        status=status,
        roles=ROLE_LABELS,
        counts=staff.role_counts(),
    )


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _render_user(user: User, role_form=None, status: int = 200):
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "User", AuditEntry.subject_id == user.id)
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ).all()
    return (
        render_template(
            "admin/user_detail.html",
            user=user,
            role_form=role_form or RoleForm(data={"role": user.role}),
            confirm_form=ConfirmForm(),
            roles=ROLE_LABELS,
            history=history,
            assignable=user.role != Role.VENDOR.value,
        ),
        status,
    )


@bp.route("/users/<int:user_id>")
@role_required(Role.ADMIN)
@no_store
def user_detail(user_id: int):
    return _render_user(_user(user_id))


def _staff_error(exc: staff.StaffError, form=None):
    form_error(form, exc)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@no_store
@recent_auth_required
def new_user():
    form = NewStaffForm()
    if form.validate_on_submit():
        details = staff.NewStaff(
            name=form.name.data,
            email=form.email.data,
            role=form.role.data,
            phone=form.phone.data or None,
            locale=form.locale.data,
        )
        try:
            user = staff.create_staff(current_user, details)
        except staff.StaffError as exc:
            _staff_error(exc, form)
        else:
            _send_welcome(user)
            flash(
                _(
                    "%(name)s's account is ready. We emailed %(email)s a link to choose a "
                    "password.",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


def _send_welcome(user: User) -> None:
    send_template(
        user.email,
        "admin/email/staff_welcome.txt",
        _l("Your staff account at Gerai Tangerang Gemilang"),
        locale=user.locale,
        user=user,
        role=ROLE_LABELS[Role(user.role)],
        link=reset_link(user),
        hours=current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.ADMIN)
@recent_auth_required
def change_role(user_id: int):
    user = _user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _render_user(user, role_form=form, status=400)
    try:
        changed = staff.change_role(current_user, user, form.role.data)
    except staff.StaffError as exc:
        _staff_error(exc, form)
        return _render_user(user, role_form=form, status=400)
    if changed:
        flash(
            _("%(name)s is now: %(role)s.", name=user.name, role=ROLE_LABELS[Role(user.role)]),
            "success",
        )
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _set_active(user_id: int, active: bool):
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_user(user, status=400)
    try:
        staff.set_active(current_user, user, active)
    except staff.StaffError as exc:
        _staff_error(exc)
        return _render_user(user, status=400)
    if active:
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    else:
        flash(
            _("%(name)s is deactivated and signed out on every device.", name=user.name),
            "success",
        )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def deactivate_user(user_id: int):
    # No password asked again: closing an account is what an admin does in a hurry (a lost
    # phone, a cashier who left), and it only ever takes access away.
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required(Role.ADMIN)
@recent_auth_required
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@role_required(Role.ADMIN)
def send_reset_link(user_id: int):
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_user(user, status=400)
    try:
        staff.record_reset_link(current_user, user)
    except staff.StaffError as exc:
        _staff_error(exc)
        return _render_user(user, status=400)
    send_template(
        user.email,
        "auth/email/reset_password.txt",
        _l("Reset your password at Gerai Tangerang Gemilang"),
        locale=user.locale,
        user=user,
        link=reset_link(user),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    flash(
        _("A link to choose a new password was emailed to %(email)s.", email=user.email), "success"
    )
    return redirect(url_for("admin.user_detail", user_id=user.id))
