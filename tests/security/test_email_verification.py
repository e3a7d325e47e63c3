"""Pre-account hijacking: registering does not prove an email is yours, so an account only
gets what belongs to its address (a vendor, a team, guest orders) once the address is confirmed
through a signed, expiring link opened while signed in to that account."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import time_machine
from sqlalchemy import func, select

from storefront.auth.models import User
from storefront.extensions import db
from storefront.vendors.models import Vendor, VendorMember
from tests.factories import UserFactory
from tests.integration.onboarding_helpers import fill_owner
from tests.integration.order_helpers import order_for, stocked_product
from tests.security.account_helpers import (
    browser,
    link_in,
    mail_body,
    mails_to,
    make_vendor,
    page,
    register,
    signed_in,
)

VERIFY = "/account/verify/"
UNCONFIRMED = "Alamat email Anda belum dikonfirmasi"
RESEND = "Kirim ulang tautan konfirmasi"


def user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def unverified(email: str, **fields) -> User:
    return UserFactory(email=email, email_verified_at=None, **fields)


def members() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(VendorMember))


# --- registering and confirming ------------------------------------------------------------


def test_registering_emails_a_link_and_the_address_counts_only_once_confirmed(client, ctx, outbox):
    response = register(client, email="Budi@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?email=budi@example.com"
    assert "Cek email Anda" in page(client.get(response.headers["Location"]))
    budi = user("budi@example.com")
    assert budi.email_verified_at is None

    [mail] = outbox()
    assert mail["To"] == "budi@example.com"
    assert mail["Subject"] == "Konfirmasi alamat email Anda di Gerai Tangerang Gemilang"
    link = link_in(mail, VERIFY)

    # Opened signed out, the link asks for the account first: only someone holding both the
    # mailbox and the password confirms it.
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/login?next={quote(link, safe='')}"
    assert user("budi@example.com").email_verified_at is None

    signed_in(client, "budi@example.com", "rahasia-sekali")
    response = client.get(link, follow_redirects=True)
    assert "Alamat email Anda sudah dikonfirmasi." in page(response)
    assert user("budi@example.com").email_verified_at is not None
    assert UNCONFIRMED not in page(client.get("/account/"))


def test_registering_in_english_sends_the_link_in_english(client, ctx, outbox):
    client.set_cookie("lang", "en")
    register(client)
    [mail] = outbox()
    assert mail["Subject"] == "Confirm your email address at Gerai Tangerang Gemilang"
    assert "Hello Budi Santoso" in mail_body(mail)


def test_the_link_of_one_account_does_not_confirm_another(app, client, ctx, outbox):
    register(client, email="budi@example.com")
    link = link_in(outbox()[0], VERIFY)
    unverified("joko@example.com")
    joko = signed_in(browser(app), "joko@example.com")
    response = joko.get(link, follow_redirects=True)
    assert "Tautan ini untuk akun lain" in page(response)
    assert user("joko@example.com").email_verified_at is None
    assert user("budi@example.com").email_verified_at is None


def test_the_link_is_bound_to_the_address_it_was_sent_to(client, ctx, outbox):
    register(client, email="budi@example.com")
    link = link_in(outbox()[0], VERIFY)
    budi = user("budi@example.com")
    budi.email = "budi.baru@example.com"  # the account's address changed since
    db.session.commit()
    signed_in(client, "budi.baru@example.com", "rahasia-sekali")
    response = client.get(link, follow_redirects=True)
    assert "sudah kedaluwarsa atau tidak berlaku" in page(response)
    assert user("budi.baru@example.com").email_verified_at is None


def test_an_old_or_tampered_link_is_refused(client, ctx, outbox):
    start = datetime(2030, 5, 1, 9, 0).astimezone()
    with time_machine.travel(start, tick=False):
        register(client)
        link = link_in(outbox()[0], VERIFY)
    with time_machine.travel(start + timedelta(days=3, minutes=1), tick=False):
        signed_in(client, "budi@example.com", "rahasia-sekali")
        response = client.get(link, follow_redirects=True)
        assert "sudah kedaluwarsa atau tidak berlaku" in page(response)
        response = client.get(link[:-3] + "xyz", follow_redirects=True)
        assert "sudah kedaluwarsa atau tidak berlaku" in page(response)
    assert user("budi@example.com").email_verified_at is None


def test_the_account_page_offers_to_send_the_link_again_a_few_times_an_hour(client, ctx, outbox):
    unverified("budi@example.com", name="Budi Santoso")
    signed_in(client, "budi@example.com")
    html = page(client.get("/account/"))
    assert UNCONFIRMED in html and RESEND in html

    for _ in range(3):
        response = client.post_form("/account/verify/resend", follow_redirects=True)
        assert "Kami sudah mengirim tautan konfirmasi baru ke budi@example.com" in page(response)
    assert len(outbox()) == 3
    assert client.post_form("/account/verify/resend").status_code == 429
    assert len(outbox()) == 3

    signed_in(client, "budi@example.com")
    client.get(link_in(outbox()[-1], VERIFY))
    assert user("budi@example.com").email_verified_at is not None


def test_a_confirmed_account_is_not_offered_a_link(client, ctx, outbox):
    UserFactory(email="budi@example.com")
    signed_in(client, "budi@example.com")
    assert UNCONFIRMED not in page(client.get("/account/"))
    response = client.post_form("/account/verify/resend", follow_redirects=True)
    assert "sudah dikonfirmasi" in page(response)
    assert outbox() == []


def test_choosing_a_password_from_an_emailed_link_confirms_the_address(client, ctx, outbox):
    """The reset link went to the mailbox and the new password is the mailbox holder's."""
    unverified("budi@example.com")
    client.post_form("/account/password/forgot", {"email": "budi@example.com"})
    link = link_in(outbox()[0], "/account/password/reset/")
    client.post_form(link, {"password": "sandi-baru-123", "confirm": "sandi-baru-123"})
    assert user("budi@example.com").email_verified_at is not None


# --- what waits for the confirmation -------------------------------------------------------


def test_an_unconfirmed_account_cannot_apply_as_a_vendor(client, ctx, outbox):
    unverified("nyai@example.com", name="Siti Nurhayati")
    signed_in(client, "nyai@example.com")
    for path in ("/partner/apply", "/partner/apply/owner"):
        response = client.get(path)
        assert response.status_code == 403
        html = page(response)
        assert "Untuk mendaftar sebagai mitra, konfirmasikan dulu alamat email Anda" in html
        assert RESEND in html
    assert fill_owner(client).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 0

    client.post_form("/account/verify/resend")
    client.get(link_in(outbox()[-1], VERIFY))
    assert client.get("/partner/apply").status_code == 302
    assert fill_owner(client).status_code == 302


def test_an_unconfirmed_account_cannot_join_a_team(app, client, ctx, outbox):
    make_vendor(name="Kopi Cisoka")
    signed_in(client, "owner@example.com")
    client.post_form("/vendor/team", {"email": "rina@example.com"})
    invitation = link_in(outbox()[-1], "/vendor/invitations/")

    rina = browser(app)
    register(
        rina,
        name="Rina Marlina",
        email="rina@example.com",
        password="kopi-cisoka-123",
        confirm="kopi-cisoka-123",
    )
    signed_in(rina, "rina@example.com", "kopi-cisoka-123")
    response = rina.get(invitation, follow_redirects=True)
    assert response.status_code == 403
    html = page(response)
    assert "Untuk bergabung dengan tim, konfirmasikan dulu alamat email Anda" in html
    assert RESEND in html
    assert rina.post_form(invitation).status_code == 403
    assert members() == 1

    # Confirming from the email brings her back to the invitation, which now works.
    confirm = link_in(mails_to(outbox, "rina@example.com")[-1], VERIFY)
    response = rina.get(confirm)
    assert response.status_code == 302
    rina.post_form(invitation)
    assert members() == 2


def test_guest_orders_with_the_address_show_in_my_orders_only_once_confirmed(client, ctx, outbox):
    product, _batch = stocked_product()
    guest_order = order_for({product: 1}, email="sari@example.com")
    other = order_for({product: 1}, email="someone.else@example.com")
    db.session.commit()
    number = guest_order.number

    unverified("sari@example.com", name="Sari Wulandari")
    signed_in(client, "sari@example.com")
    html = page(client.get("/account/orders"))
    assert number not in html
    assert "setelah Anda mengonfirmasi alamat email" in html and RESEND in html
    assert client.get(f"/orders/{number}").status_code == 404

    client.post_form("/account/verify/resend")
    client.get(link_in(outbox()[-1], VERIFY))
    html = page(client.get("/account/orders"))
    assert number in html
    assert other.number not in html
    assert client.get(f"/orders/{number}").status_code == 200
    assert client.get(f"/orders/{other.number}").status_code == 404


def test_only_staff_and_existing_vendor_members_are_confirmed_by_the_migration(
    empty_database_url, tmp_path
):
    """Existing rows: outlet staff and people already in a vendor's team are trusted (a manager
    or the owner vouched for them); plain shoppers confirm when they first need it."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.conftest import make_app

    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade(revision="0009_sale_line_times")
        now = "2026-11-01 00:00:00+00:00"
        with db.engine.begin() as conn:
            for uid, email, role in [
                (1, "shopper@example.com", "shopper"),
                (2, "member@example.com", "shopper"),
                (3, "vendor@example.com", "vendor"),
                (4, "manager@example.com", "manager"),
                (5, "kasir@example.com", "cashier"),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, name, password_hash, role, active, "
                        "created_at, updated_at) VALUES (:id, :email, 'X', 'hash', :role, "
                        ":active, :now, :now)"
                    ),
                    {"id": uid, "email": email, "role": role, "now": now, "active": True},
                )
            conn.execute(
                text(
                    "INSERT INTO vendors (id, slug, name, status, story, settlement_period, "
                    "created_at, updated_at) VALUES (1, 'draft-x', '', 'draft', '', 'monthly', "
                    ":now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO vendor_members (vendor_id, user_id, role, created_at, updated_at)"
                    " VALUES (1, 2, 'owner', :now, :now)"
                ),
                {"now": now},
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(
                conn.execute(text("SELECT email, email_verified_at IS NOT NULL FROM users")).all()
            )
            versions = set(conn.execute(text("SELECT session_version FROM users")).scalars())
        assert rows == {
            "shopper@example.com": False,
            "member@example.com": True,
            "vendor@example.com": True,
            "manager@example.com": True,
            "kasir@example.com": True,
        }
        assert versions == {0}
        db.engine.dispose()


def test_staff_made_by_command_and_demo_accounts_count_as_confirmed(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "kepala@example.com", "--name", "Kepala"],
        input="sandi-admin-123\nsandi-admin-123\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["pos", "create-cashier", "--email", "kasir2@example.com", "--name", "Kasir"],
        input="kasir-rahasia-2026\nkasir-rahasia-2026\n",
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.expire_all()
    people = db.session.scalars(select(User)).all()
    assert {"kepala@example.com", "kasir2@example.com", "pembeli@example.com"} <= {
        u.email for u in people
    }
    assert [u.email for u in people if u.email_verified_at is None] == []


# --- counter onboarding of an email that already has an account -------------------------------


def counter_vendor(boss, email: str, **overrides):
    from tests.integration.onboarding_helpers import food_category

    data = {
        "name": "Dodol Betawi Teluknaga",
        "owner_name": "Haji Mamat",
        "owner_phone": "0813-1111-2222",
        "owner_email": email,
        "nib": "9120009876543",
        "location": "kabupaten-tangerang|Teluknaga",
        "categories": [str(food_category().id)],
        "commission_rule": "own",
        "commission_percent": "20",
        "settlement_period": "monthly",
    }
    data.update(overrides)
    return boss.post_form("/manage/vendors/new", data)


def the_vendor() -> Vendor:
    db.session.expire_all()
    return db.session.scalar(select(Vendor).where(Vendor.nib == "9120009876543"))


def manager_browser(app):
    from tests.integration.onboarding_helpers import manager

    return manager(app)


def test_someone_who_registered_a_producers_email_first_does_not_get_the_vendor(
    app, client, ctx, outbox
):
    # Someone registers the producer's address before the producer ever visits the shop.
    register(
        client,
        name="Haji Mamat",
        email="mamat@example.com",
        password="punya-saya-123",
        confirm="punya-saya-123",
    )
    squatter = signed_in(client, "mamat@example.com", "punya-saya-123")
    squatter_account = user("mamat@example.com")

    boss = manager_browser(app)
    response = counter_vendor(boss, "mamat@example.com")
    assert response.status_code == 302
    assert "belum dikonfirmasi" in page(boss.get(response.headers["Location"]))
    vendor = the_vendor()
    assert vendor.status == "approved"
    assert vendor.pending_owner_id == squatter_account.id
    assert members() == 0
    detail = page(boss.get(f"/manage/vendors/{vendor.id}"))
    assert "Menunggu pemilik mengonfirmasi email" in detail

    # Nothing of the vendor is theirs: no portal, no payout account to set.
    assert squatter.get("/vendor").status_code == 403
    assert squatter.get("/vendor/bank").status_code == 403
    assert (
        squatter.post_form(
            "/vendor/bank", {"bank_code": "014", "account": "1234567890", "holder": "Mamat"}
        ).status_code
        == 403
    )
    assert the_vendor().bank_account is None

    # The real producer gets the mail; not knowing the password, they choose a new one.
    [mail] = mails_to(outbox, "mamat@example.com")[-1:]
    assert "Dodol Betawi Teluknaga" in mail_body(mail)
    reset = link_in(mail, "/account/password/reset/")
    assert VERIFY in mail_body(mail)
    producer = browser(app)
    producer.post_form(reset, {"password": "dodol-asli-123", "confirm": "dodol-asli-123"})

    assert members() == 1
    member = db.session.scalar(select(VendorMember))
    assert (member.vendor_id, member.user_id, member.role) == (
        vendor.id,
        squatter_account.id,
        "owner",
    )
    assert the_vendor().pending_owner_id is None
    assert user("mamat@example.com").role == "vendor"
    # The squatter's session ended with the password they chose.
    assert squatter.get("/account/").status_code == 302
    signed_in(producer, "mamat@example.com", "dodol-asli-123")
    assert producer.get("/vendor").status_code == 200
    assert "Dodol Betawi Teluknaga" in page(boss.get(f"/manage/vendors/{vendor.id}"))
    from storefront.audit import AuditEntry

    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "vendor.owner_confirmed" in actions


def test_a_producer_who_registered_earlier_confirms_and_becomes_the_owner(app, client, ctx, outbox):
    unverified("mamat@example.com", name="Haji Mamat")
    signed_in(client, "mamat@example.com")
    counter_vendor(manager_browser(app), "mamat@example.com")
    assert members() == 0
    confirm = link_in(mails_to(outbox, "mamat@example.com")[-1], VERIFY)
    client.get(confirm)
    assert members() == 1
    assert client.get("/vendor").status_code == 200


def test_a_confirmed_account_is_made_owner_at_once(app, ctx, outbox):
    UserFactory(email="mamat@example.com")
    counter_vendor(manager_browser(app), "mamat@example.com")
    assert members() == 1
    assert the_vendor().pending_owner_id is None


def test_a_new_account_made_at_the_counter_becomes_owner_when_its_password_is_chosen(
    app, ctx, outbox
):
    counter_vendor(manager_browser(app), "Mamat@Example.com")
    account = user("mamat@example.com")
    assert account is not None and account.email_verified_at is None
    assert members() == 0
    assert the_vendor().pending_owner_id == account.id
    [mail] = mails_to(outbox, "mamat@example.com")
    producer = browser(app)
    producer.post_form(
        link_in(mail, "/account/password/reset/"),
        {"password": "dodol-asli-123", "confirm": "dodol-asli-123"},
    )
    assert members() == 1
    signed_in(producer, "mamat@example.com", "dodol-asli-123")
    assert producer.get("/vendor").status_code == 200


def test_the_manager_sends_the_owner_confirmation_again(app, ctx, outbox):
    unverified("mamat@example.com")
    boss = manager_browser(app)
    counter_vendor(boss, "mamat@example.com")
    vendor = the_vendor()
    assert len(mails_to(outbox, "mamat@example.com")) == 1
    response = boss.post_form(f"/manage/vendors/{vendor.id}/owner/resend", follow_redirects=True)
    assert "Email konfirmasi dikirim lagi ke mamat@example.com" in page(response)
    assert len(mails_to(outbox, "mamat@example.com")) == 2


def test_an_account_already_waiting_to_own_a_vendor_cannot_be_given_a_second(app, ctx, outbox):
    unverified("mamat@example.com")
    boss = manager_browser(app)
    counter_vendor(boss, "mamat@example.com")
    response = counter_vendor(boss, "mamat@example.com", name="Dodol Kedua", nib="9120009876544")
    assert response.status_code == 200
    assert "sudah menunggu menjadi pemilik usaha lain" in page(response)
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 1


# --- the payout account notice -------------------------------------------------------------


def test_a_changed_payout_account_is_mailed_to_each_owner_in_their_language(
    app, client, ctx, outbox
):
    from storefront.vendors.models import MemberRole

    vendor, _owner = make_vendor(
        name="Kopi Cisoka", bank_code="009", bank_account="1112223334", bank_holder="Siti"
    )
    english = UserFactory(email="partner@example.com", name="Dewi", locale="en", role="vendor")
    db.session.add(
        VendorMember(vendor_id=vendor.id, user_id=english.id, role=MemberRole.OWNER.value)
    )
    db.session.commit()

    with time_machine.travel(datetime(2030, 3, 2, 9, 30).astimezone(), tick=False):
        signed_in(client, "owner@example.com")
        response = client.post_form(
            "/vendor/bank", {"bank_code": "014", "account": "123-456-7890", "holder": "Siti N"}
        )
    assert response.status_code == 302

    [to_dewi] = mails_to(outbox, "partner@example.com")
    body = mail_body(to_dewi)
    assert to_dewi["Subject"] == "Security notice: your payout bank account was changed"
    assert "Hello Dewi," in body
    assert "Old account: BNI ******3334" in body
    assert "New account: BCA ******7890 in the name of Siti N" in body
    assert "Changed by: Siti Nurhayati" in body
    assert "When: Mar 2, 2030" in body and "WIB" in body
    assert "1112223334" not in body and "1234567890" not in body

    [to_siti] = mails_to(outbox, "owner@example.com")
    body = mail_body(to_siti)
    assert "Rekening lama: BNI ******3334" in body
    assert "Rekening baru: BCA ******7890" in body
