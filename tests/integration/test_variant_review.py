"""A manager's review of a size or colour added to an approved product: a rejection always
gives the vendor a reason (on their page beside the size and in the email)."""

from __future__ import annotations

import json

from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.catalog import variants
from storefront.catalog.models import ProductStatus, ProductVariant
from storefront.extensions import db
from tests.factories import ProductFactory
from tests.integration.test_variant_screens import (
    approved_sandal,
    grid,
    grid_form,
    save_grid,
    set_options,
)

REASON = "Foto ukuran 41 buram & harga <Rp175.000> terlalu tinggi."


def new_size(client, product, delta: str = "0") -> ProductVariant:
    """Size 41 added to the approved sandal (39 at the product's price, 40 at +10.000)."""
    set_options(client, product, ("Ukuran", "39, 40, 41"))
    data = grid_form(grid(product.id), **{"41": {"price_delta": delta}})
    assert save_grid(client, product, data).status_code == 302
    return next(v for v in grid(product.id) if v.label == "41")


def reject(boss, product, variant, reason: str):
    response = boss.post_form(
        f"/manage/products/{product.id}/variants/{variant.id}/reject",
        {f"reject{variant.id}-comment": reason},
    )
    db.session.rollback()
    return response


def review_of(variant) -> tuple[str, str | None, bool]:
    variant = db.session.get(ProductVariant, variant.id)
    return variant.review, variant.review_comment, variant.sellable


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_rejected_size_shows_the_vendor_the_reason_on_the_page_and_in_the_email(app, ctx, outbox):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    assert reject(boss, product, size_41, f"  {REASON}\n").status_code == 302
    assert review_of(size_41) == ("rejected", REASON, False)
    (entry,) = audit_entries("variant.reject")
    assert json.loads(entry.after)["reason"] == REASON

    escaped = "Foto ukuran 41 buram &amp; harga &lt;Rp175.000&gt; terlalu tinggi."
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert f"Ditolak: {escaped}" in page
    client.set_cookie("lang", "en")
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert f"Rejected: {escaped}" in page
    manager_page = boss.get(f"/manage/products/{product.id}").get_data(as_text=True)
    assert f"Ditolak: {escaped}" in manager_page

    (email,) = [m for m in outbox() if "tidak disetujui" in m.get_content()]
    assert email["To"] == "sandal@example.com"
    text = email.get_content()
    assert "41 dari Sandal Kulit tidak disetujui. Catatan dari peninjau:" in text
    assert REASON in text
    html = email.get_body(("html",)).get_content()
    assert escaped in html and "Catatan dari peninjau" in html


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(app, ctx, outbox):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    emails = len(outbox())
    for blank in ("", "   \n "):
        response = reject(boss, product, size_41, blank)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "41 belum ditolak: tuliskan alasan yang akan dibaca mitra." in page
        assert "Tulis pesan." in page
        assert 'class="variant-reject" open' in page
        assert review_of(size_41) == ("pending", None, False)
    assert audit_entries("variant.reject") == []
    assert len(outbox()) == emails


def test_the_reason_goes_when_the_vendor_changes_the_size_and_a_manager_approves_it(app, ctx):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    reject(boss, product, size_41, "Selisih harganya terlalu besar.")
    # The vendor lowers the difference to one already approved: changed, it waits again
    # (a rejected size is never approved by itself) and the old reason is gone.
    data = grid_form(grid(product.id), **{"41": {"price_delta": "10.000"}})
    assert save_grid(client, product, data).status_code == 302
    assert review_of(size_41) == ("pending", None, False)
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert "Ditolak:" not in page and "Selisih harganya terlalu besar." not in page
    response = boss.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve")
    assert response.status_code == 302
    db.session.rollback()
    assert review_of(size_41) == ("approved", None, True)


def test_approving_a_size_clears_a_reason_it_was_rejected_with(ctx):
    product = ProductFactory(status=ProductStatus.APPROVED.value)
    db.session.flush()
    variant = product.variants[0]
    variants.reject_variant(variant, "Foto buram.")
    assert (variant.review, variant.review_comment) == ("rejected", "Foto buram.")
    variants.approve_variant(variant)
    assert (variant.review, variant.review_comment) == ("approved", None)
