"""An UMKM applies, a manager reviews, and only permitted, approved vendors get in."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from storefront.audit import AuditEntry
from storefront.auth.models import Role, User
from storefront.extensions import db
from storefront.settings.services import set_setting
from storefront.vendors.models import Consent, Vendor, VendorDocument, VendorStatus
from tests.factories import VendorFactory
from tests.integration.onboarding_helpers import (
    EXE,
    NIB,
    NIK,
    applicant,
    complete_application,
    fill_bank,
    fill_business,
    fill_owner,
    food_category,
    manager,
    submit,
    upload_document,
)


def vendor_row() -> Vendor | None:
    db.session.rollback()
    return db.session.scalar(select(Vendor))


def test_join_page_shows_terms_from_settings(client, ctx):
    set_setting("commission_default_bp", "2250")
    set_setting("settlement_period", "biweekly")
    db.session.commit()
    page = client.get("/partner").get_data(as_text=True)
    assert "22,5\u00a0%" in page
    assert "setiap dua minggu" in page.lower() or "every two weeks" in page.lower()
    assert 'href="/partner/apply"' in page


def test_applying_needs_an_account(client, ctx):
    response = client.get("/partner/apply")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_applicant_completes_every_step_and_sends(client, ctx):
    user = applicant(client)
    vendor = complete_application(client)
    assert vendor.status == VendorStatus.SUBMITTED
    assert vendor.owner_nik == NIK
    assert vendor.kecamatan == "Cikupa"
    assert vendor.city == "kabupaten-tangerang"
    assert vendor.bank_account == "1234567890"
    assert vendor.slug == "dapur-nyai-cikupa"
    consents = db.session.scalars(select(Consent).where(Consent.user_id == user.id)).all()
    assert {c.kind for c in consents} == {"personal_data", "consignment"}
    assert all(c.text_version and c.accepted_at for c in consents)
    page = client.get("/partner/application").get_data(as_text=True)
    assert "Menunggu peninjauan" in page


def test_a_draft_is_kept_between_visits(app, client, ctx):
    applicant(client)
    fill_owner(client)
    # Later, from the start button, the applicant lands on the first unfinished step.
    response = client.get("/partner/apply")
    assert response.headers["Location"].endswith("/partner/apply/business")
    page = client.get("/partner/apply/owner").get_data(as_text=True)
    assert 'value="Siti Nurhayati"' in page


def test_personal_numbers_are_encrypted_at_rest(client, ctx):
    applicant(client)
    complete_application(client)
    fill = db.session.execute(text("SELECT owner_nik, bank_account FROM vendors")).one()
    raw = " ".join(str(v) for v in fill)
    assert NIK not in raw
    assert "1234567890" not in raw
    assert "3603" not in raw


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("9903015505900001", "bukan kode provinsi"),
        ("3603013102900001", "tanggal lahir"),
        ("36030155059000", "16 digit"),
        ("3603015505900000", "0000"),
    ],
)
def test_malformed_nik_is_refused_and_nothing_saved(client, ctx, nik, message):
    applicant(client)
    response = fill_owner(client, nik=nik)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert vendor_row().owner_nik is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("nib", "12345", "13 digit"), ("npwp", "12.345", "16 digit")],
)
def test_malformed_business_numbers_are_refused(client, ctx, field, value, message):
    applicant(client)
    fill_owner(client)
    response = fill_business(client, [food_category().id], **{field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert vendor_row().nib is None


def test_old_15_digit_npwp_is_stored_with_a_leading_zero(client, ctx):
    applicant(client)
    fill_owner(client)
    # A CV's old number; an individual is asked for the NIK instead (test_identities_and_prices).
    fill_business(client, [food_category().id], legal_form="cv", npwp="01.234.567.8-901.000")
    assert vendor_row().npwp == "0012345678901000"


def test_malformed_bank_account_is_refused(client, ctx):
    applicant(client)
    fill_owner(client)
    # Too short for any bank (a length unusual for the chosen bank only warns).
    response = fill_bank(client, account="1234")
    assert response.status_code == 200
    assert "5 sampai 20 digit" in response.get_data(as_text=True)
    assert vendor_row().bank_account is None


def test_an_executable_renamed_pdf_is_refused(client, ctx):
    applicant(client)
    response = upload_document(client, content=EXE, name="sertifikat.pdf")
    assert response.status_code == 200
    assert "Unggah berkas PDF, JPEG, atau PNG." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_a_file_over_the_cap_is_refused(app, client, ctx):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    applicant(client)
    response = upload_document(client, content=b"%PDF-1.4\n" + b"0" * 4096)
    assert response.status_code == 200
    assert "MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        ("pirt", "2093603010123-24", "berlaku sampai"),  # the printed date is needed
        ("halal", "KH.36.2024.0001", "ketetapan halal"),
        ("bpom", "MX 240935001200027", "MD"),
    ],
)
def test_bad_permit_numbers_are_refused(client, ctx, kind, number, message):
    applicant(client)
    response = upload_document(client, kind=kind, number=number)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_a_pirt_document_is_checked_against_its_printed_date(client, ctx):
    applicant(client)
    lapsed = upload_document(
        client, kind="pirt", number="P-IRT No. 2093603010123-24", expires_on="2024-05-20"
    )
    assert lapsed.status_code == 200
    assert "20-05-2024" in lapsed.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_an_expired_permit_is_refused(client, ctx):
    applicant(client)
    response = upload_document(
        client, kind="bpom", number="MD 240935001200027", expires_on="2025-01-31"
    )
    assert response.status_code == 200
    assert "sudah habis pada" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_sending_needs_consent(client, ctx):
    applicant(client)
    fill_owner(client)
    fill_business(client, [food_category().id])
    upload_document(client)
    fill_bank(client)
    response = client.post_form("/partner/apply/submit", {"terms": "y"})
    assert response.status_code == 200
    assert vendor_row().status == VendorStatus.DRAFT


def test_an_unfinished_application_cannot_be_sent(client, ctx):
    applicant(client)
    fill_owner(client)
    response = submit(client)
    assert response.status_code == 200
    assert vendor_row().status == VendorStatus.DRAFT


def test_a_vendor_cannot_open_another_vendors_document(app, client, ctx):
    applicant(client)
    complete_application(client)
    document = db.session.scalar(select(VendorDocument))
    with client.get(f"/partner/documents/{document.id}") as own:
        assert own.status_code == 200
        assert own.headers["Cache-Control"] == "private, no-store"

    from tests.conftest import Client

    other = Client(app.test_client())
    applicant(other, email="lain@example.com", name="Orang Lain")
    other.get("/partner/apply")
    assert other.get(f"/partner/documents/{document.id}").status_code == 404


def test_manager_asks_for_changes_then_approves(app, client, ctx, outbox):
    user = applicant(client)
    vendor = complete_application(client)
    boss = manager(app)

    queue = boss.get("/manage/vendors").get_data(as_text=True)
    assert "Dapur Nyai Cikupa" in queue
    detail = boss.get(f"/manage/vendors/{vendor.id}").get_data(as_text=True)
    assert "************0001" in detail
    assert NIK not in detail

    response = boss.post_form(
        f"/manage/vendors/{vendor.id}/request-changes",
        {"comment": "Foto sertifikat NIB buram, mohon unggah ulang."},
    )
    assert response.status_code == 302
    assert vendor_row().status == VendorStatus.CHANGES_REQUESTED
    mail = outbox()[-1]
    assert mail["To"] == "nyai@example.com"
    assert "Foto sertifikat NIB buram" in mail.get_body().get_content()

    page = client.get("/partner/apply/documents").get_data(as_text=True)
    assert "Foto sertifikat NIB buram" in page
    upload_document(client, name="nib-jelas.pdf")
    assert submit(client).status_code == 302
    assert vendor_row().status == VendorStatus.SUBMITTED

    response = boss.post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {
            "commission_rule": "own",
            "commission_percent": "22,5",
            "settlement_period": "monthly",
            "comment": "",
        },
    )
    assert response.status_code == 302
    vendor = vendor_row()
    assert vendor.status == VendorStatus.APPROVED
    assert vendor.commission_bp == 2250
    assert db.session.get(User, user.id).role == "vendor"
    assert "disetujui" in outbox()[-1]["Subject"].lower()
    history = [
        (h.from_status, h.to_status)
        for h in __import__("storefront.vendors.services", fromlist=["x"]).history(vendor)
    ]
    assert history == [
        ("draft", "submitted"),
        ("submitted", "changes_requested"),
        ("changes_requested", "submitted"),
        ("submitted", "approved"),
    ]
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "vendor.approve" in actions and "vendor.request_changes" in actions


def test_rejecting_needs_a_reason(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app)
    response = boss.post_form(f"/manage/vendors/{vendor.id}/reject", {"comment": ""})
    assert response.status_code == 400
    assert vendor_row().status == VendorStatus.SUBMITTED


def test_a_decided_application_cannot_be_decided_again(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app)
    boss.post_form(f"/manage/vendors/{vendor.id}/reject", {"comment": "Di luar Tangerang."})
    response = boss.post_form(
        f"/manage/vendors/{vendor.id}/approve",
        {"commission_rule": "own", "commission_percent": "20", "settlement_period": "monthly"},
        follow_redirects=True,
    )
    assert "tidak dapat diubah" in response.get_data(as_text=True)
    assert vendor_row().status == VendorStatus.REJECTED


def test_showing_a_full_nik_is_audited(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app, "admin@example.com", role=Role.ADMIN)
    page = boss.post_form(f"/manage/vendors/{vendor.id}/reveal/owner_nik").get_data(as_text=True)
    assert NIK in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vendor.reveal"))
    assert entry.subject_id == vendor.id
    assert json.loads(entry.after) == {"field": "owner_nik"}
    assert NIK not in entry.after


def test_a_manager_sees_personal_data_masked_and_cannot_reveal_it(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    boss = manager(app)
    page = boss.get(f"/manage/vendors/{vendor.id}").get_data(as_text=True)
    assert NIK[-4:] in page and NIK not in page
    assert "/reveal/" not in page  # the admin-only button is not offered
    refused = boss.post_form(f"/manage/vendors/{vendor.id}/reveal/owner_nik")
    assert refused.status_code == 403
    assert NIK not in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_managers_download_documents_privately(app, client, ctx):
    applicant(client)
    vendor = complete_application(client)
    document = db.session.scalar(select(VendorDocument))
    boss = manager(app)
    with boss.get(f"/manage/vendors/{vendor.id}/documents/{document.id}") as response:
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF-")
    assert boss.get(f"/manage/vendors/{vendor.id + 1}/documents/{document.id}").status_code == 404
    assert "/static/" not in document.file_path
    with client.get(f"/media/{document.file_path}") as public:
        assert public.status_code == 404


def test_logo_upload_content_is_checked(client, ctx):
    applicant(client)
    response = client.post(
        "/partner/apply/documents",
        data={
            "kind": "nib",
            "number": NIB,
            "file": (io.BytesIO(b""), "kosong.pdf"),
            "csrf_token": client.csrf_token("/partner/apply/documents"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_manager_registers_a_producer_at_the_counter(app, ctx, outbox):
    category = food_category()
    boss = manager(app)
    response = boss.post_form(
        "/manage/vendors/new",
        {
            "name": "Dodol Betawi Teluknaga",
            "owner_name": "Haji Mamat",
            "owner_phone": "0813-1111-2222",
            "owner_email": "Mamat@Example.com",
            "nib": "9120009876543",
            "location": "kabupaten-tangerang|Teluknaga",
            "categories": [str(category.id)],
            "commission_rule": "follow",
            "settlement_period": "monthly",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    vendor = db.session.scalar(select(Vendor).where(Vendor.nib == "9120009876543"))
    assert vendor.status == VendorStatus.APPROVED
    assert vendor.commission_bp is None  # follows the category / outlet default
    # A new account, owner once the producer chooses a password from the emailed link
    # (tests/security/test_email_verification.py follows that through).
    owner = db.session.scalar(select(User).where(User.email == "mamat@example.com"))
    assert vendor.pending_owner_id == owner.id
    mail = outbox()[-1]
    assert mail["To"] == "mamat@example.com"
    assert "/account/password/reset/" in mail.get_body().get_content()
    assert "vendor.create_at_counter" in db.session.scalars(select(AuditEntry.action)).all()


def test_counter_registration_refuses_a_known_nib(app, ctx):
    VendorFactory(nib="9120009876543")
    boss = manager(app)
    response = boss.post_form(
        "/manage/vendors/new",
        {
            "name": "Dodol Lain",
            "owner_name": "Orang Lain",
            "owner_phone": "0813-1111-2222",
            "nib": "9120009876543",
            "location": "kabupaten-tangerang|Teluknaga",
            "commission_rule": "own",
            "commission_percent": "20",
            "settlement_period": "monthly",
        },
    )
    assert response.status_code == 200
    assert "NIB ini sudah terdaftar" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 1


def test_business_step_takes_an_optional_logo(client, ctx):
    from tests.integration.onboarding_helpers import png_bytes

    applicant(client)
    fill_owner(client)
    response = client.post(
        "/partner/apply/business",
        data={
            "name": "Dapur Nyai Cikupa",
            "legal_form": "perorangan",
            "nib": NIB,
            "address": "Jl. Raya Serang Km 17",
            "location": "kabupaten-tangerang|Cikupa",
            "story": "Keripik rumahan.",
            "logo": (io.BytesIO(png_bytes()), "logo.png"),
            "csrf_token": client.csrf_token("/partner/apply/business"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    logo = vendor_row().logo_key
    assert logo and logo.endswith(".webp")
    with client.get(f"/media/{logo}") as image:
        assert image.status_code == 200
        assert image.mimetype == "image/webp"


def _multipart_post(client, path, fields: dict, file_name: str, content: bytes):
    """POST a form with one file, encoded in memory (the test client spools big bodies to a
    temporary file it never closes)."""
    data = {**fields, "file": FileStorage(io.BytesIO(content), filename=file_name)}
    data["csrf_token"] = client.csrf_token(path)
    boundary, body = encode_multipart(data)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_20_mb_scan_keeps_what_was_typed_and_names_the_file(client, ctx):
    """Past MAX_CONTENT_LENGTH (16 MB) the request used to be refused whole with an error
    page, losing the form; now the file alone is refused, by name, beside its field."""
    applicant(client)
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    response = _multipart_post(
        client,
        "/partner/apply/documents",
        {
            "kind": "pirt",
            "number": "P-IRT No. 2093603010123-30",
            "issued_on": "2025-03-01",
            "expires_on": "2030-03-01",
        },
        "sppirt-scan.pdf",
        big,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "sppirt-scan.pdf berukuran 20,0 MB" in page
    assert 'value="P-IRT No. 2093603010123-30"' in page
    assert 'value="2025-03-01"' in page
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_a_too_big_file_is_named_together_with_the_other_mistakes(client, ctx):
    """The size used to be checked only once every other field was right: a vendor fixing a
    future date was then told, on the next try, that the file was too big as well."""
    applicant(client)
    response = _multipart_post(
        client,
        "/partner/apply/documents",
        {"kind": "nib", "number": "1234567890123", "issued_on": "2099-01-01"},
        "nib-scan.pdf",
        b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nib-scan.pdf berukuran 6,0 MB" in page
    assert "Tanggal terbit tidak boleh di masa depan" in page
    assert db.session.scalar(select(func.count()).select_from(VendorDocument)) == 0


def test_a_huge_request_is_still_refused_before_any_view(client, ctx):
    applicant(client)
    response = _multipart_post(
        client, "/partner/apply/documents", {"kind": "nib"}, "nib.pdf", b"0" * (70 * 1024 * 1024)
    )
    assert response.status_code == 413
