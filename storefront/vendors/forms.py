"""Forms for the vendor application and its review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    ValidationError,
)

from storefront.auth.forms import valid_email, valid_phone
from storefront.clock import today_wib
from storefront.forms import MultiCheckboxField, PercentField, checked_by, choices
from storefront.indonesia import banks, identifiers, regions
from storefront.uploads import UploadRejected, check_size
from storefront.vendors.models import DocumentKind, SettlementPeriod

_ids = identifiers.InvalidIdentifier


class OwnerForm(FlaskForm):
    name = StringField(
        _l("Owner's full name (as on the KTP)"),
        validators=[DataRequired(message=_l("Enter the owner's name.")), Length(max=120)],
    )
    nik = StringField(
        _l("NIK (16 digits on the KTP)"),
        validators=[
            DataRequired(message=_l("Enter the NIK.")),
            checked_by(identifiers.parse_nik, _ids),
        ],
    )
    phone = TelField(
        _l("Phone / WhatsApp"),
        validators=[DataRequired(message=_l("Enter a phone number.")), valid_phone],
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(message=_l("Enter your email.")), valid_email]
    )

    def __init__(self, *args, nik_saved: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if nik_saved:
            # The saved NIK is never sent back to the browser; an empty field keeps it.
            self.nik.validators = [Optional(), checked_by(identifiers.parse_nik, _ids)]
            self.nik.flags.required = False


def kecamatan_choices() -> list:
    """Every kecamatan of Kabupaten and Kota Tangerang, grouped by the two; nothing preselected,
    so nobody sends the first one on the list by accident."""
    return [SelectChoice("", _l("Choose the kecamatan"))] + [
        choice
        for key, label in regions.CITIES
        for choice in choices(
            [(f"{key}|{name}", name) for name in regions.KECAMATAN[key]], optgroup=label
        )
    ]


class BusinessForm(FlaskForm):
    name = StringField(
        _l("Business name"),
        validators=[DataRequired(message=_l("Enter the business name.")), Length(max=120)],
    )
    legal_form = SelectField(_l("Legal form"), choices=[])
    nib = StringField(
        _l("NIB (13 digits, from OSS)"),
        validators=[
            DataRequired(message=_l("Enter the NIB.")),
            checked_by(identifiers.parse_nib, _ids),
        ],
    )
    npwp = StringField(
        _l("NPWP (optional)"),
        validators=[Optional(), checked_by(identifiers.parse_npwp, _ids)],
    )
    # Shown only once an NPWP is saved: the saved number is never sent back to the browser,
    # so an empty NPWP field keeps it and this box removes it.
    remove_npwp = BooleanField(_l("Remove the saved NPWP"))
    address = TextAreaField(
        _l("Business address"),
        validators=[DataRequired(message=_l("Enter the address.")), Length(max=500)],
    )
    location = SelectField(
        _l("Kecamatan"),
        choices=[],
        validators=[DataRequired(message=_l("Choose the kecamatan."))],
        validate_choice=True,
    )
    incubator_cohort = StringField(
        _l("Business incubator cohort (optional)"), validators=[Optional(), Length(max=120)]
    )
    categories = MultiCheckboxField(_l("What do you make?"), coerce=int, choices=[])
    story = TextAreaField(
        _l("Your story for the public profile"),
        validators=[
            DataRequired(message=_l("Tell shoppers about your business.")),
            Length(max=2000),
        ],
    )

    logo = FileField(_l("Logo (optional; JPEG, PNG or WebP)"))

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_form.choices = choices(identifiers.LEGAL_FORMS)
        self.location.choices = kecamatan_choices()
        self.categories.choices = choices(category_choices)


DOCUMENT_KINDS = DocumentKind.choices()


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Document"), choices=choices(DOCUMENT_KINDS))
    number = StringField(_l("Number on the document"), validators=[Length(max=60)])
    issued_on = DateField(_l("Issued on (optional)"), validators=[Optional()])
    expires_on = DateField(_l("Valid until (if it expires)"), validators=[Optional()])
    file = FileField(
        _l("File (PDF, JPEG or PNG, at most 5 MB)"),
        validators=[FileRequired(message=_l("Choose the file to upload."))],
    )

    def validate_issued_on(self, field):
        if field.data and field.data > today_wib():
            raise ValidationError(_l("The issue date cannot be in the future."))

    def validate_file(self, field):
        if not field.data:
            return  # FileRequired said so
        try:
            check_size(field.data)
        except UploadRejected as exc:
            raise ValidationError(str(exc.message)) from None


class BankForm(FlaskForm):
    bank_code = SelectField(_l("Bank"), choices=[])
    account = StringField(
        _l("Account number"),
        validators=[DataRequired(message=_l("Enter the account number.")), Length(max=30)],
    )
    holder = StringField(
        _l("Account holder name"),
        validators=[DataRequired(message=_l("Enter the account holder's name.")), Length(max=120)],
    )
    # "Bank lain": a BPR, BPRS or digital bank that is not in the list.
    other_bank_name = StringField(
        _l("Bank name (if “Other bank”)"), validators=[Optional(), Length(max=80)]
    )
    other_bank_code = StringField(
        _l("Bank transfer code (if “Other bank”)"), validators=[Optional(), Length(max=12)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_code.choices = choices(
            [(b.code, b.name) for b in banks.BANKS]
            + [(banks.OTHER_BANK, _l("Other bank (BPR, BPRS, digital bank…)"))]
        )

    @classmethod
    def for_vendor(cls, vendor) -> BankForm:
        """The form filled with the saved bank (never the account number)."""
        other = bool(vendor.bank_name)
        return cls(
            data={
                "bank_code": banks.OTHER_BANK if other else vendor.bank_code,
                "holder": vendor.bank_holder,
                "other_bank_name": vendor.bank_name or "",
                "other_bank_code": vendor.bank_code if other else "",
            }
        )

    def bank_input(self) -> dict:
        """The arguments of `services.save_bank` after the vendor."""
        return {
            "bank_code": self.bank_code.data,
            "account": self.account.data,
            "holder": self.holder.data,
            "other_bank_name": self.other_bank_name.data or "",
            "other_bank_code": self.other_bank_code.data or "",
        }


class SubmitApplicationForm(FlaskForm):
    personal_data = BooleanField(
        _l("I agree that the outlet processes my personal data as described above (UU PDP).")
    )
    terms = BooleanField(_l("I accept the consignment agreement above."))


FOLLOW_RATE, OWN_RATE = "follow", "own"


class ApproveForm(FlaskForm):
    # "Follow" leaves the vendor without a rate of its own, so its categories' rates and the
    # outlet's default apply (catalog.commission), and a later change of those reaches it.
    commission_rule = RadioField(
        _l("Commission"),
        choices=choices(
            [
                (FOLLOW_RATE, _l("Follow the category / outlet default")),
                (OWN_RATE, _l("A rate for this vendor only")),
            ]
        ),
        default=FOLLOW_RATE,
    )
    # Basis points in `data` (2250 for "22,5"): the rate as advertised, never rounded to a
    # whole percent.
    commission_percent = PercentField(
        _l("Vendor's own rate (%)"),
        render_kw={"inputmode": "decimal"},
    )
    settlement_period = SelectField(
        _l("Settlement period"),
        choices=choices(SettlementPeriod.choices()),
    )
    note = TextAreaField(_l("Note to the vendor (optional)"), validators=[Length(max=2000)])

    def validate_commission_percent(self, field) -> None:
        if self.commission_rule.data == OWN_RATE and field.data is None:
            raise ValidationError(_l("Enter the vendor's own rate, or let it follow the default."))
        if self.commission_rule.data != OWN_RATE and field.data is not None:
            # A rate typed with "follow" still chosen would be silently dropped.
            raise ValidationError(
                _l("Choose “A rate for this vendor only” to use this rate, or clear it.")
            )

    def vendor_rate(self) -> int | None:
        """The vendor's own rate in basis points, or None to follow category / default."""
        return self.commission_percent.data if self.commission_rule.data == OWN_RATE else None


class DecisionCommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Message to the applicant"),
        validators=[DataRequired(message=_l("Write a message.")), Length(max=2000)],
    )


class CounterVendorForm(FlaskForm):
    """A manager onboards a producer in person, papers in hand."""

    name = StringField(
        _l("Business name"),
        validators=[DataRequired(message=_l("Enter the business name.")), Length(max=120)],
    )
    owner_name = StringField(
        _l("Owner's full name (as on the KTP)"),
        validators=[DataRequired(message=_l("Enter the owner's name.")), Length(max=120)],
    )
    owner_phone = TelField(
        _l("Phone / WhatsApp"),
        validators=[DataRequired(message=_l("Enter a phone number.")), valid_phone],
    )
    owner_email = EmailField(
        _l("Owner's email (optional: creates their portal account)"),
        validators=[Optional(), valid_email],
    )
    nib = StringField(
        _l("NIB (13 digits, from OSS)"),
        validators=[
            DataRequired(message=_l("Enter the NIB.")),
            checked_by(identifiers.parse_nib, _ids),
        ],
    )
    location = SelectField(
        _l("Kecamatan"),
        choices=[],
        validators=[DataRequired(message=_l("Choose the kecamatan."))],
    )
    categories = MultiCheckboxField(_l("What do they make?"), coerce=int, choices=[])
    commission_rule = ApproveForm.commission_rule
    commission_percent = ApproveForm.commission_percent
    settlement_period = ApproveForm.settlement_period
    validate_commission_percent = ApproveForm.validate_commission_percent
    vendor_rate = ApproveForm.vendor_rate

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.location.choices = kecamatan_choices()
        self.categories.choices = choices(category_choices)
