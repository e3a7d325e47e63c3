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
from sqlalchemy.orm.attributes import set_committed_value

from storefront.catalog import variants as variant_rules
from storefront.catalog.models import (
    Product,
    ProductOption,
    ProductOptionValue,
    ProductPhoto,
    ProductVariant,
    variant_values,
)
from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.availability import LOW_STOCK
from storefront.templating import photo_srcset, photo_url

VARIANT_PARAMETER = "variant"


def load_for_page(product: Product) -> Product:
    """The product with its options and values, variants and their values, and photos, in
    three flat queries however many variants (no query per variant). Relationship loaders
    (selectinload) cost several times as much here: the page with 20 variants must render
    within 20 % of one without (bench/variant_page.py)."""
    options = product.options  # already read by the view (`has_options`)
    # Each value with the variants that have it (a value no variant has comes once, with None).
    rows = db.session.execute(
        select(ProductOptionValue, variant_values.c.variant_id)
        .join(ProductOption, ProductOption.id == ProductOptionValue.option_id)
        .outerjoin(variant_values, variant_values.c.value_id == ProductOptionValue.id)
        .where(ProductOption.product_id == product.id)
        .order_by(ProductOptionValue.position, ProductOptionValue.id)
    ).all()
    found = list(
        db.session.scalars(
            select(ProductVariant)
            .where(ProductVariant.product_id == product.id)
            .order_by(ProductVariant.position, ProductVariant.id)
        )
    )
    by_option: dict[int, list[ProductOptionValue]] = {option.id: [] for option in options}
    of_variant: dict[int, list[ProductOptionValue]] = {variant.id: [] for variant in found}
    seen: set[int] = set()
    for value, variant_id in rows:
        if value.id not in seen:
            seen.add(value.id)
            by_option[value.option_id].append(value)
        if variant_id is not None:
            of_variant[variant_id].append(value)
    for option in options:
        set_committed_value(option, "values", by_option[option.id])
        for value in by_option[option.id]:
            set_committed_value(value, "option", option)
    for variant in found:
        # The relationship's own order (ProductVariant.values: by option id).
        set_committed_value(
            variant, "values", sorted(of_variant[variant.id], key=lambda v: (v.option_id, v.id))
        )
        set_committed_value(variant, "product", product)
    set_committed_value(product, "variants", found)
    product.photos  # noqa: B018  (loaded here, once, with the rest)
    return product


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
    # {variant id: its value ids}, for the sellable variants.
    value_ids: dict[int, frozenset[int]] = field(default_factory=dict)

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
        if not self.sellable:
            return set()
        today = self.sellable[0].product.current_price
        return {today + v.price_delta for v in self.sellable}


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

    # The value ids of each variant in stock, to tell which values can still be picked.
    value_ids = {v.id: frozenset(value.id for value in v.values) for v in sellable}
    in_stock = [value_ids[v.id] for v in sellable if quantities.get(v.id, 0) > 0]
    # A size only unreviewed or switched-off variants have is not offered at all (not "sold
    # out": it may never be sold).
    offered_values = set().union(*value_ids.values()) if value_ids else set()
    options = []
    for option in product.options:
        others = {value.id for oid, value in chosen.items() if oid != option.id}
        values = [
            ValueChoice(
                value=value,
                checked=chosen.get(option.id) is value,
                sold_out=not any(value.id in ids and others <= ids for ids in in_stock),
            )
            for value in option.values
            if value.id in offered_values
        ]
        options.append(OptionChoice(option, names[option.id], values, chosen.get(option.id)))

    sold_out_values = [
        _("%(option)s %(value)s sold out", option=state.option.name, value=state.value.value)
        for state in variant_rules.value_availability(product, quantities)
        if state.available <= 0 and state.value.id in offered_values
    ]
    return Picker(options, variant, quantities, sold_out_values, notice, sellable, value_ids)


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
    values, price and stock as the page shows them (indexes into `snippets`, rendered once per
    distinct price or stock badge, not once per variant), and its first own photo."""
    availability = get_template_attribute("macros/stock.html", "availability")
    price_block = get_template_attribute("shop/_variant_price.html", "variant_price")
    today = product.current_price
    own_photo: dict[int, ProductPhoto] = {}
    for photo in product.photos:
        if photo.variant_id is not None:
            own_photo.setdefault(photo.variant_id, photo)
    # "Kode produk: {code}" translated once: gettext per variant cost more than the rest.
    code_text = _("Product code: %(code)s", code="\x00")
    # Snippets by index: most variants share a price and a stock badge.
    snippets: list[str] = []
    prices: dict[tuple, int] = {}
    badges: dict[str, int] = {}
    rows = []
    for variant in picker.sellable:
        units = picker.quantities.get(variant.id, 0)
        price = today + variant.price_delta
        offers = offers_by_variant.get(variant.id) or []
        price_key = (price, tuple(id(offer) for offer in offers))
        if price_key not in prices:
            prices[price_key] = len(snippets)
            snippets.append(str(price_block(product, price, offers)))
        badge = "out" if units <= 0 else str(units) if units <= LOW_STOCK else "in"
        if badge not in badges:
            badges[badge] = len(snippets)
            snippets.append(str(availability(units)))
        own = own_photo.get(variant.id)
        rows.append(
            {
                "id": variant.id,
                "values": sorted(picker.value_ids[variant.id]),
                "label": variant.label,
                "price": prices[price_key],
                "units": units,
                "code_text": code_text.replace("\x00", variant.code),
                "stock": badges[badge],
                "photo": _photo(own, product.name) if own is not None else None,
            }
        )
    first = product.photos[0] if product.photos else None
    return {
        "parameters": {str(oid): name for oid, name in parameter_names(product.options).items()},
        "variants": rows,
        "snippets": snippets,
        "photo": _photo(first, product.name) if first is not None else None,
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
