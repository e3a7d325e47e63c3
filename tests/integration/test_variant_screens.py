"""Sizes and colours on the vendor's product page and in the managers' review: the options
make the grid, the grid is saved whole or not at all, and a size added later waits for a
manager only when its price or photos differ."""

from __future__ import annotations

import io

from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.catalog.models import Product, ProductPhoto, ProductStatus, ProductVariant
from storefront.extensions import db
from storefront.manager_inbox import ManagerNotification
from storefront.vendors.models import VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import manager, png_bytes
from tests.stock_helpers import receive


def vendor_with_sandal(app, email="sandal@example.com", code="SDL001"):
    vendor = VendorFactory(slug=email.split("@")[0], name="Sandal Cikupa")
    user = UserFactory(email=email, role="vendor")
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
    product = ProductFactory(
        vendor=vendor,
        name="Sandal Kulit",
        description="Sandal kulit sapi asli.",
        unit="pasang",
        price=150000,
        status=ProductStatus.DRAFT.value,
        code=code,
    )
    db.session.commit()
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client, product


def set_options(client, product, *rows):
    data = {}
    for index, (name, values) in enumerate(rows):
        data[f"options-{index}-name"] = name
        data[f"options-{index}-values"] = values
    response = client.post_form(f"/vendor/products/{product.id}/options", data)
    db.session.rollback()
    return response


def grid(product_id) -> list[ProductVariant]:
    product = db.session.get(Product, product_id)
    return [v for v in product.variants if v.values]


def grid_form(variants, **changes) -> dict:
    """The grid as the page posts it; `changes` maps a label to {field: value}."""
    data = {}
    for index, variant in enumerate(variants):
        row = {
            "variant_id": str(variant.id),
            "sku": variant.sku,
            "price_delta": str(variant.price_delta),
            "active": "y" if variant.active else None,
        }
        row.update(changes.get(variant.label, {}))
        for field, value in row.items():
            if value is not None:
                data[f"rows-{index}-{field}"] = value
    return data


def save_grid(client, product, data):
    response = client.post_form(f"/vendor/products/{product.id}/variants", data)
    db.session.rollback()
    return response


def snapshot(product_id):
    return [(v.label, v.sku, v.price_delta, v.active, v.review) for v in grid(product_id)]


def test_options_make_the_grid_shown_on_the_product_page(app, ctx):
    client, product = vendor_with_sandal(app)
    response = set_options(client, product, ("Ukuran", "38, 39, 40"), ("Warna", "Coklat, Hitam"))
    assert response.status_code == 302
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert "6 varian baru dibuat" in page
    variants = grid(product.id)
    assert [v.label for v in variants][:2] == ["38 / Coklat", "38 / Hitam"]
    for variant in variants:
        assert variant.label in page and variant.sku in page
    # The form shows the options as they are now.
    assert 'value="38, 39, 40"' in page and 'value="Coklat, Hitam"' in page


def test_codes_and_price_differences_are_saved_together(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    variants = grid(product.id)
    data = grid_form(
        variants,
        **{"41": {"sku": "sdl-41-besar", "price_delta": "10.000"}, "39": {"active": None}},
    )
    assert save_grid(client, product, data).status_code == 302
    by_label = {v.label: v for v in grid(product.id)}
    assert (by_label["41"].sku, by_label["41"].price_delta) == ("SDL-41-BESAR", 10000)
    assert by_label["41"].current_price == 160000
    assert by_label["39"].active is False
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert "Rp160.000" in page


def test_a_duplicate_code_is_refused_on_its_row_and_nothing_changes(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    before = snapshot(product.id)
    variants = grid(product.id)
    taken = variants[0].sku
    data = grid_form(variants, **{"39": {"price_delta": "5.000"}, "40": {"sku": taken.lower()}})
    response = save_grid(client, product, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"Kode {taken} sudah dipakai" in page
    assert 'class="row-refused"' in page
    assert snapshot(product.id) == before


def test_a_value_with_stock_cannot_be_removed(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    size_40 = next(v for v in grid(product.id) if v.label == "40")
    receive(db.session.get(Product, product.id), 3, variant=size_40)
    before = snapshot(product.id)
    response = set_options(client, product, ("Ukuran", "39, 41"))
    assert response.status_code == 400
    assert "Ukuran 40 masih punya stok 3 unit" in response.get_data(as_text=True)
    assert snapshot(product.id) == before
    assert [o.name for o in db.session.get(Product, product.id).options] == ["Ukuran"]


def test_a_price_difference_making_the_price_zero_is_refused(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    before = snapshot(product.id)
    data = grid_form(grid(product.id), **{"40": {"price_delta": "-150.000"}})
    response = save_grid(client, product, data)
    assert response.status_code == 400
    assert "Rp0" in response.get_data(as_text=True)
    assert snapshot(product.id) == before


def test_the_product_price_cannot_make_a_variant_free(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    data = grid_form(grid(product.id), **{"39": {"price_delta": "-100.000"}})
    assert save_grid(client, product, data).status_code == 302
    product = db.session.get(Product, product.id)
    form = {
        "name": product.name,
        "category_id": str(product.category_id),
        "description": "Sandal kulit sapi asli.",
        "price": "90.000",
        "unit": "pasang",
    }
    response = client.post_form(f"/vendor/products/{product.id}", form)
    assert response.status_code == 400
    assert "satu varian menjadi -Rp10.000" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Product, product.id).price == 150000


def test_another_vendor_cannot_reach_the_grid(app, ctx):
    owner, product = vendor_with_sandal(app)
    set_options(owner, product, ("Ukuran", "39, 40"))
    before = snapshot(product.id)
    intruder, _other = vendor_with_sandal(app, email="lain@example.com", code="LAIN01")
    data = grid_form(grid(product.id), **{"40": {"sku": "DIBAJAK"}})
    assert intruder.post_form(f"/vendor/products/{product.id}/variants", data).status_code == 404
    assert (
        intruder.post_form(
            f"/vendor/products/{product.id}/options", {"options-0-name": "Warna"}
        ).status_code
        == 404
    )
    assert intruder.post_form(f"/vendor/products/{product.id}/variants/remove").status_code == 404
    db.session.rollback()
    assert snapshot(product.id) == before


def test_sold_as_one_item_again(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    response = client.post_form(f"/vendor/products/{product.id}/variants/remove")
    assert response.status_code == 302
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert not product.has_options
    assert product.default_variant is not None and product.default_variant.sellable


def approved_sandal(app):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    data = grid_form(grid(product.id), **{"40": {"price_delta": "10.000"}})
    assert save_grid(client, product, data).status_code == 302
    client.post_form(f"/vendor/products/{product.id}/submit")
    boss = manager(app)
    assert boss.post_form(f"/manage/products/{product.id}/approve").status_code == 302
    db.session.rollback()
    assert all(v.sellable for v in grid(product.id))
    return client, boss, product


def test_a_new_size_at_an_approved_price_sells_at_once(app, ctx):
    client, _boss, product = approved_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    size_41 = next(v for v in grid(product.id) if v.label == "41")
    assert size_41.sellable
    # 41 at +10.000: a price already approved for size 40.
    data = grid_form(grid(product.id), **{"41": {"price_delta": "10.000"}})
    assert save_grid(client, product, data).status_code == 302
    assert db.session.get(ProductVariant, size_41.id).sellable


def test_a_new_size_at_the_products_own_price_sells_at_once(app, ctx):
    """The product's price was approved with the product: a size at +0 needs no review, even
    when no approved size is at +0 any more."""
    client, boss, product = approved_sandal(app)
    # Size 39 goes to +5.000 (a new price: a manager approves it); no size is at +0 now.
    data = grid_form(grid(product.id), **{"39": {"price_delta": "5.000"}})
    assert save_grid(client, product, data).status_code == 302
    size_39 = next(v for v in grid(product.id) if v.label == "39")
    assert size_39.review == "pending"
    approve = f"/manage/products/{product.id}/variants/{size_39.id}/approve"
    assert boss.post_form(approve).status_code == 302
    db.session.rollback()
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    size_41 = next(v for v in grid(product.id) if v.label == "41")
    assert size_41.price_delta == 0
    assert size_41.review == "approved" and size_41.sellable


def test_a_new_price_waits_for_a_manager_who_approves_it(app, ctx, outbox):
    client, boss, product = approved_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    data = grid_form(grid(product.id), **{"41": {"price_delta": "20.000"}})
    assert save_grid(client, product, data).status_code == 302
    size_41 = next(v for v in grid(product.id) if v.label == "41")
    assert size_41.review == "pending" and not size_41.sellable
    assert db.session.get(Product, product.id).status == ProductStatus.APPROVED
    queue = boss.get("/manage/products").get_data(as_text=True)
    assert "Sandal Kulit" in queue and "1 varian menunggu" in queue
    page = boss.get(f"/manage/products/{product.id}").get_data(as_text=True)
    assert f"/manage/products/{product.id}/variants/{size_41.id}/approve" in page

    # The vendor cannot approve it.
    assert (
        client.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve").status_code
        == 403
    )
    response = boss.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(ProductVariant, size_41.id).sellable
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "variant.approve"))
    assert entry is not None and entry.subject_id == product.id
    assert '"review": "approved"' in entry.after
    assert any("41" in m.get_content() and "Sandal Kulit" in m.get_content() for m in outbox())
    # Decided once: a second click finds nothing waiting.
    again = boss.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve")
    assert again.status_code == 404


def test_a_rejected_variant_is_not_sold(app, ctx):
    client, boss, product = approved_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    save_grid(client, product, grid_form(grid(product.id), **{"41": {"price_delta": "25.000"}}))
    size_41 = next(v for v in grid(product.id) if v.label == "41")
    response = boss.post_form(
        f"/manage/products/{product.id}/variants/{size_41.id}/reject",
        {f"reject{size_41.id}-comment": "Selisih harganya terlalu besar."},
    )
    assert response.status_code == 302
    db.session.rollback()
    variant = db.session.get(ProductVariant, size_41.id)
    assert variant.review == "rejected" and not variant.sellable
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "variant.reject"))


def photo_of(client, product, variant) -> int:
    """The vendor adds a photo and says it shows `variant`, as the edit page does; its id."""
    response = client.post(
        f"/vendor/products/{product.id}/photos",
        data={
            "photo": (io.BytesIO(png_bytes((120, 60, 20))), "coklat.png"),
            "csrf_token": client.csrf_token(f"/vendor/products/{product.id}"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.rollback()
    photo_id = db.session.scalar(
        select(ProductPhoto.id)
        .where(ProductPhoto.product_id == product.id)
        .order_by(ProductPhoto.id.desc())
    )
    assign_photo(client, product, photo_id, variant)
    return photo_id


def assign_photo(client, product, photo_id: int, variant) -> None:
    """The vendor says the photo shows `variant` (None: the whole product)."""
    prefix = f"photo{photo_id}-"
    response = client.post(
        f"/vendor/products/{product.id}/photo/{photo_id}/variant",
        data={
            prefix + "variant_id": str(variant.id) if variant else "",
            prefix + "csrf_token": client.csrf_token(f"/vendor/products/{product.id}"),
        },
    )
    assert response.status_code == 302
    db.session.rollback()


def test_a_photo_of_its_own_sends_a_variant_to_review(app, ctx):
    client, _boss, product = approved_sandal(app)
    size_39 = next(v for v in grid(product.id) if v.label == "39")
    photo_id = photo_of(client, product, size_39)
    assert db.session.get(ProductPhoto, photo_id).variant_id == size_39.id
    variant = db.session.get(ProductVariant, size_39.id)
    assert variant.review == "pending" and not variant.sellable


def test_adding_a_colour_to_the_sizes_replaces_the_sizes_alone(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    alone = {v.id for v in grid(product.id)}
    assert (
        set_options(client, product, ("Ukuran", "39, 40"), ("Warna", "Coklat")).status_code == 302
    )
    product = db.session.get(Product, product.id)
    assert sorted(v.label for v in product.active_variants) == ["39 / Coklat", "40 / Coklat"]
    assert not any(v.active for v in product.variants if v.id in alone)


def test_a_colour_cannot_be_added_while_the_sizes_alone_have_stock(app, ctx):
    client, product = vendor_with_sandal(app)
    set_options(client, product, ("Ukuran", "39, 40"))
    size_40 = next(v for v in grid(product.id) if v.label == "40")
    receive(db.session.get(Product, product.id), 2, variant=size_40)
    before = snapshot(product.id)
    response = set_options(client, product, ("Ukuran", "39, 40"), ("Warna", "Coklat"))
    assert response.status_code == 400
    assert "masih punya stok 2 unit (40)" in response.get_data(as_text=True)
    assert snapshot(product.id) == before


def test_a_changed_size_guide_sends_an_approved_product_back_to_review(app, ctx):
    client, _boss, product = approved_sandal(app)
    product = db.session.get(Product, product.id)
    form = {
        "name": product.name,
        "category_id": str(product.category_id),
        "description": product.description,
        "price": "150.000",
        "unit": product.unit,
    }
    assert client.post_form(f"/vendor/products/{product.id}", form).status_code == 302
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.APPROVED

    form["size_guide"] = "Ukuran | Panjang kaki (cm)\n39 | 24,5\n40 | 25,5"
    assert client.post_form(f"/vendor/products/{product.id}", form).status_code == 302
    db.session.rollback()
    product = db.session.get(Product, product.id)
    assert product.size_guide.startswith("Ukuran | Panjang kaki (cm)")
    assert product.status == ProductStatus.SUBMITTED


def test_managers_are_told_once_about_the_sizes_one_save_sends_to_review(app, ctx):
    client, _boss, product = approved_sandal(app)
    told = db.session.scalars(
        select(ManagerNotification.label).order_by(ManagerNotification.id)
    ).all()
    set_options(client, product, ("Ukuran", "39, 40, 41, 42"))
    changes = {"41": {"price_delta": "20.000"}, "42": {"price_delta": "30.000"}}
    assert save_grid(client, product, grid_form(grid(product.id), **changes)).status_code == 302
    new = db.session.scalars(
        select(ManagerNotification.label).order_by(ManagerNotification.id)
    ).all()[len(told) :]
    assert new == ["Sandal Kulit — 41, 42"]
