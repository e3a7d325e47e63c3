"""Permit assistance: the board's one-way moves, a reason to go back, the certificate flowing
into the product's permits (same rules) and the product going on sale, reminders, and the
community filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.catalog.models import PermitKind, ProductPermit, ProductStatus
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.incubator import applications
from storefront.incubator.applications import ApplicationError, Plan
from storefront.incubator.models import (
    ApplicationStatus,
    MentorAssignment,
    PermitApplication,
    PermitApplicationChange,
)
from storefront.manager_inbox import ManagerNotification
from tests.conftest import Client, act
from tests.factories import PASSWORD, CategoryFactory, ProductFactory, UserFactory
from tests.security.account_helpers import make_vendor

HALAL = "ID36110000123450925"
S = ApplicationStatus


def english(app) -> Client:
    """A browser that reads the pages in English (the shop's default is Indonesian)."""
    client = Client(app.test_client())
    client.raw.set_cookie("lang", "en")
    return client


def english_text(message) -> str:
    with force_locale("en"):
        return str(message)


@pytest.fixture
def shop(ctx):
    footwear = CategoryFactory(slug="alas-kaki", name="Alas Kaki", is_food=False)
    food = CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)
    vendor, _owner = make_vendor("owner@example.com", name="Sandal Kulit Cikupa", slug="sandal")
    other, _ = make_vendor("other@example.com", name="Kue Bu Tuti", slug="kue-tuti")
    sandal = ProductFactory(
        vendor=vendor,
        category=footwear,
        name="Sandal Kulit Sapi",
        animal_derived=True,
        status=ProductStatus.DRAFT.value,
        permits_complete=False,
    )
    cookies = ProductFactory(
        vendor=other, category=food, name="Nastar", status=ProductStatus.DRAFT.value
    )
    manager = UserFactory(email="manajer@example.com", name="Bu Rina", role="manager")
    mentor = UserFactory(email="mentor@example.com", name="Pak Budi", role="mentor")
    db.session.add(MentorAssignment(vendor_id=vendor.id, mentor_id=mentor.id))
    db.session.commit()
    return dict(
        sandal=sandal, cookies=cookies, manager=manager, mentor=mentor, vendor=vendor, other=other
    )


def opened(shop, product=None, kind=PermitKind.HALAL, route="self_declare", due=None):
    plan = Plan(shop["mentor"].id, "Kumpulkan daftar bahan", due)
    return act(
        applications.open_application,
        shop["manager"],
        product or shop["sandal"],
        kind,
        route,
        plan,
    )


def move(application, to, actor, reason=""):
    return act(applications.transition, application, to, actor, reason, today=today_wib())


def test_forward_moves_write_history_and_audit(shop):
    application = opened(shop)
    move(application, S.DOCUMENTS, shop["mentor"])
    move(application, S.SUBMITTED, shop["mentor"])
    db.session.expire_all()
    application = db.session.get(PermitApplication, application.id)
    assert application.status == S.SUBMITTED
    assert application.submitted_on == today_wib()
    assert [(h.from_status, h.to_status) for h in application.history] == [
        ("not_started", "documents"),
        ("documents", "submitted"),
    ]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "PermitApplication")
    ).all()
    assert actions.count("permit_application.move") == 2


def test_moving_back_without_a_reason_is_refused_and_changes_nothing(shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["mentor"])
    with pytest.raises(ApplicationError) as refused:
        move(application, S.DOCUMENTS, shop["mentor"], "   ")
    assert "Say why" in english_text(refused.value.message)
    db.session.expire_all()
    assert db.session.get(PermitApplication, application.id).status == S.SUBMITTED
    assert db.session.scalar(select(func.count()).select_from(PermitApplicationChange)) == 1

    move(application, S.DOCUMENTS, shop["mentor"], "Foto proses produksi kurang")
    db.session.expire_all()
    last = db.session.get(PermitApplication, application.id).history[-1]
    assert (last.to_status, last.comment) == ("documents", "Foto proses produksi kurang")


def test_a_refusal_needs_a_reason_and_issued_is_final(shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["manager"])
    with pytest.raises(ApplicationError):
        move(application, S.REFUSED, shop["manager"])
    with pytest.raises(ApplicationError):  # issued only with the certificate
        move(application, S.ISSUED, shop["manager"])
    with pytest.raises(ApplicationError):  # standing still is not a move
        move(application, S.SUBMITTED, shop["manager"])
    db.session.expire_all()
    assert db.session.get(PermitApplication, application.id).status == S.SUBMITTED


def test_a_skip_the_table_does_not_allow_is_refused(shop):
    application = opened(shop)
    with pytest.raises(ApplicationError) as refused:
        move(application, S.INSPECTION, shop["manager"])
    assert "cannot move" in english_text(refused.value.message)


def test_a_halal_application_needs_its_route_and_one_per_product_and_kind(shop):
    with pytest.raises(ApplicationError):
        opened(shop, route=None)
    opened(shop)
    with pytest.raises(ApplicationError) as twice:
        opened(shop)
    assert "already" in english_text(twice.value.message)
    assert db.session.scalar(select(func.count()).select_from(PermitApplication)) == 1


def issue(application, actor, number=HALAL):
    return act(
        applications.issue,
        application,
        actor,
        number=number,
        issued_on=today_wib(),
        expires_on=None,
        today=today_wib(),
    )


def test_a_wrong_certificate_number_is_refused_by_the_same_rules(shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["mentor"])
    with pytest.raises(Exception) as refused:
        issue(application, shop["manager"], number="KH123456789")
    assert "ketetapan halal" in english_text(refused.value.message)
    db.session.expire_all()
    assert db.session.get(PermitApplication, application.id).status == S.SUBMITTED
    assert db.session.scalar(select(func.count()).select_from(ProductPermit)) == 0


def test_a_certificate_issued_by_a_manager_puts_the_product_on_sale(app, shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["mentor"])
    move(application, S.INSPECTION, shop["mentor"])
    issue(application, shop["manager"])
    db.session.expire_all()
    application = db.session.get(PermitApplication, application.id)
    product = application.product
    assert application.status == S.ISSUED and application.certificate_number == HALAL
    assert [(p.kind, p.number) for p in product.permits] == [("halal", HALAL)]
    assert product.permits_complete and product.status == ProductStatus.APPROVED
    page = english(app).get(f"/product/{product.slug}")
    assert page.status_code == 200


def test_a_certificate_issued_by_a_mentor_sends_the_product_to_review(shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["mentor"])
    issue(application, shop["mentor"])
    db.session.expire_all()
    product = db.session.get(PermitApplication, application.id).product
    assert product.status == ProductStatus.SUBMITTED
    assert (
        db.session.scalar(
            select(ManagerNotification.label).where(ManagerNotification.kind == "product")
        )
        == product.name
    )


def test_reminders_reach_managers_and_the_mentor_once_per_due_date(app, shop):
    today = today_wib()
    application = opened(shop, due=today + timedelta(days=3))
    opened(
        shop,
        product=shop["cookies"],
        kind=PermitKind.PIRT,
        route=None,
        due=today + timedelta(days=60),
    )
    reminded = act(applications.remind_due, today)
    assert [a.id for a in reminded] == [application.id]
    assert act(applications.remind_due, today) == []
    manager = english(app)
    manager.login("manajer@example.com", PASSWORD)
    assert "Sandal Kulit Sapi (Halal)" in manager.get("/manage/notifications").get_data(
        as_text=True
    )
    mentor = english(app)
    mentor.login("mentor@example.com", PASSWORD)
    home = mentor.get("/incubator/").get_data(as_text=True)
    assert "Sandal Kulit Sapi (Halal)" in home


def test_the_board_filters_by_community_and_a_mentor_sees_only_their_vendors(app, shop):
    opened(shop)
    opened(shop, product=shop["cookies"], kind=PermitKind.PIRT, route=None)
    manager = english(app)
    manager.login("manajer@example.com", PASSWORD)
    everything = manager.get("/incubator/permits").get_data(as_text=True)
    assert "Sandal Kulit Sapi" in everything and "Nastar" in everything
    food = manager.get("/incubator/permits?community=makanan-minuman").get_data(as_text=True)
    assert "Nastar" in food and "Sandal Kulit Sapi" not in food

    mentor = english(app)
    mentor.login("mentor@example.com", PASSWORD)
    board = mentor.get("/incubator/permits").get_data(as_text=True)
    assert "Sandal Kulit Sapi" in board and "Nastar" not in board
    theirs = db.session.scalar(select(PermitApplication.id).where(PermitApplication.kind == "pirt"))
    assert mentor.get(f"/incubator/permits/{theirs}").status_code == 404


def test_moving_back_on_the_page_without_a_reason_shows_the_message(app, shop):
    application = opened(shop)
    move(application, S.SUBMITTED, shop["mentor"])
    mentor = english(app)
    mentor.login("mentor@example.com", PASSWORD)
    response = mentor.post_form(
        f"/incubator/permits/{application.id}/move", {"status": "documents", "reason": ""}
    )
    assert response.status_code == 422
    assert "Say why the application goes back" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PermitApplication, application.id).status == S.SUBMITTED


def test_the_daily_command_writes_the_reminders(app, shop):
    opened(shop, due=today_wib() + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["remind-permit-applications"])
    assert result.exit_code == 0 and "1 permit application reminder(s)" in result.output
    again = app.test_cli_runner().invoke(args=["remind-permit-applications"])
    assert "0 permit application reminder(s)" in again.output


def test_a_plan_with_someone_who_is_not_a_mentor_is_refused(shop):
    application = opened(shop)
    with pytest.raises(ApplicationError) as refused:
        act(
            applications.update_plan,
            application,
            shop["manager"],
            Plan(shop["manager"].id, "", None),
        )
    assert english_text(refused.value.message) == "Choose one of the mentors."
    db.session.expire_all()
    assert db.session.get(PermitApplication, application.id).mentor_id == shop["mentor"].id


def test_a_non_halal_product_gets_no_halal_application(shop):
    shop["sandal"].non_halal = True
    shop["sandal"].non_halal_ingredient = "kulit babi"
    db.session.commit()
    with pytest.raises(ApplicationError) as refused:
        opened(shop)
    assert "non-halal" in english_text(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(PermitApplication)) == 0
