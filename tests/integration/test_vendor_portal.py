"""The vendor portal: dashboard, public profile, team invitations and the payout bank account."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
import time_machine
from PIL import Image
from sqlalchemy import func, select, text

from storefront.audit import AuditEntry
from storefront.auth.models import Role, User
from storefront.extensions import db
from storefront.vendors.models import (
    MemberRole,
    Vendor,
    VendorInvitation,
    VendorMember,
    VendorPhoto,
    VendorStatus,
)
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    ProductFactory,
    UserFactory,
    VendorFactory,
)

# Messages are checked in English, the source language, so these tests do not depend on the
# state of the Indonesian catalogue; tests/integration/test_translations covers that.
NOT_AN_IMAGE = "Upload a JPEG, PNG or WebP image."


@pytest.fixture
def client(client):
    client.set_cookie("lang", "en")
    return client


def png(width: int = 64, height: int = 48, colour=(200, 80, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def make_vendor(owner_email: str = "owner@example.com", **fields) -> tuple[Vendor, User]:
    vendor = VendorFactory(**fields)
    owner = UserFactory(email=owner_email, name="Siti Nurhayati", role=Role.VENDOR.value)
    add_member(vendor, owner, MemberRole.OWNER)
    return vendor, owner


def add_member(vendor: Vendor, user: User, role: MemberRole) -> VendorMember:
    member = VendorMember(vendor_id=vendor.id, user_id=user.id, role=role.value)
    db.session.add(member)
    db.session.commit()
    return member


def fresh(obj):
    """The row as the app left it after a request (the test's session caches otherwise)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def upload_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def signed_in(client, email: str):
    response = client.login(email, PASSWORD)
    assert response.status_code == 302
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


# --- who may open the portal -------------------------------------------------------------------


def test_dashboard_shows_the_vendors_name_and_consignment_terms(client, ctx):
    make_vendor(name="Dapur Nyai Cikupa", commission_bp=2250, settlement_period="weekly")
    signed_in(client, "owner@example.com")
    response = client.get("/vendor")
    assert response.status_code == 200
    html = page(response)
    assert "Dapur Nyai Cikupa" in html
    assert "22.5%" in html
    assert "Weekly" in html
    assert 'href="/vendor/bank"' in html
    assert 'class="portal-alerts"' in html


def test_dashboard_shows_the_outlet_default_commission_when_none_was_set(client, ctx):
    make_vendor(commission_bp=None)
    signed_in(client, "owner@example.com")
    assert "20%" in page(client.get("/vendor"))


def commission_shown(html: str) -> str:
    found = re.search(r'data-testid="commission"[^>]*>(.*?)</dd>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_dashboard_shows_the_category_rate_the_vendors_sales_actually_get(client, ctx):
    vendor, _ = make_vendor(commission_bp=None)
    crafts = CategoryFactory(name="Kerajinan", name_en="Crafts", commission_bp=1500)
    ProductFactory(vendor=vendor, category=crafts)
    signed_in(client, "owner@example.com")
    html = page(client.get("/vendor"))
    assert commission_shown(html) == "15%"
    assert "Kerajinan" in html

    # Another product in a category without a rate of its own: the outlet default for it.
    ProductFactory(vendor=vendor, category=CategoryFactory(name="Makanan", commission_bp=None))
    db.session.commit()
    shown = commission_shown(page(client.get("/vendor")))
    assert "15%" in shown and "Kerajinan" in shown
    assert "20%" in shown


def test_a_vendor_never_sees_another_vendors_data(app, client, ctx):
    make_vendor(name="Keripik Talaga", story="Keripik singkong dari Talaga")
    theirs, _ = make_vendor(
        "other@example.com",
        name="Batik Kelapa Dua",
        story="Batik tulis motif Kelapa Dua",
        whatsapp="+6281298765432",
        bank_code="014",
        bank_account="9876501234",
        bank_holder="Rahmat Hidayat",
    )
    their_staff = UserFactory(email="staff.batik@example.com", role=Role.VENDOR.value)
    their_member = add_member(theirs, their_staff, MemberRole.STAFF)
    their_photo = VendorPhoto(
        vendor_id=theirs.id, image_key="public/vendors/x/abc", widths="320", position=0
    )
    db.session.add(their_photo)
    db.session.commit()

    signed_in(client, "owner@example.com")
    html = "".join(page(client.get(p)) for p in ("/vendor", "/vendor/profile", "/vendor/team"))
    html += page(client.get("/vendor/bank"))
    assert "Keripik Talaga" in html
    for secret in (
        "Batik Kelapa Dua",
        "motif Kelapa Dua",
        "staff.batik@example.com",
        "Rahmat Hidayat",
        "0812-9876-5432",
    ):
        assert secret not in html

    # Reaching for the other vendor's rows by id changes nothing.
    client.post_form("/vendor/profile/photos/delete", {"photo_id": their_photo.id})
    client.post_form("/vendor/profile/photos/move", {"photo_id": their_photo.id, "direction": "up"})
    response = client.post_form(
        "/vendor/team/remove", {"member_id": their_member.id}, follow_redirects=True
    )
    assert "That person is not in your team." in page(response)
    assert fresh(their_photo) is not None
    assert fresh(their_member) is not None


@pytest.mark.parametrize(
    ("status", "role"),
    [
        (VendorStatus.DRAFT, Role.SHOPPER),
        (VendorStatus.SUBMITTED, Role.SHOPPER),
        (VendorStatus.CHANGES_REQUESTED, Role.SHOPPER),
        (VendorStatus.SUBMITTED, Role.VENDOR),
        (VendorStatus.SUSPENDED, Role.VENDOR),
    ],
)
def test_applicant_whose_vendor_is_not_approved_gets_403(client, ctx, status, role):
    vendor = VendorFactory(status=status.value)
    user = UserFactory(email="applicant@example.com", role=role.value)
    add_member(vendor, user, MemberRole.OWNER)
    signed_in(client, "applicant@example.com")
    for path in ("/vendor", "/vendor/profile", "/vendor/team", "/vendor/bank"):
        assert client.get(path).status_code == 403, path
    response = client.post_form("/vendor/profile", {"story": "Diubah"})
    assert response.status_code == 403
    assert fresh(vendor).story != "Diubah"


def test_shopper_and_vendor_account_without_a_business_get_403(client, ctx):
    UserFactory(email="pembeli@example.com", role=Role.SHOPPER.value)
    UserFactory(email="tanpa-usaha@example.com", role=Role.VENDOR.value)
    for email in ("pembeli@example.com", "tanpa-usaha@example.com"):
        signed_in(client, email)
        assert client.get("/vendor").status_code == 403
        assert client.get("/vendor/profile").status_code == 403
        client.post_form("/account/logout")


def test_anonymous_visitor_is_sent_to_sign_in(client, ctx):
    response = client.get("/vendor")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


# --- public profile ----------------------------------------------------------------------------


def test_profile_update_saves_plain_text_story_and_e164_whatsapp(client, ctx):
    vendor, _ = make_vendor()
    signed_in(client, "owner@example.com")
    response = client.post_form(
        "/vendor/profile",
        {
            "story": "<b>Keripik</b> & sambal <script>alert(1)</script>sejak 2015",
            "whatsapp": "0812-3456-7890",
        },
    )
    assert response.status_code == 302
    vendor = fresh(vendor)
    assert vendor.story == "Keripik & sambal sejak 2015"
    assert vendor.whatsapp == "+6281234567890"
    html = page(client.get("/vendor/profile"))
    assert "0812-3456-7890" in html
    assert "<script>alert" not in html


def test_bad_whatsapp_number_shows_a_form_error_and_changes_nothing(client, ctx):
    vendor, _ = make_vendor(story="Cerita lama", whatsapp="+6281234567890")
    signed_in(client, "owner@example.com")
    response = client.post_form("/vendor/profile", {"story": "Cerita baru", "whatsapp": "12345"})
    assert response.status_code == 200
    html = page(response)
    assert "Enter a valid phone number" in html
    assert 'aria-invalid="true"' in html
    vendor = fresh(vendor)
    assert vendor.story == "Cerita lama"
    assert vendor.whatsapp == "+6281234567890"


def test_logo_upload_is_shown_and_replacing_it_deletes_the_old_file(app, client, ctx):
    vendor, _ = make_vendor()
    signed_in(client, "owner@example.com")
    response = client.post_form(
        "/vendor/profile/logo",
        {"logo": (io.BytesIO(png(500, 500)), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    first = fresh(vendor).logo_key
    assert first and first.startswith(f"public/vendors/{vendor.id}/")
    assert (Path(app.config["UPLOAD_DIR"]) / first).is_file()
    assert f"/media/{first}" in page(client.get("/vendor/profile"))

    client.post_form(
        "/vendor/profile/logo",
        {"logo": (io.BytesIO(png(200, 200, (0, 0, 255))), "baru.png")},
        content_type="multipart/form-data",
    )
    second = fresh(vendor).logo_key
    assert second != first
    assert upload_files(app) == [Path(app.config["UPLOAD_DIR"]) / second]

    client.post_form("/vendor/profile/logo/delete")
    assert fresh(vendor).logo_key is None
    assert upload_files(app) == []


def test_photos_can_be_added_moved_and_deleted(app, client, ctx):
    vendor, _ = make_vendor()
    signed_in(client, "owner@example.com")
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        response = client.post_form(
            "/vendor/profile/photos",
            {"photo": (io.BytesIO(png(colour=colour)), "foto.png")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302

    def order():
        db.session.expire_all()
        photos = db.session.scalars(
            select(VendorPhoto).where(VendorPhoto.vendor_id == vendor.id)
        ).all()
        return [(p.id, p.position) for p in sorted(photos, key=lambda p: p.position)]

    first, second, third = (photo_id for photo_id, _ in order())
    assert [pos for _, pos in order()] == [0, 1, 2]
    html = page(client.get("/vendor/profile"))
    assert html.count('name="photo_id"') == 9  # up, down and delete for each photo

    client.post_form("/vendor/profile/photos/move", {"photo_id": third, "direction": "up"})
    assert order() == [(first, 0), (third, 1), (second, 2)]
    client.post_form("/vendor/profile/photos/move", {"photo_id": first, "direction": "up"})
    assert order() == [(first, 0), (third, 1), (second, 2)]

    key = db.session.get(VendorPhoto, first).image_key
    response = client.post_form("/vendor/profile/photos/delete", {"photo_id": first})
    assert response.status_code == 302
    assert order() == [(third, 0), (second, 1)]
    removed = str(Path(app.config["UPLOAD_DIR"]) / key)
    assert not any(str(p).startswith(removed) for p in upload_files(app))
    assert len(upload_files(app)) == 2 * 1  # 64px images give one variant each


def test_a_profile_has_at_most_six_photos(client, ctx):
    vendor, _ = make_vendor()
    for position in range(6):
        key = f"public/vendors/{vendor.id}/{position:032x}"
        db.session.add(
            VendorPhoto(vendor_id=vendor.id, image_key=key, widths="320", position=position)
        )
    db.session.commit()
    signed_in(client, "owner@example.com")
    response = client.post_form(
        "/vendor/profile/photos",
        {"photo": (io.BytesIO(png()), "foto.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "at most 6 photos" in page(response)
    assert db.session.scalar(select(func.count()).select_from(VendorPhoto)) == 6


@pytest.mark.parametrize(
    ("path", "field"), [("/vendor/profile/logo", "logo"), ("/vendor/profile/photos", "photo")]
)
def test_a_program_renamed_to_png_is_refused_and_nothing_is_saved(app, client, ctx, path, field):
    vendor, _ = make_vendor()
    signed_in(client, "owner@example.com")
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    response = client.post_form(
        path, {field: (io.BytesIO(program), "foto.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert NOT_AN_IMAGE in page(response)
    vendor = fresh(vendor)
    assert vendor.logo_key is None
    assert vendor.photos == []
    assert upload_files(app) == []


# --- team ----------------------------------------------------------------------------------------


def invite(client, email: str):
    return client.post_form("/vendor/team", {"email": email})


def invitation_link(outbox) -> str:
    body = outbox()[-1].get_body().get_content()
    return re.search(r"http://localhost(/vendor/invitations/\S+)", body).group(1)


def test_owner_invites_staff_who_registers_and_accepts(app, client, ctx, outbox):
    vendor, _ = make_vendor(name="Kopi Cisoka")
    signed_in(client, "owner@example.com")
    response = invite(client, "Rina@Example.com")
    assert response.status_code == 302
    [mail] = outbox()
    assert mail["To"] == "rina@example.com"
    assert "Kopi Cisoka" in mail["Subject"]
    link = invitation_link(outbox)
    token = link.rsplit("/", 1)[1]
    invitation = db.session.scalar(select(VendorInvitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert "rina@example.com" in page(client.get("/vendor/team"))

    rina = Client(app.test_client())
    rina.set_cookie("lang", "en")
    response = rina.get(link)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    # She registers from there, confirms her address from the email and signs in: the
    # confirmation link brings her back to the invitation.
    response = rina.post_form(
        f"/account/register?next={link}",
        {
            "name": "Rina Marlina",
            "email": "rina@example.com",
            "password": "kopi-cisoka-123",
            "confirm": "kopi-cisoka-123",
        },
    )
    assert response.status_code == 302
    confirm = re.search(
        r"http://localhost(/account/verify/\S+)", outbox()[-1].get_body().get_content()
    )
    response = rina.get(confirm.group(1))
    assert "/account/login?next=" in response.headers["Location"]
    response = rina.post_form(
        response.headers["Location"],
        {"email": "rina@example.com", "password": "kopi-cisoka-123"},
    )
    response = rina.get(response.headers["Location"])
    assert response.headers["Location"] == link
    html = page(rina.get(link, follow_redirects=True))
    assert "Kopi Cisoka" in html and "Join Kopi Cisoka" in html
    response = rina.post_form(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/vendor"

    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "rina@example.com"))
    member = db.session.scalar(select(VendorMember).where(VendorMember.user_id == user.id))
    assert member.vendor_id == vendor.id
    assert member.role == MemberRole.STAFF
    assert user.role == Role.VENDOR
    assert fresh(invitation).accepted_at is not None
    assert "Kopi Cisoka" in page(rina.get("/vendor"))
    assert rina.get("/vendor/bank").status_code == 403


def visitor(app, email: str, role: Role = Role.SHOPPER) -> Client:
    """Another person, in their own browser, signed in."""
    UserFactory(email=email, role=role.value)
    client = Client(app.test_client())
    client.set_cookie("lang", "en")
    signed_in(client, email)
    return client


def staff_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(VendorMember).where(VendorMember.role == "staff")
    )


def test_invitation_for_another_email_is_refused(app, client, ctx, outbox):
    make_vendor()
    signed_in(client, "owner@example.com")
    invite(client, "rina@example.com")
    link = invitation_link(outbox)
    intruder = visitor(app, "budi@example.com")
    assert "sent to another email address" in page(intruder.get(link, follow_redirects=True))
    response = intruder.post_form(link)
    assert "sent to another email address" in page(response)
    assert staff_count() == 0


def test_expired_invitation_is_refused(app, client, ctx, outbox):
    # Sessions and CSRF tokens are signed with the time too, so each step stays in its moment.
    make_vendor()
    with time_machine.travel("2030-01-10 10:00 +0700", tick=False):
        signed_in(client, "owner@example.com")
        invite(client, "rina@example.com")
    link = invitation_link(outbox)
    with time_machine.travel("2030-01-17 09:59 +0700", tick=False):
        rina = visitor(app, "rina@example.com")
        assert "Join" in page(rina.get(link, follow_redirects=True))
    with time_machine.travel("2030-01-17 10:01 +0700", tick=False):
        assert "This invitation has expired" in page(rina.get(link, follow_redirects=True))
        rina.post_form(link)
    assert staff_count() == 0


def test_used_invitation_cannot_be_used_again(app, client, ctx, outbox):
    make_vendor()
    signed_in(client, "owner@example.com")
    invite(client, "rina@example.com")
    link = invitation_link(outbox)
    rina = visitor(app, "rina@example.com")
    assert rina.post_form(link).status_code == 302
    # Removed from the team later, the old link does not bring her back.
    member = db.session.scalar(select(VendorMember).where(VendorMember.role == "staff"))
    client.post_form("/vendor/team/remove", {"member_id": member.id})
    assert staff_count() == 0
    assert "already been used" in page(rina.get(link, follow_redirects=True))
    rina.post_form(link)
    assert staff_count() == 0


def test_managers_cannot_accept_an_invitation(app, client, ctx, outbox):
    make_vendor()
    signed_in(client, "owner@example.com")
    invite(client, "petugas@example.com")
    link = invitation_link(outbox)
    manager = visitor(app, "petugas@example.com", Role.MANAGER)
    response = manager.get(link, follow_redirects=True)
    assert response.status_code == 200
    assert "Outlet staff accounts cannot join a vendor" in page(response)
    manager.post_form(link)
    assert staff_count() == 0


def test_tampered_invitation_link_gets_a_clear_message(app, ctx):
    client = visitor(app, "rina@example.com")
    assert "not valid" in page(client.get("/vendor/invitations/not-a-token", follow_redirects=True))


def test_staff_see_the_team_read_only_and_get_403_on_bank_and_team_changes(app, client, ctx):
    vendor, owner = make_vendor(bank_code="014", bank_account="1234567890", bank_holder="Siti")
    staff = UserFactory(email="staf@example.com", role=Role.VENDOR.value)
    add_member(vendor, staff, MemberRole.STAFF)
    owner_member = db.session.scalar(select(VendorMember).where(VendorMember.user_id == owner.id))
    signed_in(client, "staf@example.com")

    response = client.get("/vendor/team")
    assert response.status_code == 200
    html = page(response)
    assert "owner@example.com" in html
    assert 'name="email"' not in html and 'name="member_id"' not in html
    assert 'href="/vendor/bank"' not in page(client.get("/vendor"))

    token = client.csrf_token("/vendor")
    assert client.get("/vendor/bank").status_code == 403
    bank_post = {"bank_code": "014", "account": "5555555555", "holder": "X", "csrf_token": token}
    assert client.post("/vendor/bank", data=bank_post).status_code == 403
    invite_post = {"email": "teman@example.com", "csrf_token": token}
    assert client.post("/vendor/team", data=invite_post).status_code == 403
    remove_post = {"member_id": owner_member.id, "csrf_token": token}
    assert client.post("/vendor/team/remove", data=remove_post).status_code == 403

    vendor = fresh(vendor)
    assert vendor.bank_account == "1234567890"
    assert db.session.scalar(select(func.count()).select_from(VendorInvitation)) == 0
    assert len(vendor.members) == 2


def test_owner_removes_staff_but_not_themselves(app, client, ctx):
    vendor, owner = make_vendor()
    staff = UserFactory(email="staf@example.com", name="Dodi Staf", role=Role.VENDOR.value)
    staff_member = add_member(vendor, staff, MemberRole.STAFF)
    owner_member = db.session.scalar(select(VendorMember).where(VendorMember.user_id == owner.id))
    signed_in(client, "owner@example.com")

    response = client.post_form(
        "/vendor/team/remove", {"member_id": owner_member.id}, follow_redirects=True
    )
    assert "You cannot remove yourself." in page(response)

    response = client.post_form(
        "/vendor/team/remove", {"member_id": staff_member.id}, follow_redirects=True
    )
    assert "Dodi Staf has been removed from the team." in page(response)
    db.session.expire_all()
    assert [m.user_id for m in db.session.get(Vendor, vendor.id).members] == [owner.id]
    assert db.session.get(User, staff.id).role == Role.SHOPPER
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vendor.member_remove"))
    assert entry.actor_id == owner.id


# --- bank account ------------------------------------------------------------------------------


def test_owner_changes_the_bank_account(app, client, ctx, outbox):
    vendor, owner = make_vendor(
        bank_code="009", bank_account="1112223334", bank_holder="Siti Nurhayati"
    )
    signed_in(client, "owner@example.com")
    response = client.post_form(
        "/vendor/bank",
        {"bank_code": "014", "account": "123-456-7890", "holder": "Siti Nurhayati"},
    )
    assert response.status_code == 302

    vendor = fresh(vendor)
    assert (vendor.bank_code, vendor.bank_account) == ("014", "1234567890")
    raw = db.session.execute(
        text("SELECT bank_account FROM vendors WHERE id = :id"), {"id": vendor.id}
    ).scalar_one()
    assert "1234567890" not in raw

    html = page(client.get("/vendor/bank"))
    assert "******7890" in html
    assert "1234567890" not in html and "123-456-7890" not in html
    assert "BCA" in html

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vendor.bank_change"))
    assert entry.actor_id == owner.id and entry.subject_id == vendor.id
    assert json.loads(entry.before)["account"] == "******3334"
    assert json.loads(entry.after) == {
        "bank_code": "014",
        "account": "******7890",
        "holder_changed": False,
    }
    assert "1234567890" not in entry.after and "1112223334" not in entry.before

    [mail] = outbox()
    assert mail["To"] == "owner@example.com"
    body = mail.get_body().get_content()
    assert "******7890" in body
    assert "1234567890" not in body


def test_malformed_bank_account_is_a_form_error_and_changes_nothing(client, ctx, outbox):
    vendor, _ = make_vendor(bank_code="009", bank_account="1112223334", bank_holder="Siti")
    signed_in(client, "owner@example.com")
    response = client.post_form(
        "/vendor/bank", {"bank_code": "014", "account": "1234", "holder": "Orang Lain"}
    )
    assert response.status_code == 200
    html = page(response)
    assert "An account number has 5 to 20 digits" in html
    assert 'aria-invalid="true"' in html
    vendor = fresh(vendor)
    assert (vendor.bank_code, vendor.bank_account, vendor.bank_holder) == (
        "009",
        "1112223334",
        "Siti",
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert outbox() == []
