"""Mentors: only their assigned vendors (another vendor is a 404), their insights, pipeline and
statement amounts without bank or identity data, dated notes the vendor reads in the portal,
and the admin's screen that assigns them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.catalog import interest
from storefront.catalog.share_links import Campaign
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.incubator.models import MentorAssignment, MentoringNote
from storefront.money import format_rupiah
from storefront.orders import fulfilment
from storefront.orders.models import PaidWith
from storefront.settlements import services as settlements
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory
from tests.integration.order_helpers import order_for, stocked_product
from tests.security.account_helpers import make_vendor

NIK = "3603015505900001"
ACCOUNT = "1234567890"


def english(app) -> Client:
    """A browser that reads the pages in English (the shop's default is Indonesian)."""
    client = Client(app.test_client())
    client.raw.set_cookie("lang", "en")
    return client


def english_text(message) -> str:
    with force_locale("en"):
        return str(message)


@pytest.fixture
def people(ctx):
    mine, _owner = make_vendor(
        "owner@example.com",
        name="Dapur Nyai",
        slug="dapur-nyai",
        owner_nik=NIK,
        bank_code="014",
        bank_account=ACCOUNT,
        bank_holder="SITI NURHAYATI",
    )
    theirs, _ = make_vendor("other@example.com", name="Kopi Pak Darto", slug="kopi-darto")
    mentor = UserFactory(email="mentor@example.com", name="Pak Budi", role="mentor")
    manager = UserFactory(email="manajer@example.com", name="Bu Rina", role="manager")
    admin = UserFactory(email="admin@example.com", name="Admin", role="admin")
    db.session.add(MentorAssignment(vendor_id=mine.id, mentor_id=mentor.id))
    db.session.commit()
    return dict(mine=mine, theirs=theirs, mentor=mentor, manager=manager, admin=admin)


def signed_in(app, email) -> Client:
    client = english(app)
    assert client.login(email, PASSWORD).status_code == 302
    return client


def test_a_mentor_sees_their_vendor_and_not_another(app, people):
    mentor = signed_in(app, "mentor@example.com")
    home = mentor.get("/incubator/").get_data(as_text=True)
    assert "Dapur Nyai" in home and "Kopi Pak Darto" not in home
    assert mentor.get(f"/incubator/vendors/{people['mine'].id}").status_code == 200
    assert mentor.get(f"/incubator/vendors/{people['theirs'].id}").status_code == 404
    response = mentor.post_form(
        f"/incubator/vendors/{people['theirs'].id}/notes",
        {"noted_on": today_wib().isoformat(), "body": "Tidak boleh"},
    )
    assert response.status_code == 404
    assert db.session.scalar(select(MentoringNote.id)) is None
    # The manager pages stay closed to a mentor.
    assert mentor.get("/manage/").status_code == 403
    assert mentor.get(f"/manage/vendors/{people['mine'].id}").status_code == 403


def test_the_mentor_page_shows_insights_and_statement_amounts_but_no_bank_or_identity(app, people):
    product, _batch = stocked_product(vendor=people["mine"], name="Sambal Roa", price=30000)
    order = order_for({product: 2})
    act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=people["manager"])
    today = today_wib()
    act(settlements.generate_month, today.year, today.month, actor=people["manager"])
    page = signed_in(app, "mentor@example.com").get(f"/incubator/vendors/{people['mine'].id}")
    text = page.get_data(as_text=True)
    assert "Sambal Roa" in text
    assert format_rupiah(60000) in text
    for secret in (NIK, ACCOUNT, "SITI NURHAYATI", NIK[-4:] + "<", "014"):
        assert secret not in text
    assert page.headers["Cache-Control"].startswith("private, no-store")


def test_the_mentor_page_shows_what_the_vendors_shared_links_brought(app, people):
    product, _batch = stocked_product(vendor=people["mine"], name="Sambal Roa", price=30000)
    other, _batch = stocked_product(vendor=people["theirs"], name="Kopi Robusta", price=45000)
    poster, facebook = Campaign("poster", "promosi"), Campaign("facebook", "kopi-pagi")
    for count in (interest.count_link_visit, interest.count_link_visit):
        act(count, product.id, poster)
    act(interest.count_link_add_to_cart, product.id, poster)
    act(interest.count_vendor_link_visit, people["mine"].id, poster)
    act(interest.count_link_visit, other.id, facebook)  # another vendor's link
    mentor = signed_in(app, "mentor@example.com")
    page = mentor.get(f"/incubator/vendors/{people['mine'].id}").get_data(as_text=True)
    section = page.split('id="links-heading"')[1].split("</section>")[0]
    assert "promosi" in section
    assert '<td data-label="Visits" class="num">3</td>' in section
    assert '<td data-label="Added to cart" class="num">1</td>' in section
    assert "kopi-pagi" not in section


def test_a_note_is_dated_and_the_vendor_reads_it_in_the_portal(app, people):
    mentor = signed_in(app, "mentor@example.com")
    day = today_wib() - timedelta(days=2)
    response = mentor.post_form(
        f"/incubator/vendors/{people['mine'].id}/notes",
        {"noted_on": day.isoformat(), "body": "Foto produk perlu latar terang."},
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mentoring.note"))
    assert entry.actor_id == people["mentor"].id
    portal = signed_in(app, "owner@example.com").get("/vendor/mentoring").get_data(as_text=True)
    assert "Foto produk perlu latar terang." in portal and "Pak Budi" in portal
    other = signed_in(app, "other@example.com").get("/vendor/mentoring").get_data(as_text=True)
    assert "Foto produk perlu latar terang." not in other


@pytest.mark.parametrize(
    ("noted_on", "body", "message"),
    [
        ("", "Isi", "Give the date"),
        ("today", "   ", "Write what you discussed"),
        ("tomorrow", "Isi", "cannot be in the future"),
    ],
)
def test_a_bad_note_is_refused_with_a_message(app, people, noted_on, body, message):
    day = {"": "", "today": today_wib(), "tomorrow": today_wib() + timedelta(days=1)}[noted_on]
    mentor = signed_in(app, "mentor@example.com")
    response = mentor.post_form(
        f"/incubator/vendors/{people['mine'].id}/notes",
        {"noted_on": str(day), "body": body},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(MentoringNote.id)) is None


def test_an_admin_assigns_vendors_to_a_mentor_and_it_is_audited(app, people):
    admin = signed_in(app, "admin@example.com")
    path = f"/incubator/mentors/{people['mentor'].id}"
    response = admin.post_form(path, {"vendor_ids": [str(people["theirs"].id)]})
    assert response.status_code == 302
    db.session.expire_all()
    assigned = db.session.scalars(
        select(MentorAssignment.vendor_id).where(MentorAssignment.mentor_id == people["mentor"].id)
    ).all()
    assert assigned == [people["theirs"].id]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mentor.assign"))
    mentor = signed_in(app, "mentor@example.com")
    assert mentor.get(f"/incubator/vendors/{people['mine'].id}").status_code == 404
    assert mentor.get(f"/incubator/vendors/{people['theirs'].id}").status_code == 200
    # Only a mentor account gets vendors; a manager cannot open the screen.
    assert admin.get(f"/incubator/mentors/{people['manager'].id}").status_code == 404
    manager = signed_in(app, "manajer@example.com")
    assert manager.get(path).status_code == 403


def test_an_admin_makes_a_mentor_account(app, people):
    admin = signed_in(app, "admin@example.com")
    response = admin.post_form(
        "/admin/users/new",
        {"name": "Ibu Mentor", "email": "ibu.mentor@example.com", "role": "mentor", "locale": "id"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
