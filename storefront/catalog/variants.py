"""Sizes and colours: a product's options, its variants (the combinations the vendor makes)
and how the shop, the till and the stock find one.

A product without options has one variant with no values and no own code (the product's code
is printed on its label). Giving it options generates the grid of variants in one step; each
variant then has its own code (SKU), an optional price difference, photos and stock. Nothing
here commits: the action's unit of work does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from slugify import slugify
from sqlalchemy import func, select

from storefront import manager_inbox
from storefront.catalog.models import (
    Product,
    ProductOption,
    ProductOptionValue,
    ProductStatus,
    ProductVariant,
    VariantReview,
)
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.manager_inbox import NotificationKind
from storefront.money import MAX_AMOUNT, format_rupiah

MAX_OPTIONS = 3
MAX_VALUES = 30
MAX_VARIANTS = 100
SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")


class VariantError(DomainError):
    """A variant rule was broken; `message` is safe to show, `field` names the form field."""


@dataclass(frozen=True)
class OptionSpec:
    """An option as the vendor types it: "Ukuran" with "36, 37, 38"."""

    name: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, name: str, values: str) -> OptionSpec:
        """ "36, 37, 38" or one per line; blanks and repeats dropped, order kept."""
        seen: list[str] = []
        for raw in re.split(r"[,\n;]", values or ""):
            value = " ".join(raw.split())
            if value and value.casefold() not in {v.casefold() for v in seen}:
                seen.append(value)
        return cls(" ".join((name or "").split()), tuple(seen))


# --- reading ---------------------------------------------------------------------------------


# catalog/ sits below stock/ (it may not import it): stock/ tells this module how to count the
# units on the shelf per variant when the app starts (`stock.init_app`).
_count_on_hand: Callable[[list[int]], dict[int, int]] | None = None


def count_stock_with(counter: Callable[[list[int]], dict[int, int]]) -> None:
    global _count_on_hand
    _count_on_hand = counter


def stock_on_hand(variant_ids) -> dict[int, int]:
    """Units on the shelf per variant (held ones included): what a removal must not lose."""
    ids = list(variant_ids)
    if not ids:
        return {}
    if _count_on_hand is None:
        raise RuntimeError("stock.init_app has not registered the stock counter")
    return _count_on_hand(ids)


def product_ids_of(variant_ids) -> dict[int, int]:
    """{variant id: its product's id} for these variants, in one query (unknown ids left out)."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProductVariant.id, ProductVariant.product_id).where(ProductVariant.id.in_(ids))
    )
    return dict(rows.tuples().all())


def find_by_code(code: str) -> ProductVariant | Product | None:
    """What a scanned or typed code names: a variant by its own code, else a product by its
    code. A product without options answers with its one variant; one with options answers
    with the product itself (the cashier must scan the size's label or choose)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    variant = db.session.scalar(
        select(ProductVariant).where(func.upper(ProductVariant.sku) == code)
    )
    if variant is not None:
        return variant
    product = db.session.scalar(select(Product).where(func.upper(Product.code) == code))
    if product is None:
        return None
    return product.default_variant or product


def resolve(product: Product, value_ids) -> ProductVariant | None:
    """The active variant with exactly these option values (one per option), or None."""
    wanted = {int(v) for v in value_ids}
    for variant in product.active_variants:
        if {value.id for value in variant.values} == wanted:
            return variant
    return None


def variant_for(product: Product, variant_id: int | None) -> ProductVariant:
    """The product's variant a form or cart names; a product without options needs none.
    VariantError when a product with options is given no (or a foreign, retired) variant."""
    if variant_id is None:
        default = product.default_variant
        if default is None:
            raise VariantError(_l("Choose the size or colour first."), field="variant_id")
        return default
    variant = next((v for v in product.variants if v.id == int(variant_id)), None)
    if variant is None or not variant.active:
        raise VariantError(_l("That size or colour is not sold any more."), field="variant_id")
    return variant


@dataclass(frozen=True)
class ValueState:
    option: ProductOption
    value: ProductOptionValue
    available: int


def value_availability(
    product: Product, quantities: dict[int, int], *, sellable_only: bool = True
) -> list[ValueState]:
    """Per option value, the units available over the variants that have it ("Ukuran 40
    habis"): `quantities` is {variant id: available} (stock.ledger.variant_quantities)."""
    totals: dict[int, int] = {}
    for variant in product.active_variants:
        if variant.sellable or not sellable_only:
            for own in variant.values:
                totals[own.id] = totals.get(own.id, 0) + quantities.get(variant.id, 0)
    return [
        ValueState(option, value, totals.get(value.id, 0))
        for option in product.options
        for value in option.values
    ]


# --- changing ----------------------------------------------------------------------------


def _label(values: list[ProductOptionValue]) -> str:
    return " / ".join(value.value for value in values)[:120]


def _sku_taken(sku: str, variant_id: int | None = None) -> bool:
    clash = db.session.scalar(
        select(ProductVariant.id).where(
            func.upper(ProductVariant.sku) == sku.upper(), ProductVariant.id != (variant_id or 0)
        )
    )
    if clash is not None:
        return True
    return (
        db.session.scalar(select(Product.id).where(func.upper(Product.code) == sku.upper()))
        is not None
    )


def _generated_sku(product: Product, values: list[ProductOptionValue]) -> str:
    parts = [slugify(value.value, separator="", lowercase=False).upper()[:6] for value in values]
    base = "-".join([product.code, *[p or "X" for p in parts]])[:28]
    sku, n = base, 2
    while _sku_taken(sku) or any(
        (v.sku or "").upper() == sku for v in product.variants if v.id is None
    ):
        sku, n = f"{base}-{n}"[:32], n + 1
    return sku


def _check_specs(specs: list[OptionSpec]) -> None:
    if not specs:
        raise VariantError(_l("Add at least one option, e.g. Ukuran."), field="options")
    if len(specs) > MAX_OPTIONS:
        raise VariantError(
            _l("A product can have at most %(n)d options.", n=MAX_OPTIONS), field="options"
        )
    names = [spec.name.casefold() for spec in specs]
    if len(set(names)) != len(names):
        raise VariantError(_l("Two options have the same name."), field="options")
    for spec in specs:
        if not spec.name or len(spec.name) > 40:
            raise VariantError(
                _l("Give every option a name of at most 40 characters."), field="options"
            )
        if not spec.values:
            raise VariantError(
                _l("Option %(name)s needs at least one value.", name=spec.name), field="options"
            )
        if len(spec.values) > MAX_VALUES or any(len(v) > 40 for v in spec.values):
            raise VariantError(
                _l(
                    "Option %(name)s: at most %(n)d values of at most 40 characters each.",
                    name=spec.name,
                    n=MAX_VALUES,
                ),
                field="options",
            )
    combinations = 1
    for spec in specs:
        combinations *= len(spec.values)
    if combinations > MAX_VARIANTS:
        raise VariantError(
            _l(
                "These options make %(count)d combinations; at most %(n)d are possible.",
                count=combinations,
                n=MAX_VARIANTS,
            ),
            field="options",
        )


def _removal_refused(variants: list[ProductVariant], what) -> None:
    """Refuse retiring variants that still have units on the shelf, naming the quantity."""
    on_hand = stock_on_hand(v.id for v in variants if v.id is not None)
    held = {v: on_hand.get(v.id, 0) for v in variants if on_hand.get(v.id, 0) > 0}
    if held:
        quantity = sum(held.values())
        names = ", ".join(v.label or v.product.name for v in held)
        raise VariantError(
            _l(
                "%(what)s still has %(quantity)d units in stock (%(names)s). Sell, return or "
                "write them off first.",
                what=what,
                quantity=quantity,
                names=names,
            ),
            field="options",
        )


def set_options(product: Product, specs: list[OptionSpec]) -> list[ProductVariant]:
    """Give the product these options and generate the grid of variants in one step.

    Values already there keep their variants (codes, prices, photos, stock); new values add
    the new combinations; a removed value or option retires its variants, refused while they
    have stock (with the quantity). The product's own variant (no options) is retired when
    the first options come, refused while it has stock. Combinations the vendor switched off
    stay off. Returns the variants newly made."""
    _check_specs(specs)
    existing = {option.name.casefold(): option for option in product.options}
    plan: list[tuple[ProductOption | None, OptionSpec]] = []
    gone_values: list[tuple[ProductOption, ProductOptionValue]] = []
    for spec in specs:
        option = existing.pop(spec.name.casefold(), None)
        plan.append((option, spec))
        if option is not None:
            keep = {text.casefold() for text in spec.values}
            gone_values += [(option, v) for v in option.values if v.value.casefold() not in keep]
    gone_options = list(existing.values())
    gone_ids = {value.id for _option, value in gone_values} | {
        value.id for option in gone_options for value in option.values
    }
    retiring = [
        v for v in product.active_variants if any(value.id in gone_ids for value in v.values)
    ]
    for option, value in gone_values:
        _removal_refused(
            [v for v in retiring if value in v.values],
            _l("%(option)s %(value)s", option=option.name, value=value.value),
        )
    for option in gone_options:
        _removal_refused(
            [v for v in retiring if any(value in v.values for value in option.values)],
            option.name,
        )
    default = next((v for v in product.active_variants if not v.values), None)
    if default is not None:
        _removal_refused([default], _l("The product without a size or colour"))
        default.active = False

    # Retire what goes, then drop the values and options themselves.
    touched = {v.id for v in retiring}
    for variant in product.variants:
        if any(value.id in gone_ids for value in variant.values):
            variant.active = False
            touched.add(variant.id)
            variant.values = [value for value in variant.values if value.id not in gone_ids]
    for option, value in gone_values:
        option.values.remove(value)
    for option in gone_options:
        product.options.remove(option)

    options: list[ProductOption] = []
    for position, (option, spec) in enumerate(plan):
        if option is None:
            option = ProductOption(name=spec.name)
            product.options.append(option)
        option.name, option.position = spec.name, position
        known = {value.value.casefold(): value for value in option.values}
        for value_position, text in enumerate(spec.values):
            value = known.get(text.casefold())
            if value is None:
                value = ProductOptionValue(value=text)
                option.values.append(value)
            value.value, value.position = text, value_position
        option.values.sort(key=lambda value: value.position)
        options.append(option)
    product.options.sort(key=lambda option: option.position)
    db.session.flush()
    # A new option (Warna added to the sizes) makes every earlier combination incomplete:
    # "40" becomes "40 / Coklat" and "40 / Hitam", so "40" itself is retired.
    incomplete = [
        v
        for v in product.active_variants
        if v.values and v.id not in touched and len(v.values) != len(options)
    ]
    _removal_refused(incomplete, _l("The earlier combinations"))
    for variant in incomplete:
        variant.active = False
        touched.add(variant.id)

    # The grid: every combination of the values, in the options' order.
    have = {
        frozenset(value.id for value in variant.values)
        for variant in product.variants
        if variant.values and variant.id not in touched
    }
    made = []
    for combo in itertools.product(*[list(option.values) for option in options]):
        key = frozenset(value.id for value in combo)
        if key in have:
            continue
        variant = ProductVariant(label=_label(list(combo)), price_delta=0, position=0, active=True)
        variant.values = list(combo)
        variant.sku = _generated_sku(product, list(combo))
        product.variants.append(variant)
        # At the product's own price and without photos of its own: what `review_for` approves
        # at once, the price having been reviewed with the product.
        _set_review(variant, VariantReview.APPROVED.value)
        made.append(variant)
        have.add(key)
    rank = {
        value.id: (option.position, value.position) for option in options for value in option.values
    }
    ordered = sorted(
        (v for v in product.variants if v.active and v.values),
        key=lambda v: sorted(rank.get(value.id, (99, 99)) for value in v.values),
    )
    for position, variant in enumerate(ordered, start=1):
        variant.position = position
        variant.label = _label(sorted(variant.values, key=lambda x: rank.get(x.id, (99, 99))))
    db.session.flush()
    return made


def remove_options(product: Product) -> ProductVariant:
    """Sell the product as one item again: every variant retired (refused while any has
    stock) and the product's own variant back."""
    _removal_refused(product.active_variants, _l("This product"))
    for variant in product.variants:
        variant.active = False
    product.options.clear()
    default = next((v for v in product.variants if not v.values and v.sku is None), None)
    if default is None:
        default = ProductVariant(product=product, label="", position=0, active=True)
        product.variants.append(default)
    default.active = True
    db.session.flush()
    return default


def check_variant_price(product: Product, price_delta: int, field: str = "price_delta") -> None:
    """The variant's price (product price plus the difference, today's and any scheduled
    one) must stay above zero and within the maximum."""
    prices = [product.price + price_delta]
    if product.next_price is not None:
        prices.append(product.next_price + price_delta)
    if min(prices) <= 0:
        raise VariantError(
            _l(
                "With this difference the price would be %(price)s; it must stay above Rp0.",
                price=format_rupiah(min(prices)),
            ),
            field=field,
        )
    if max(prices) > MAX_AMOUNT:
        raise VariantError(_l("That price is too high."), field=field)


def check_product_price(product: Product, new_price: int, field: str = "price") -> None:
    """A new product price must keep every variant's price above zero."""
    lowest = min((v.price_delta for v in product.active_variants), default=0)
    if new_price + lowest <= 0:
        raise VariantError(
            _l(
                "With this price a variant would cost %(price)s; lower its price difference first.",
                price=format_rupiah(new_price + lowest),
            ),
            field=field,
        )


def update_variant(
    variant: ProductVariant, *, sku: str | None, price_delta: int, active: bool = True
) -> bool:
    """Change a variant's code, price difference or whether it is on offer. True when a new
    price sends it to review (`rereview`): the caller tells the managers (`tell_managers`)."""
    product = variant.product
    if variant.values:
        sku = (sku or "").strip().upper()
        if not SKU_PATTERN.match(sku):
            raise VariantError(
                _l("A code has 1–32 letters, digits, dots, dashes or underscores."), field="sku"
            )
        if _sku_taken(sku, variant.id):
            raise VariantError(
                _l("Code %(sku)s is already used by another product or variant.", sku=sku),
                field="sku",
            )
        variant.sku = sku
    check_variant_price(product, price_delta)
    if not active and variant.active:
        _removal_refused([variant], variant.label or product.name)
    changed_price = price_delta != variant.price_delta
    variant.price_delta = price_delta
    variant.active = active
    return changed_price and variant.active and rereview(variant)


def rereview(variant: ProductVariant) -> bool:
    """After its price difference or photos changed: a variant of an approved product is
    approved at once when it looks like what was approved (`review_for`), else it waits for
    a manager. A rejected variant the vendor changed waits again, never approved by itself.
    A product not approved yet is reviewed with its variants. True when it starts waiting
    (the caller tells the managers once per action: `tell_managers`)."""
    product = variant.product
    if product.status != ProductStatus.APPROVED.value:
        return False
    review = review_for(variant)
    if variant.review == VariantReview.REJECTED.value and review == VariantReview.APPROVED.value:
        review = VariantReview.PENDING.value
    started = review == VariantReview.PENDING.value and variant.review != review
    _set_review(variant, review)
    return started


def photo_removed(variant: ProductVariant) -> bool:
    """After one of its own photos was deleted: the rule of a photo added (`rereview`), so
    the variant is what `review_for` now says — one that waited only for its photo is sold at
    once, one with a new price difference still waits, a rejected one waits again (the vendor
    changed it). An approved variant stays approved: a photo taken away leaves only what was
    approved with it, and `review_for` cannot tell a photo already approved from a new one.
    True when it starts waiting (the caller tells the managers: `tell_managers`)."""
    if not variant.active or variant.review == VariantReview.APPROVED.value:
        return False
    return rereview(variant)


def tell_managers(product: Product, waiting: list[ProductVariant]) -> None:
    """One notification (and email) for the sizes or colours an action sent to review."""
    if waiting:
        labels = ", ".join(v.label for v in waiting)
        manager_inbox.notify(NotificationKind.PRODUCT, product, f"{product.name} — {labels}")


def review_for(variant: ProductVariant) -> str:
    """Review once per product: a variant of an approved product is approved at once unless
    its price difference is one no approved variant has, or it has photos of its own. +0 is
    always approved: it is the product's own price, reviewed with the product."""
    product = variant.product
    if product.status != ProductStatus.APPROVED.value:
        return VariantReview.APPROVED.value
    approved_deltas = {0} | {
        v.price_delta
        for v in product.variants
        if v is not variant and v.review == VariantReview.APPROVED.value and v.active
    }
    if variant.price_delta not in approved_deltas or variant.photos:
        return VariantReview.PENDING.value
    return VariantReview.APPROVED.value


def _set_review(variant: ProductVariant, review: str, reason: str | None = None) -> None:
    """The one place a variant's review changes: a rejection's reason stays only while it is
    rejected, so the vendor never reads an old reason beside a size that is approved or
    waiting again."""
    variant.review = review
    variant.review_comment = reason if review == VariantReview.REJECTED.value else None


def approve_variant(variant: ProductVariant) -> None:
    _set_review(variant, VariantReview.APPROVED.value)


def reject_variant(variant: ProductVariant, reason: str) -> None:
    """`reason` is the manager's, already checked (`products.review_reason`)."""
    _set_review(variant, VariantReview.REJECTED.value, reason)


def approve_all(product: Product) -> None:
    """Approving the product approves its variants (reviewed with it)."""
    for variant in product.variants:
        if variant.review == VariantReview.PENDING.value:
            _set_review(variant, VariantReview.APPROVED.value)


def pending_variants(page_size: int = 50) -> list[ProductVariant]:
    return list(
        db.session.scalars(
            select(ProductVariant)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(
                ProductVariant.review == VariantReview.PENDING.value,
                ProductVariant.active.is_(True),
            )
            .order_by(ProductVariant.id)
            .limit(page_size)
        )
    )
