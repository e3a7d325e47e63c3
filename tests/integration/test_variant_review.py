"""A manager's review of a size or colour added to an approved product: a rejection always
gives the vendor a reason (on their page beside the size and in the email), and deleting a
variant's own photo re-checks its review by the rule a photo added follows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.auth.models import User
from storefront.catalog import variants
from storefront.catalog.models import ProductPhoto, ProductStatus, ProductVariant
from storefront.extensions import db
from storefront.manager_inbox import ManagerNotification
from tests.factories import ProductFactory
from tests.fake_whatsapp import FakeWhatsApp
from tests.integration.test_variant_screens import (
    approved_sandal,
    assign_photo,
    grid,
    grid_form,
    photo_of,
    save_grid,
    set_options,
)

FAKE = FakeWhatsApp()
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


def delete_photo(client, product, photo_id: int) -> None:
    response = client.post_form(f"/vendor/products/{product.id}/photos/{photo_id}/delete")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(ProductPhoto, photo_id) is None


def review_of(variant) -> tuple[str, str | None, bool]:
    variant = db.session.get(ProductVariant, variant.id)
    return variant.review, variant.review_comment, variant.sellable


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def told_managers() -> list[str]:
    return list(
        db.session.scalars(select(ManagerNotification.label).order_by(ManagerNotification.id))
    )


# --- the reason ------------------------------------------------------------------------------


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


# --- deleting a variant's own photo -------------------------------------------------------------
# The rule (variants.photo_removed): what `review_for` says without the photo, as when one is
# added, except that an approved size stays approved and a rejected one waits again.


def test_deleting_its_only_photo_lets_a_size_at_an_approved_price_sell_without_review(app, ctx):
    client, _boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "0")
    assert review_of(size_41) == ("approved", None, True)
    photo_id = photo_of(client, product, size_41)
    assert review_of(size_41) == ("pending", None, False)
    delete_photo(client, product, photo_id)
    assert review_of(size_41) == ("approved", None, True)


def test_a_size_with_a_new_price_still_waits_after_its_photo_is_deleted(app, ctx):
    client, _boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    photo_id = photo_of(client, product, size_41)
    told = told_managers()
    delete_photo(client, product, photo_id)
    assert review_of(size_41) == ("pending", None, False)
    assert told_managers() == told  # already waiting: nobody is told twice


def test_an_approved_size_stays_approved_when_its_photos_are_deleted(app, ctx):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    first, second = photo_of(client, product, size_41), photo_of(client, product, size_41)
    response = boss.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve")
    assert response.status_code == 302
    db.session.rollback()
    # What is left was approved with it; its +25.000 is a price no other size has, which
    # `review_for` would call new, yet the manager approved it.
    delete_photo(client, product, first)
    assert review_of(size_41) == ("approved", None, True)
    delete_photo(client, product, second)
    assert review_of(size_41) == ("approved", None, True)


def test_a_photo_moved_to_another_size_leaves_the_approved_one_approved(app, ctx):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "25.000")
    photo_id = photo_of(client, product, size_41)
    response = boss.post_form(f"/manage/products/{product.id}/variants/{size_41.id}/approve")
    assert response.status_code == 302
    db.session.rollback()
    size_39 = next(v for v in grid(product.id) if v.label == "39")
    assign_photo(client, product, photo_id, size_39)
    assert review_of(size_41) == ("approved", None, True)
    assert review_of(size_39) == ("pending", None, False)  # a photo of its own: reviewed


def test_deleting_the_photo_of_a_rejected_size_sends_it_to_review_again(app, ctx):
    client, boss, product = approved_sandal(app)
    size_41 = new_size(client, product, "0")
    photo_id = photo_of(client, product, size_41)
    reject(boss, product, size_41, "Fotonya bukan sandal ukuran 41.")
    told = told_managers()
    delete_photo(client, product, photo_id)
    assert review_of(size_41) == ("pending", None, False)
    assert told_managers() == [*told, "Sandal Kulit — 41"]


# --- WhatsApp --------------------------------------------------------------------------------


@pytest.fixture
def whatsapp(app):
    FAKE.received.clear()
    FAKE.status, FAKE.delay = 200, 0.0
    app.config.update(
        WHATSAPP_TOKEN="test-token",
        WHATSAPP_PHONE_NUMBER_ID="1055",
        WHATSAPP_API_BASE=FAKE.base_url,
        WHATSAPP_TIMEOUT=1,
    )
    return FAKE


def test_a_vendor_who_chose_whatsapp_hears_of_the_decision_there(app, ctx, outbox, whatsapp):
    client, boss, product = approved_sandal(app)
    owner = db.session.scalar(select(User).where(User.email == "sandal@example.com"))
    owner.phone, owner.message_channel = "+6281234567890", "whatsapp"
    db.session.commit()
    size_41 = new_size(client, product, "25.000")
    assert reject(boss, product, size_41, REASON).status_code == 302
    [sent] = whatsapp.received
    template = sent["body"]["template"]
    assert template["name"] == "gerai_variant_rejected"
    params = [p["text"] for p in template["components"][0]["parameters"]]
    assert params[1:] == ["Sandal Kulit", "41"]
    # WhatsApp only: no email of the decision as well.
    assert not [m for m in outbox() if "tidak disetujui" in m.get_content()]
