"""Sizes and colours: the grid of variants, stock per variant, and the rules that refuse bad
changes with a clear message and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.catalog import variants
from storefront.catalog.commission import sale_snapshot
from storefront.catalog.models import ProductVariant
from storefront.catalog.variants import OptionSpec, VariantError
from storefront.extensions import db
from storefront.stock import ledger
from storefront.stock.ledger import Line, OutOfStock
from tests.factories import ProductFactory
from tests.stock_helpers import receive


def _sandal(sizes="38, 39, 40, 41", colours=None):
    product = ProductFactory(name="Sandal Kulit", price=150000)
    specs = [OptionSpec.parse("Ukuran", sizes)]
    if colours:
        specs.append(OptionSpec.parse("Warna", colours))
    variants.set_options(product, specs)
    db.session.commit()
    return product


def _variant(product, label):
    return next(v for v in product.active_variants if v.label == label)


def test_a_new_product_has_one_variant_without_options(ctx):
    product = ProductFactory()
    db.session.commit()
    assert len(product.variants) == 1
    variant = product.default_variant
    assert variant is not None and variant.values == [] and variant.code == product.code
    assert variant.current_price == product.price


def test_options_generate_the_grid_in_one_step(ctx):
    product = _sandal(colours="Coklat, Hitam")
    labels = [v.label for v in product.active_variants]
    assert labels[:3] == ["38 / Coklat", "38 / Hitam", "39 / Coklat"]
    assert len(labels) == 8
    assert product.default_variant is None
    codes = {v.code for v in product.active_variants}
    assert len(codes) == 8 and all(code.startswith(product.code) for code in codes)
    # The product's own variant is retired, not deleted (old sales point at it).
    assert sum(1 for v in product.variants if not v.active) == 1


def test_adding_a_size_keeps_the_others_and_their_codes(ctx):
    product = _sandal()
    before = {v.label: v.code for v in product.active_variants}
    made = variants.set_options(product, [OptionSpec.parse("Ukuran", "38, 39, 40, 41, 42")])
    db.session.commit()
    assert [v.label for v in made] == ["42"]
    assert {v.label: v.code for v in product.active_variants if v.label != "42"} == before


def test_stock_is_kept_and_sold_per_variant(ctx):
    product = _sandal()
    size_40, size_41 = _variant(product, "40"), _variant(product, "41")
    receive(product, 2, variant=size_40)
    receive(product, 5, variant=size_41)
    assert ledger.available_quantity(product.id, variant_id=size_40.id) == 2
    assert ledger.available_quantity(product.id) == 7
    assert ledger.variant_quantities([product.id]) == {size_40.id: 2, size_41.id: 5}
    states = {
        s.value.value: s.available
        for s in variants.value_availability(product, ledger.variant_quantities([product.id]))
    }
    assert states == {"38": 0, "39": 0, "40": 2, "41": 5}

    with pytest.raises(OutOfStock) as refused:
        ledger.record_counter_sale(
            [Line(product.id, 3, variant_id=size_40.id)],
            reference_type="test",
            reference_id=None,
            actor_id=None,
        )
    assert refused.value.available == 2 and refused.value.variant_id == size_40.id
    db.session.rollback()
    movements = ledger.record_counter_sale(
        [Line(product.id, 2, variant_id=size_41.id)],
        reference_type="test",
        reference_id=None,
        actor_id=None,
    )
    db.session.commit()
    assert {m.variant_id for m in movements} == {size_41.id}
    assert ledger.available_quantity(product.id, variant_id=size_41.id) == 3
    assert ledger.available_quantity(product.id, variant_id=size_40.id) == 2
    assert ledger.verify_ledger()[1] == []


def test_a_product_with_options_cannot_receive_stock_without_a_size(ctx):
    product = _sandal()
    with pytest.raises(ledger.StockError):
        receive(product, 3)
    db.session.rollback()
    assert ledger.available_quantity(product.id) == 0


def test_removing_a_size_with_stock_is_refused_with_the_quantity(ctx):
    product = _sandal()
    receive(product, 4, variant=_variant(product, "40"))
    with pytest.raises(VariantError) as refused:
        variants.set_options(product, [OptionSpec.parse("Ukuran", "38, 39, 41")])
    assert "4" in str(refused.value.message)
    db.session.rollback()
    assert [v.label for v in product.active_variants] == ["38", "39", "40", "41"]
    # Without stock the size goes (retired, kept for history).
    variants.set_options(product, [OptionSpec.parse("Ukuran", "38, 39, 40")])
    db.session.commit()
    assert [v.label for v in product.active_variants] == ["38", "39", "40"]


def test_a_product_with_stock_keeps_its_single_variant_until_it_is_gone(ctx):
    product = ProductFactory()
    db.session.commit()
    receive(product, 3)
    with pytest.raises(VariantError) as refused:
        variants.set_options(product, [OptionSpec.parse("Ukuran", "S, M")])
    assert "3" in str(refused.value.message)
    db.session.rollback()
    assert product.default_variant is not None and not product.options


def test_duplicate_codes_are_refused(ctx):
    product = _sandal()
    other = ProductFactory()
    db.session.commit()
    size_38, size_39 = _variant(product, "38"), _variant(product, "39")
    for taken in (size_39.code, other.code, size_39.code.lower()):
        with pytest.raises(VariantError) as refused:
            variants.update_variant(size_38, sku=taken, price_delta=0)
        assert refused.value.field == "sku"
        db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count()).where(func.upper(ProductVariant.sku) == size_39.code.upper())
        )
        == 1
    )


@pytest.mark.parametrize("delta", [-150000, -200000])
def test_a_price_difference_that_makes_the_price_zero_or_less_is_refused(ctx, delta):
    product = _sandal()
    size_41 = _variant(product, "41")
    with pytest.raises(VariantError) as refused:
        variants.update_variant(size_41, sku=size_41.code, price_delta=delta)
    assert refused.value.field == "price_delta"
    db.session.rollback()
    assert size_41.price_delta == 0


def test_a_variant_price_difference_is_charged_and_snapshotted(ctx):
    product = _sandal()
    size_41 = _variant(product, "41")
    variants.update_variant(size_41, sku="SDL-41", price_delta=10000)
    db.session.commit()
    snapshot = sale_snapshot(product, 2, variant=size_41)
    assert snapshot["unit_price"] == 160000 and snapshot["gross"] == 320000
    assert snapshot["variant_id"] == size_41.id and snapshot["variant_label"] == "41"
    assert snapshot["product_code"] == "SDL-41"
    assert variants.find_by_code("sdl-41") is size_41
    assert variants.find_by_code(product.code) is product  # has options: choose a size


def test_bad_option_input_is_refused(ctx):
    product = ProductFactory()
    db.session.commit()
    for specs in (
        [],
        [OptionSpec.parse("Ukuran", "")],
        [OptionSpec.parse("Ukuran", "S"), OptionSpec.parse("ukuran", "M")],
        [OptionSpec.parse("A", ",".join(str(n) for n in range(11))),
         OptionSpec.parse("B", ",".join(str(n) for n in range(11)))],
    ):  # fmt: skip
        with pytest.raises(VariantError):
            variants.set_options(product, specs)
        db.session.rollback()
    assert product.options == [] and len(product.active_variants) == 1
