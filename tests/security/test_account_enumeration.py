"""Registration, team invitations and the application's NIB give the same answer whether or not
the email or NIB is already known, and registration is rate limited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.auth.models import User
from storefront.extensions import db
from storefront.vendors.models import Vendor, VendorInvitation, VendorMember
from tests.factories import PASSWORD, UserFactory, VendorFactory
from tests.integration.onboarding_helpers import (
    NIB,
    applicant,
    complete_application,
    fill_business,
    food_category,
    manager,
)
from tests.security.account_helpers import (
    REGISTER,
    browser,
    link_in,
    mail_body,
    mails_to,
    make_vendor,
    page,
    register,
    signed_in,
)


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def answer(response) -> tuple:
    """What a visitor can observe of a registration: status, where it leads, what it says."""
    return response.status_code, response.headers.get("Location")


def test_registering_a_known_email_looks_like_registering_a_new_one(app, ctx, outbox):
    UserFactory(email="siti@example.com", name="Siti Aminah")

    new = register(browser(app), email="budi@example.com")
    known = register(browser(app), email="SITI@example.com", name="Orang Lain")
    assert answer(new)[0] == answer(known)[0] == 302
    assert new.headers["Location"] == "/account/login?email=budi@example.com"
    assert known.headers["Location"] == "/account/login?email=siti@example.com"
    first, second = browser(app), browser(app)
    register(first, email="budi2@example.com")
    register(second, email="siti@example.com")
    new_page = page(first.get("/account/login")).replace("budi2@example.com", "X")
    known_page = page(second.get("/account/login")).replace("siti@example.com", "X")
    assert "Cek email Anda" in new_page
    assert _flash(new_page) == _flash(known_page)

    assert users() == 3
    siti = db.session.scalar(select(User).where(User.email == "siti@example.com"))
    assert siti.name == "Siti Aminah" and siti.check_password(PASSWORD)
    # The owner of the address hears about it, with a way in.
    mails = mails_to(outbox, "siti@example.com")
    assert len(mails) == 2
    body = mail_body(mails[0])
    assert mails[0]["Subject"] == "Ada yang mencoba mendaftar dengan email Anda"
    assert "Halo Siti Aminah" in body
    assert "/account/login" in body and "/account/password/forgot" in body
    assert "/account/verify/" not in body


def _flash(html: str) -> str:
    start = html.index('class="flash')
    return html[start : html.index("</", start)]


def test_registering_a_known_email_tells_the_owner_in_their_language(app, ctx, outbox):
    UserFactory(email="siti@example.com", name="Siti Aminah", locale="en")
    register(browser(app), email="siti@example.com")
    [mail] = outbox()
    assert mail["Subject"] == "Someone tried to register with your email address"
    assert "sign in" in mail_body(mail)


def test_registration_is_limited_per_address_of_the_visitor(client, ctx, outbox):
    token = client.csrf_token(REGISTER)
    statuses = []
    for n in range(6):
        response = client.post(
            REGISTER,
            data={
                "name": "Budi",
                "email": f"budi{n}@example.com",
                "password": "rahasia-sekali",
                "confirm": "rahasia-sekali",
                "csrf_token": token,
            },
        )
        statuses.append(response.status_code)
    assert statuses == [302] * 5 + [429]
    assert users() == 5


def test_registration_is_limited_per_email_across_addresses(app, ctx, outbox):
    """Nobody can fill someone's mailbox with "someone tried to register" notices."""
    UserFactory(email="siti@example.com")
    statuses = []
    for attempt in range(4):
        client = browser(app)
        environ = {"REMOTE_ADDR": f"10.0.1.{attempt + 1}"}
        token = client.csrf_token(REGISTER)
        response = client.post(
            REGISTER,
            data={
                "name": "X",
                "email": "siti@example.com",
                "password": "rahasia-sekali",
                "confirm": "rahasia-sekali",
                "csrf_token": token,
            },
            environ_base=environ,
        )
        statuses.append(response.status_code)
    assert statuses == [302] * 3 + [429]
    assert len(outbox()) == 3


# --- invitations -----------------------------------------------------------------------------


@pytest.fixture
def owner(client, ctx):
    client.set_cookie("lang", "en")
    make_vendor(name="Kopi Cisoka")
    return signed_in(client, "owner@example.com")


def test_inviting_someone_in_another_vendor_looks_like_any_invitation(app, owner, ctx, outbox):
    make_vendor("other.owner@example.com", name="Batik Lain")
    nobody = owner.post_form("/vendor/team", {"email": "new.person@example.com"})
    member = owner.post_form("/vendor/team", {"email": "Other.Owner@example.com"})
    assert (nobody.status_code, nobody.headers["Location"]) == (
        member.status_code,
        member.headers["Location"],
    )
    html = page(owner.get("/vendor/team"))
    assert "new.person@example.com" in html and "other.owner@example.com" in html
    assert db.session.scalar(select(func.count()).select_from(VendorInvitation)) == 2
    [mail] = mails_to(outbox, "other.owner@example.com")

    # Accepting tells the invited person, and only them, why it cannot be.
    other = signed_in(browser(app, "en"), "other.owner@example.com")
    link = link_in(mail, "/vendor/invitations/")
    assert "already belongs to a vendor" in page(other.get(link, follow_redirects=True))
    other.post_form(link)
    assert db.session.scalar(select(func.count()).select_from(VendorMember)) == 2


def test_inviting_someone_already_in_the_own_team_says_so(owner, ctx, outbox):
    """The team page lists its members anyway, so saying it reveals nothing."""
    response = owner.post_form("/vendor/team", {"email": "owner@example.com"})
    assert response.status_code == 200
    assert "already in your team" in page(response)
    assert outbox() == []


# --- the NIB of an application -----------------------------------------------------------------


def test_an_application_with_a_known_nib_is_saved_like_any_other(client, ctx):
    VendorFactory(nib=NIB, name="Dapur Lama")
    applicant(client)
    client.post_form(
        "/partner/apply/owner",
        {
            "name": "Siti",
            "nik": "3603015505900001",
            "phone": "0812 1000 0001",
            "email": "nyai@example.com",
        },
    )
    response = fill_business(client, [food_category().id])
    assert response.status_code == 302
    assert response.headers["Location"] == "/partner/apply/documents"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Vendor).where(Vendor.nib == NIB)) == 2


def test_the_manager_sees_a_shared_nib_and_cannot_approve_a_second_live_vendor(app, client, ctx):
    VendorFactory(nib=NIB, name="Dapur Lama")
    applicant(client)
    vendor = db.session.get(Vendor, _application_id(client))
    boss = manager(app)
    detail = page(boss.get(f"/manage/vendors/{vendor.id}"))
    assert "NIB ini juga dipakai oleh" in detail and "Dapur Lama" in detail

    response = boss.post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "own", "commission_percent": "20", "settlement_period": "monthly"},
        follow_redirects=True,
    )
    assert "sudah disetujui dengan NIB ini" in page(response)
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).status == "submitted"


def _application_id(client) -> int:
    complete_application(client)
    db.session.expire_all()
    submitted = select(Vendor.id).where(Vendor.nib == NIB, Vendor.status == "submitted")
    return db.session.scalar(submitted)


def test_the_database_keeps_one_live_vendor_per_nib(ctx):
    from sqlalchemy.exc import IntegrityError

    VendorFactory(nib=NIB, status="approved")
    VendorFactory(nib=NIB, status="submitted")  # an application may share it
    with pytest.raises(IntegrityError):
        VendorFactory(nib=NIB, status="suspended")
    db.session.rollback()
