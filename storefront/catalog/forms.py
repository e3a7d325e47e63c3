"""Forms vendors use for their product listings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from storefront.catalog.models import FoodType, PermitKind
from storefront.catalog.variants import MAX_OPTIONS, MAX_VARIANTS, OptionSpec
from storefront.forms import choices
from storefront.money import (
    MAX_AMOUNT,
    AmountTooLarge,
    CommaThousands,
    InvalidAmount,
    format_rupiah,
    parse_rupiah,
)


def too_large_message() -> str:
    return str(_l("At most %(amount)s.", amount=format_rupiah(MAX_AMOUNT)))


def comma_message(exc: CommaThousands) -> str:
    if exc.understood:
        return str(
            _l(
                "In Indonesian a comma marks decimals: did you mean %(amount)s? Write it as "
                "%(plain)s or %(dotted)s.",
                amount=format_rupiah(exc.understood),
                plain=str(exc.understood),
                dotted=format_rupiah(exc.understood).removeprefix("Rp"),
            )
        )
    return str(_l("In Indonesian a comma marks decimals: write thousands with a dot, e.g. 25.000."))


class RupiahField(StringField):
    """Whole rupiah typed the way people write it: 25000, 25.000 or Rp25.000; at most
    MAX_AMOUNT."""

    invalid_message = _l("Enter the price in whole rupiah, e.g. 25000, 25.000 or Rp25.000,-.")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_rupiah(valuelist[0])
            except AmountTooLarge as exc:
                raise ValueError(too_large_message()) from exc
            except CommaThousands as exc:
                raise ValueError(comma_message(exc)) from exc
            except InvalidAmount as exc:
                raise ValueError(str(self.invalid_message)) from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:,}".replace(",", ".")


class ProductForm(FlaskForm):
    name = StringField(
        _l("Product name"),
        validators=[DataRequired(message=_l("Enter the product name.")), Length(max=120)],
    )
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(message=_l("Describe the product.")), Length(max=4000)],
    )
    price = RupiahField(_l("Price (Rp)"))
    unit = StringField(
        _l("Sold per"),
        default="pcs",
        validators=[DataRequired(message=_l("E.g. pcs, bungkus, botol.")), Length(max=30)],
    )
    net_content = StringField(_l("Net content (e.g. 250 g)"), validators=[Length(max=30)])
    ingredients = TextAreaField(_l("Ingredients"), validators=[Length(max=2000)])
    allergens = StringField(_l("Allergens"), validators=[Length(max=255)])
    storage = StringField(_l("Storage instructions"), validators=[Length(max=255)])
    shelf_life_days = IntegerField(
        _l("Shelf life (days)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=3650, message=_l("Between 1 and 3650 days.")),
        ],
    )
    food_type = SelectField(
        _l("Type of food (food and drink only)"),
        default=FoodType.PACKAGED.value,
        choices=choices([(food_type.value, food_type.label) for food_type in FoodType]),
    )
    animal_derived = BooleanField(
        _l("Made with animal-derived material (e.g. leather, bone, horn)")
    )
    non_halal = BooleanField(
        _l("This product contains non-halal ingredients (shown clearly to shoppers)")
    )
    non_halal_ingredient = StringField(
        _l("Which non-halal ingredient?"), validators=[Length(max=120)]
    )
    size_guide = TextAreaField(_l("Size guide"), validators=[Length(max=4000)])
    # Shown when a price changes by more than half: 25000 typed as 250000 is a real mistake.
    confirm_price = BooleanField(_l("Yes, this new price is right"))
    # A product on the shelf changes price from a date, so the labels can be reprinted first.
    price_from = DateField(_l("New price from"), validators=[Optional()])

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = choices((c.id, c.display_name) for c in categories)

    def validate_price(self, field):
        if field.data is None:
            raise ValidationError(_l("Enter the price in whole rupiah, e.g. 25000 or 25.000."))
        if field.data <= 0:
            raise ValidationError(_l("The price must be more than Rp0."))


PERMIT_KINDS = PermitKind.choices()


class PermitForm(FlaskForm):
    kind = SelectField(_l("Permit"), choices=choices(PERMIT_KINDS))
    number = StringField(
        _l("Number"),
        validators=[DataRequired(message=_l("Enter the number.")), Length(max=60)],
    )
    issued_on = DateField(_l("Issued on"), validators=[Optional()])
    expires_on = DateField(_l("Valid until (berlaku sampai), as printed"), validators=[Optional()])
    file = FileField(_l("Certificate (PDF, JPEG or PNG, optional)"))


class PhotoForm(FlaskForm):
    photo = FileField(
        _l("Add a photo (JPEG, PNG or WebP)"),
        validators=[FileRequired(message=_l("Choose a photo."))],
    )


# --- sizes and colours ---------------------------------------------------------------------


class OptionRowForm(Form):
    name = StringField(_l("Option"), validators=[Length(max=40)])
    values = StringField(_l("Values, separated by commas"), validators=[Length(max=1200)])


class OptionsForm(FlaskForm):
    """Up to MAX_OPTIONS options as the vendor types them: Ukuran with "36, 37, 38"."""

    options = FieldList(FormField(OptionRowForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)

    @classmethod
    def for_product(cls, product) -> OptionsForm:
        rows = [
            {"name": option.name, "values": ", ".join(v.value for v in option.values)}
            for option in product.options
        ]
        return cls(formdata=None, data={"options": rows})

    def specs(self) -> list[OptionSpec]:
        """The rows filled in; a row with neither a name nor values is left out."""
        rows = [(row.form.name.data or "", row.form.values.data or "") for row in self.options]
        return [
            OptionSpec.parse(name, values)
            for name, values in rows
            if name.strip() or values.strip()
        ]


class VariantRowForm(Form):
    variant_id = HiddenField()
    sku = StringField(_l("Code"), validators=[Length(max=32)])
    price_delta = RupiahField(_l("Price difference"))
    active = BooleanField(_l("On offer"))


class VariantGridForm(FlaskForm):
    """The whole grid in one form: every variant's code, price difference and whether it is on
    offer, saved together or not at all."""

    rows = FieldList(FormField(VariantRowForm), max_entries=MAX_VARIANTS)

    @classmethod
    def for_variants(cls, grid) -> VariantGridForm:
        rows = [
            {"variant_id": v.id, "sku": v.sku, "price_delta": v.price_delta, "active": v.active}
            for v in grid
        ]
        return cls(formdata=None, data={"rows": rows})

    def changes(self) -> dict[int, tuple[str, int, bool]]:
        """{variant id: (code, price difference, on offer)} as posted; a row whose id is not a
        number is left out (the view only applies ids of the product's own variants)."""
        posted = {}
        for row in self.rows:
            raw = (row.form.variant_id.data or "").strip()
            if raw.isdigit():
                posted[int(raw)] = (
                    row.form.sku.data or "",
                    row.form.price_delta.data or 0,
                    bool(row.form.active.data),
                )
        return posted


class PhotoVariantForm(FlaskForm):
    """Which variant a photo shows: the whole product (empty) or one size or colour."""

    variant_id = SelectField(_l("Photo of"), choices=[], validate_choice=True)

    def __init__(self, *args, variants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.variant_id.choices = choices(
            [("", _l("Whole product")), *((str(v.id), v.label) for v in variants)]
        )
