"""Forms for stock: the intake (a vendor's delivery typed or scanned line by line), returns,
write-offs and stock counts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from storefront.forms import PercentField, choices
from storefront.stock.models import (
    AgreedVia,
    CountScope,
    MarkdownBearer,
    MovementKind,
    Responsibility,
)
from storefront.stock.operations import WRITE_OFF_KINDS, ReturnReason

QUANTITY_PREFIX = "qty-"


# --- intake ---------------------------------------------------------------------------------------

BLANK_ROWS = 8
MAX_ROWS = 200


def line_choice(product, variant=None) -> str:
    """A line's product select value: "12" (a product, or all the sizes of one with options
    still to be split into a line each) or "12:34" (size or colour 34 of product 12)."""
    return f"{product.id}:{variant.id}" if variant is not None else str(product.id)


def parse_line_choice(raw) -> tuple[int | None, int | None]:
    """(product id, variant id) from `line_choice`'s value; (None, None) for anything else."""
    product, _sep, variant = str(raw or "").partition(":")
    if not product.isdigit() or (variant and not variant.isdigit()):
        return None, None
    return int(product), int(variant) if variant else None


class IntakeLineForm(Form):
    """One line; the CSRF token lives on the outer form."""

    product = SelectField(_l("Product"), choices=[], validate_choice=False)
    code = StringField(_l("or product code"), validators=[Optional(), Length(max=32)])
    quantity = IntegerField(
        _l("Quantity"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    batch_code = StringField(_l("Batch code"), validators=[Optional(), Length(max=40)])
    produced_on = DateField(_l("Produced on"), validators=[Optional()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (
            self.product.data
            or (self.code.data or "").strip()
            or self.quantity.data is not None
            or (self.quantity.raw_data and self.quantity.raw_data[0].strip())
            or (self.batch_code.data or "").strip()
            or self.expires_on.data
            or self.produced_on.data
        )


class IntakeForm(FlaskForm):
    vendor_id = HiddenField()
    submission_key = HiddenField(
        validators=[
            DataRequired(message=_l("This form has expired; please open it again.")),
            Regexp(r"^[0-9a-f]{32}$", message=_l("This form has expired; please open it again.")),
        ]
    )
    scan = StringField(
        _l("Scan or type a product code"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    delivered_by = StringField(_l("Delivered by (name)"), validators=[Optional(), Length(max=120)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(IntakeLineForm), min_entries=BLANK_ROWS, max_entries=MAX_ROWS)

    def set_products(self, products) -> None:
        pairs = [("", "—")]
        for product in products:
            if not product.has_options:
                pairs.append((line_choice(product), f"{product.name} · {product.code}"))
                continue
            # Choosing the product itself splits the line into one per size (the view does).
            pairs.append(
                (
                    line_choice(product),
                    _l("%(product)s · every size or colour", product=product.name),
                )
            )
            pairs.extend(
                (line_choice(product, v), f"{product.name} — {v.label} · {v.code}")
                for v in product.active_variants
            )
        self._options = choices(pairs)
        for row in self.lines:
            row.product.choices = self._options

    def add_rows(self, count: int = BLANK_ROWS) -> None:
        for _ in range(min(count, MAX_ROWS - len(self.lines))):
            self.lines.append_entry()
            self.lines[-1].product.choices = getattr(self, "_options", [])


# --- returns, write-offs and counts ---------------------------------------------------------------


class ReturnForm(FlaskForm):
    """The reason and note; the quantities per batch are `qty-<batch id>` fields on the page."""

    reason = SelectField(
        _l("Reason for the return"),
        validators=[DataRequired(message=_l("Choose a reason for the return."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = choices([("", _l("Choose…")), *ReturnReason.choices()])


def return_quantities(formdata, batch_ids) -> tuple[dict[int, int], dict[int, str]]:
    """The quantities typed per batch (blank is 0) and, per batch, a message for bad input."""
    quantities: dict[int, int] = {}
    errors: dict[int, str] = {}
    for batch_id in batch_ids:
        raw = (formdata.get(f"{QUANTITY_PREFIX}{batch_id}") or "").strip()
        if not raw:
            continue
        try:
            quantities[batch_id] = int(raw)
        except ValueError:
            errors[batch_id] = str(_l("Enter a whole number."))
    return quantities, errors


class WriteOffForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_l("Enter a quantity of at least 1.")),
            NumberRange(min=1, message=_l("Enter a quantity of at least 1.")),
        ],
    )
    kind = SelectField(_l("Kind"))
    reason = TextAreaField(
        _l("What happened"),
        validators=[DataRequired(message=_l("Say what happened.")), Length(max=1000)],
    )
    responsible = RadioField(
        _l("Who is responsible"),
        validators=[InputRequired(message=_l("Say who is responsible: the outlet or the vendor."))],
    )
    photo = FileField(_l("Photo (optional, JPEG, PNG or WebP)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(MovementKind.choices(WRITE_OFF_KINDS))
        self.responsible.choices = choices(Responsibility.choices())


class StartCountForm(FlaskForm):
    scope = SelectField(_l("What to count"))
    vendor_id = SelectField(_l("Vendor"), coerce=int, validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])

    def __init__(self, *args, vendors=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = choices(CountScope.choices())
        self.vendor_id.choices = choices([(0, "—")] + [(v.id, v.name) for v in vendors])
        self.category_id.choices = choices(
            [(0, "—")] + [(c.id, c.display_name) for c in categories]
        )


class CountLineForm(FlaskForm):
    counted = IntegerField(
        _l("Counted"),
        validators=[
            InputRequired(message=_l("Enter the quantity you counted.")),
            NumberRange(min=0, message=_l("A counted quantity cannot be negative.")),
        ],
    )


class PostCountForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the corrections"),
        validators=[
            DataRequired(message=_l("Give a reason for the corrections.")),
            Length(max=1000),
        ],
    )
    # Needed only when units are missing: who pays the vendor for them.
    responsible = RadioField(_l("Who is responsible for missing units"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible.choices = choices(Responsibility.choices())


class ConfirmForm(FlaskForm):
    """A button with nothing to fill in (cancel a count): the CSRF token only."""


# --- near-expiry markdowns ------------------------------------------------------------------------


class MarkdownForm(FlaskForm):
    """A batch near expiry sold for less, with the vendor's agreement (stock.markdowns)."""

    percent = PercentField(_l("Markdown (%)"))
    bearer = SelectField(
        _l("Who bears the discount"),
        choices=choices((b.value, b.label) for b in MarkdownBearer),
        default=MarkdownBearer.VENDOR.value,
    )
    vendor_part = PercentField(_l("Vendor's part of the discount (%), for a split"))
    agreed_by = StringField(_l("Agreed by (name at the vendor)"), validators=[Length(max=120)])
    agreed_at = DateTimeLocalField(
        _l("Agreed on"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    agreed_via = SelectField(
        _l("Agreed by way of"),
        choices=choices([("", _l("Choose…")), *((v.value, v.label) for v in AgreedVia)]),
        validate_choice=False,
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
