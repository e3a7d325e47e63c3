"""The "Jadi Mitra" page and the application wizard an UMKM fills in to join the outlet."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from storefront.auth.access import public, role_required, verified_email_required
from storefront.auth.models import Role
from storefront.auth.sessions import ask_for_password
from storefront.categories import all_categories
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.files import send_private
from storefront.forms import flash_error, form_error
from storefront.indonesia import identifiers
from storefront.security import no_store
from storefront.settings.services import get_settings
from storefront.uploads import UploadRejected, upload_form
from storefront.vendors import bp, emails
from storefront.vendors import services as vendors
from storefront.vendors.forms import (
    DOCUMENT_KINDS,
    BankForm,
    BusinessForm,
    DocumentForm,
    OwnerForm,
    SubmitApplicationForm,
)
from storefront.vendors.models import DocumentKind, MemberRole, VendorDocument, VendorStatus
from storefront.vendors.profile import discard, replace_logo

APPLICANT = (Role.SHOPPER, Role.VENDOR)
# A vendor belongs to its owner's address: applying waits until the account proved it.
verified_applicant = verified_email_required(
    _l("To apply as a partner, first confirm your email address with the link we sent you.")
)
STEPS = ("owner", "business", "documents", "bank", "submit")


def consignment_terms() -> dict:
    settings = get_settings("commission_default_bp", "settlement_period")
    return {
        "commission_bp": int(settings["commission_default_bp"]),
        "settlement_period": settings["settlement_period"],
    }


@bp.route("/partner")
@public
def join():
    return render_template("vendors/join.html", terms=consignment_terms())


def _application():
    """The signed-in applicant's vendor; creates the draft on first visit. The application
    (owner's NIK, documents, bank account) is the owner's: staff of the business get 403."""
    member = vendors.membership(current_user)
    if member is not None and member.role != MemberRole.OWNER:
        abort(403)
    return vendors.start_application(current_user)


def _editable_or_status(vendor):
    if VendorStatus(vendor.status) not in vendors.EDITABLE:
        return redirect(url_for("vendors.application_status"))
    return None


@bp.route("/partner/apply")
@role_required(*APPLICANT)
@verified_applicant
def apply():
    vendor = _application()
    if VendorStatus(vendor.status) not in vendors.EDITABLE:
        return redirect(url_for("vendors.application_status"))
    missing = vendors.missing_parts(vendor)
    return redirect(url_for("vendors.apply_step", step=missing[0] if missing else "submit"))


def _render_step(step: str, vendor, **context):
    return render_template(
        f"vendors/apply/{step}.html",
        vendor=vendor,
        step=step,
        steps=STEPS,
        missing=vendors.missing_parts(vendor),
        **context,
    )


def _next(step: str):
    return redirect(url_for("vendors.apply_step", step=STEPS[STEPS.index(step) + 1]))


@bp.route("/partner/apply/<step>", methods=["GET", "POST"])
@role_required(*APPLICANT)
@upload_form
@no_store
@verified_applicant
def apply_step(step: str):
    if step not in STEPS:
        abort(404)
    vendor = _application()
    if (blocked := _editable_or_status(vendor)) is not None:
        return blocked
    return {
        "owner": _owner_step,
        "business": _business_step,
        "documents": _documents_step,
        "bank": _bank_step,
        "submit": _submit_step,
    }[step](vendor)


def _owner_step(vendor):
    # The NIK is shown masked, never pre-filled: the page would otherwise carry it in full
    # to every device and screenshot the applicant opens it on (UU PDP).
    form = OwnerForm(
        data={
            "name": vendor.owner_name,
            "phone": vendor.owner_phone,
            "email": vendor.owner_email,
        },
        nik_saved=bool(vendor.owner_nik),
    )
    if form.validate_on_submit():
        vendors.save_owner(
            vendor,
            vendors.OwnerDetails(
                name=form.name.data,
                nik=form.nik.data or vendor.owner_nik,
                phone=form.phone.data,
                email=form.email.data,
            ),
        )
        flash(_("Saved. You can come back to this application at any time."), "success")
        return _next("owner")
    return _render_step("owner", vendor, form=form, saved_nik=identifiers.mask(vendor.owner_nik))


def _business_step(vendor):
    categories = all_categories()
    location = f"{vendor.city}|{vendor.kecamatan}" if vendor.kecamatan else None
    form = BusinessForm(
        category_choices=[(c.id, c.display_name) for c in categories],
        data={
            "name": vendor.name,
            "legal_form": vendor.legal_form,
            "nib": vendor.nib,
            "address": vendor.address,
            "location": location,
            "incubator_cohort": vendor.incubator_cohort,
            "categories": [c.id for c in vendor.categories],
            "story": vendor.story,
        },
    )
    if form.validate_on_submit():
        city, _sep, kecamatan = form.location.data.partition("|")
        try:
            warnings = vendors.save_business(
                vendor,
                vendors.BusinessDetails(
                    name=form.name.data,
                    legal_form=form.legal_form.data,
                    nib=form.nib.data,
                    npwp=_npwp_to_save(form, vendor),
                    address=form.address.data,
                    city=city,
                    kecamatan=kecamatan,
                    incubator_cohort=form.incubator_cohort.data,
                    category_ids=form.categories.data or [],
                    story=form.story.data,
                ),
            )
            old_logo = replace_logo(vendor, form.logo.data) if form.logo.data else None
        except vendors.VendorError as exc:
            form_error(form, exc, default="name")
        except UploadRejected as exc:
            form_error(form, exc, default="logo")
        else:
            discard(old_logo)
            flash(_("Saved. You can come back to this application at any time."), "success")
            for warning in warnings:
                flash(str(warning), "warning")
            return _next("business")
    return _render_step("business", vendor, form=form, saved_npwp=identifiers.mask(vendor.npwp))


def _npwp_to_save(form, vendor) -> str | None:
    """A newly typed NPWP, else the saved one unless the applicant ticked "remove"."""
    if form.npwp.data:
        return form.npwp.data
    if form.remove_npwp.data:
        return None
    return vendor.npwp


def _documents_step(vendor):
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            vendors.add_document(
                vendor,
                kind=DocumentKind(form.kind.data),
                number=form.number.data or "",
                issued_on=form.issued_on.data,
                expires_on=form.expires_on.data,
                file=form.file.data,
                user=current_user,
                today=today_wib(),
            )
        except identifiers.InvalidIdentifier as exc:
            form_error(form, exc, default="number")
        except UploadRejected as exc:
            form_error(form, exc, default="file")
        except vendors.VendorError as exc:
            form_error(form, exc, default="number")
        else:
            flash(_("Document added."), "success")
            return redirect(url_for("vendors.apply_step", step="documents"))
    return _render_step(
        "documents", vendor, form=form, kinds=dict(DOCUMENT_KINDS), documents=vendor.documents
    )


@bp.route("/partner/apply/documents/<int:document_id>/delete", methods=["POST"])
@role_required(*APPLICANT)
@verified_applicant
def delete_document(document_id: int):
    vendor = _application()
    document = _own_document(vendor, document_id)
    try:
        vendors.remove_document(vendor, document)
    except vendors.VendorError as exc:
        flash_error(exc)
    else:
        flash(_("Document removed."), "info")
    return redirect(url_for("vendors.apply_step", step="documents"))


def _own_document(vendor, document_id: int) -> VendorDocument:
    document = db.session.get(VendorDocument, document_id)
    if document is None or document.vendor_id != vendor.id:
        abort(404)
    return document


@bp.route("/partner/documents/<int:document_id>")
@role_required(*APPLICANT)
def document_file(document_id: int):
    # Onboarding papers (NIB, permits, often a KTP or bank book as "other") are the owner's;
    # staff of the business get 403, anyone else's document is 404.
    member = vendors.membership(current_user)
    if member is None:
        abort(404)
    if member.role != MemberRole.OWNER:
        abort(403)
    document = _own_document(member.vendor, document_id)
    return send_private(document.file_path, document.mime, document.original_name)


def _bank_step(vendor):
    # Replacing an account already given is a payout change: the password is asked again.
    if vendor.bank_account and (confirm := ask_for_password()) is not None:
        return confirm
    form = BankForm.for_vendor(vendor)
    if form.validate_on_submit():
        try:
            warnings = vendors.save_bank(vendor, **form.bank_input())
        except (vendors.VendorError, identifiers.InvalidIdentifier) as exc:
            form_error(form, exc, default="account")
        else:
            flash(_("Saved. You can come back to this application at any time."), "success")
            for warning in warnings:
                flash(str(warning), "warning")
            return _next("bank")
    return _render_step(
        "bank", vendor, form=form, masked_account=identifiers.mask(vendor.bank_account)
    )


def _submit_step(vendor):
    form = SubmitApplicationForm()
    if form.validate_on_submit():
        try:
            vendors.submit_application(
                vendor,
                current_user,
                personal_data=form.personal_data.data,
                terms=form.terms.data,
            )
        except vendors.VendorError as exc:
            form_error(form, exc, default="terms")
        else:
            emails.application_received(vendor, current_user)
            flash(_("Thank you! Your application was sent. We will email you."), "success")
            return redirect(url_for("vendors.application_status"))
    return _render_step(
        "submit",
        vendor,
        form=form,
        terms=consignment_terms(),
        kinds=dict(DOCUMENT_KINDS),
        bank=vendors.bank_display_name(vendor),
        masked=identifiers.mask,
    )


@bp.route("/partner/application")
@role_required(*APPLICANT)
def application_status():
    vendor = vendors.vendor_for_user(current_user)
    if vendor is None:
        return redirect(url_for("vendors.join"))
    return render_template(
        "vendors/application_status.html",
        vendor=vendor,
        history=vendors.history(vendor),
        missing=vendors.missing_parts(vendor),
        editable=VendorStatus(vendor.status) in vendors.EDITABLE,
    )


@bp.app_context_processor
def _step_labels():
    return {
        "STEP_LABELS": {
            "owner": _("Owner"),
            "business": _("Business"),
            "documents": _("Documents"),
            "bank": _("Bank account"),
            "submit": _("Send"),
        }
    }
