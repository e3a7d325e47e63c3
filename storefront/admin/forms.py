"""Forms of the admin pages. The settings form is drawn from the settings registry: its fields
only carry what was typed, and `settings.services.save_settings` decides what is valid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from storefront.auth.forms import valid_email, valid_phone
from storefront.auth.models import Role
from storefront.auth.staff import ASSIGNABLE_ROLES, STAFF_ROLES
from storefront.forms import MultiCheckboxField, choices
from storefront.money import format_rupiah
from storefront.settings.registry import Choice, Choices, SettingDefinition, definitions

ROLE_LABELS = {
    Role.SHOPPER: _l("Shopper"),
    Role.VENDOR: _l("Vendor"),
    Role.CASHIER: _l("Cashier"),
    Role.MENTOR: _l("Mentor"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Admin"),
}
# Blank rows under the delivery zones, for new zones.
NEW_ZONE_ROWS = 2


class ZoneRow(Form):
    fee = StringField(_l("Fee (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    kecamatan = TextAreaField(_l("Kecamatan"), render_kw={"rows": 3})


INPUT_HINTS = {
    "rupiah": {"inputmode": "numeric", "autocomplete": "off"},
    "percent": {"inputmode": "decimal", "autocomplete": "off"},
    "number": {"inputmode": "numeric", "autocomplete": "off"},
}


def _field(definition: SettingDefinition):
    kind, label, help_text = definition.kind, definition.label, definition.help
    widget = kind.widget
    if widget == "zones":
        return FieldList(FormField(ZoneRow), label=label, description=help_text)
    if isinstance(kind, Choices):
        return MultiCheckboxField(
            label, description=help_text, choices=choices(kind.choices), validate_choice=False
        )
    if isinstance(kind, Choice):
        # The registry checks the choice, with the same message as every other setting.
        return SelectField(
            label, description=help_text, choices=choices(kind.choices), validate_choice=False
        )
    if widget == "textarea":
        return TextAreaField(label, description=help_text, render_kw={"rows": 3})
    if widget == "tel":
        return TelField(label, description=help_text, render_kw={"autocomplete": "off"})
    if widget == "email":
        return EmailField(label, description=help_text, render_kw={"autocomplete": "off"})
    return StringField(label, description=help_text, render_kw=INPUT_HINTS.get(widget, {}))


def settings_form(group: str, stored: dict[str, str], formdata=None) -> FlaskForm:
    """The form of one group of settings, filled with the stored values (or what was posted)."""

    class SettingsForm(FlaskForm):
        pass

    for definition in definitions(group):
        setattr(SettingsForm, definition.key, _field(definition))
    data = {}
    for definition in definitions(group):
        value = definition.kind.form_value(stored[definition.key])
        if definition.kind.widget == "zones":
            value = [
                {
                    "fee": format_rupiah(z.fee).removeprefix("Rp"),
                    "kecamatan": ", ".join(z.kecamatan),
                }
                for z in value
            ]
            value += [{"fee": "", "kecamatan": ""}] * NEW_ZONE_ROWS
        data[definition.key] = value
    form = SettingsForm(formdata=formdata, data=data)
    return form


def typed_values(form: FlaskForm, group: str) -> dict[str, object]:
    """What was typed into the group's form, as the registry's kinds read it."""
    typed = {}
    for definition in definitions(group):
        field = form[definition.key]
        if definition.kind.widget == "zones":
            typed[definition.key] = [(row.fee.data, row.kecamatan.data) for row in field]
        else:
            typed[definition.key] = field.data
    return typed


class NewStaffForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter an email address.")), valid_email],
    )
    phone = TelField(_l("Phone or WhatsApp (optional)"), validators=[Optional(), valid_phone])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in STAFF_ROLES))
    locale = SelectField(
        _l("Language of their emails"),
        choices=choices((("id", "Bahasa Indonesia"), ("en", "English"))),
    )


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in ASSIGNABLE_ROLES)
    )
