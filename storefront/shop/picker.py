"""The product page's size and colour picker: which combination the shopper chose, what it
costs, whether it is in stock, and the table the page's script uses to switch without a reload.

The choice travels in the query string, so the picker works without JavaScript (a GET form
with one radio group per option) and a chosen size has its own URL (and its own copy in the
page cache, which keys pages by their full URL):

    /product/sandal-kulit?ukuran=12&warna=15    one parameter per option: its name made a
                                                slug ("ukuran"), the value's id
    /product/sandal-kulit?variant=7             a variant by its id (links from elsewhere)

Unknown, foreign or unsellable choices are ignored with a notice: the page still renders.
Only sellable variants (active and approved) are offered. Everything comes from the product's
options, variants and photos loaded in a few queries (`load_for_page`) and one stock query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import get_template_attribute
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.catalog import variants as variant_rules
from storefront.catalog.models import (
    Product,
    ProductOption,
    ProductOptionValue,
    ProductPhoto,
    ProductVariant,
)
from storefront.extensions import db
from storefront.money import format_rupiah
from storefront.stock import ledger
from storefront.templating import photo_srcset, photo_url

VARIANT_PARAMETER = "variant"


def load_for_page(product: Product) -> Product:
    """The product with its options and values, variants and their values, and photos: three
    or four SELECT ... IN queries however many variants (no query per variant)."""
    return db.session.scalars(
        select(Product)
        .where(Product.id == product.id)
        .options(
            selectinload(Product.options).selectinload(ProductOption.values),
            selectinload(Product.variants).selectinload(ProductVariant.values),
            selectinload(Product.photos),
        )
        .execution_options(populate_existing=True)
    ).one()


def parameter_names(options: list[ProductOption]) -> dict[int, str]:
    """{option id: query parameter}: the option's name as a slug ("ukuran"), or `o<id>` when
    two names make the same slug or the slug would clash with another parameter."""
    names: dict[int, str] = {}
    for option in options:
        name = slugify(option.name, separator="_")[:20] or f"o{option.id}"
        if name in names.values() or name in (VARIANT_PARAMETER, "page"):
            name = f"o{option.id}"
        names[option.id] = name
    return names


@dataclass(frozen=True)
class ValueChoice:
    value: ProductOptionValue
    checked: bool
    # No sellable variant in stock has this value together with the other values chosen.
    sold_out: bool


@dataclass(frozen=True)
class OptionChoice:
    option: ProductOption
    parameter: str
    values: list[ValueChoice]
    chosen: ProductOptionValue | None


@dataclass
class Picker:
    """What the product page shows for a product with options."""

    options: list[OptionChoice]
    variant: ProductVariant | None
    quantities: dict[int, int]
    # Per option value with no units at all ("Ukuran 40 habis").
    sold_out_values: list[str]
    notice: str | None = None
    sellable: list[ProductVariant] = field(default_factory=list)

    @property
    def stock(self) -> int:
        """Units of the chosen variant, else of every variant on offer."""
        if self.variant is not None:
            return self.quantities.get(self.variant.id, 0)
        return self.total

    @property
    def total(self) -> int:
        """Units of every variant on offer: whether the cart form is shown at all."""
        return sum(self.quantities.get(v.id, 0) for v in self.sellable)

    def prices(self) -> set[int]:
        return {v.current_price for v in self.sellable}


def photos_for(product: Product, variant: ProductVariant | None) -> list[ProductPhoto]:
    """The chosen variant's own photos first, then the product's; without a choice, the
    product's photos in their order."""
    if variant is None:
        return list(product.photos)
    own = [photo for photo in product.photos if photo.variant_id == variant.id]
    general = [photo for photo in product.photos if photo.variant_id is None]
    return own + general


def _int(raw) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def build(product: Product, args: Mapping[str, str], channel: str = "online") -> Picker:
    """The picker for `product` (loaded by `load_for_page`) and the request's query string."""
    sellable = [v for v in product.active_variants if v.sellable and v.values]
    offered = {v.id for v in sellable}
    quantities = {
        variant_id: units
        for variant_id, units in ledger.variant_quantities([product.id], channel=channel).items()
        if variant_id in offered
    }
    names = parameter_names(product.options)
    notice = None
    chosen: dict[int, ProductOptionValue] = {}

    by_id = _int(args.get(VARIANT_PARAMETER)) if args.get(VARIANT_PARAMETER) else None
    if args.get(VARIANT_PARAMETER):
        picked = next((v for v in sellable if v.id == by_id), None)
        if picked is None:
            notice = _("That size or colour is not available. Please choose again.")
        else:
            chosen = {value.option_id: value for value in picked.values}
    for option in product.options:
        raw = args.get(names[option.id])
        if raw is None or raw == "":
            continue
        value = next((v for v in option.values if v.id == _int(raw)), None)
        if value is None:
            notice = _("That size or colour is not available. Please choose again.")
            continue
        chosen[option.id] = value

    variant = None
    if chosen and len(chosen) == len(product.options):
        found = variant_rules.resolve(product, [value.id for value in chosen.values()])
        if found is not None and found.id in offered:
            variant = found
        else:
            notice = _("That combination is not sold. Please choose again.")

    options = []
    for option in product.options:
        others = {oid: value.id for oid, value in chosen.items() if oid != option.id}
        values = []
        for value in option.values:
            candidates = [
                v
                for v in sellable
                if any(own.id == value.id for own in v.values)
                and all(any(own.id == vid for own in v.values) for vid in others.values())
            ]
            values.append(
                ValueChoice(
                    value=value,
                    checked=chosen.get(option.id) is value,
                    sold_out=not any(quantities.get(v.id, 0) > 0 for v in candidates),
                )
            )
        options.append(OptionChoice(option, names[option.id], values, chosen.get(option.id)))

    sold_out_values = [
        _("%(option)s %(value)s sold out", option=state.option.name, value=state.value.value)
        for state in variant_rules.value_availability(product, quantities)
        if state.available <= 0
    ]
    return Picker(options, variant, quantities, sold_out_values, notice, sellable)


def _photo(photo: ProductPhoto, name: str) -> dict:
    return {
        "src": photo_url(photo, 640),
        "srcset": photo_srcset(photo),
        "href": photo_url(photo, 1200),
        "width": photo.width,
        "height": photo.height,
        "alt": name,
    }


def script_table(product: Product, picker: Picker, offers_by_variant: dict) -> dict:
    """What static/js/variant-picker.js needs to switch at once: per sellable variant its
    values, price and stock as the page shows them, and its first own photo."""
    availability = get_template_attribute("macros/stock.html", "availability")
    price_block = get_template_attribute("shop/_variant_price.html", "variant_price")
    rows = []
    for variant in picker.sellable:
        units = picker.quantities.get(variant.id, 0)
        own = next((p for p in product.photos if p.variant_id == variant.id), None)
        rows.append(
            {
                "id": variant.id,
                "values": sorted(value.id for value in variant.values),
                "label": variant.label,
                "code": variant.code,
                "price": variant.current_price,
                "price_text": format_rupiah(variant.current_price),
                "price_html": str(
                    price_block(product, variant.current_price, offers_by_variant.get(variant.id))
                ),
                "units": units,
                "code_text": _("Product code: %(code)s", code=variant.code),
                "stock_html": str(availability(units)),
                "photo": _photo(own, product.name) if own is not None else None,
            }
        )
    first = photos_for(product, None)
    return {
        "parameters": {str(oid): name for oid, name in parameter_names(product.options).items()},
        "variants": rows,
        "photo": _photo(first[0], product.name) if first else None,
    }


@dataclass(frozen=True)
class SizeGuide:
    text: str
    # Lines of cells when the guide is a table (the first is the heading), else None.
    rows: list[list[str]] | None


def size_guide(text: str | None) -> SizeGuide | None:
    """The product's size guide as the page shows it: a table when any line holds "|" (every
    row padded to the widest), else plain text. None when there is none."""
    text = (text or "").strip()
    if not text:
        return None
    lines = [line.strip().strip("|") for line in text.splitlines() if line.strip()]
    if not any("|" in line for line in lines):
        return SizeGuide(text, None)
    rows = [[cell.strip() for cell in line.split("|")] for line in lines]
    width = max(len(row) for row in rows)
    return SizeGuide(text, [row + [""] * (width - len(row)) for row in rows])
