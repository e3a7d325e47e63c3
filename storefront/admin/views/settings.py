"""The shop settings screen: every setting of the registry, one form per group."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront import database
from storefront.admin import bp
from storefront.admin.forms import settings_form, typed_values
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.settings import registry
from storefront.settings.services import SettingsRefused, get_settings, save_settings

GROUP_KEYS = [group.key for group in registry.GROUPS]


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return redirect(url_for("admin.settings"))


def _stored() -> dict[str, str]:
    return get_settings(*registry.DEFAULTS)


def _render(forms: dict, status: int = 200, saved_group: str | None = None):
    return (
        render_template(
            "admin/settings.html",
            groups=registry.GROUPS,
            forms=forms,
            definitions={g: registry.definitions(g) for g in GROUP_KEYS},
            saved_group=saved_group,
        ),
        status,
    )


@bp.route("/settings")
@role_required(Role.ADMIN)
def settings():
    stored = _stored()
    return _render({group: settings_form(group, stored) for group in GROUP_KEYS})


@bp.route("/settings/<group>", methods=["POST"])
@role_required(Role.ADMIN)
def save_group(group: str):
    if group not in GROUP_KEYS:
        abort(404)
    stored = _stored()
    forms = {g: settings_form(g, stored) for g in GROUP_KEYS}
    form = forms[group] = settings_form(group, stored, formdata=request.form)
    if not form.validate_on_submit():  # the CSRF token
        return _render(forms, 400)
    try:
        changes = save_settings(current_user, typed_values(form, group))
    except SettingsRefused as refused:
        database.rollback()
        for key, message in refused.errors.items():
            form[key].errors = [str(message)]
        flash(_("Nothing was saved: please check the fields marked below."), "error")
        return _render(forms, 400)
    if changes:
        names = ", ".join(str(registry.REGISTRY[key].label) for key in changes)
        flash(_("Saved: %(names)s. It applies from now on.", names=names), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("admin.settings", _anchor=group))
