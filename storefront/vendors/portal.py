"""The vendor portal: dashboard, public profile, team and bank account.

Every page finds its vendor through `access.current_vendor` / `current_membership`, so one
vendor's people never reach another vendor's rows. Bank details and the team are the owner's.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from storefront import audit, database
from storefront.auth.access import ANY_ACCOUNT, role_required, unverified_email_page
from storefront.auth.models import Role
from storefront.auth.sessions import ask_for_password
from storefront.forms import flash_error, form_error
from storefront.indonesia.identifiers import InvalidIdentifier, mask
from storefront.links import external_url
from storefront.mail import send_template
from storefront.navigation import stash_link_token
from storefront.phones import display_phone
from storefront.security import no_store
from storefront.templating import has_endpoint
from storefront.uploads import UploadRejected, media_url, upload_form
from storefront.vendors import bp, services
from storefront.vendors import team as teams
from storefront.vendors.access import current_membership, current_vendor
from storefront.vendors.emails import notify_bank_change
from storefront.vendors.forms import BankForm
from storefront.vendors.models import MemberRole, SettlementPeriod, Vendor
from storefront.vendors.portal_forms import (
    ConfirmForm,
    InviteForm,
    LogoForm,
    PhotoActionForm,
    PhotoForm,
    ProfileForm,
    RemoveMemberForm,
)
from storefront.vendors.profile import (
    MAX_PHOTOS,
    add_photo,
    bank_snapshot,
    delete_photo,
    discard,
    move_photo,
    photo_sources,
    remove_logo,
    replace_logo,
    update_profile,
)

# The emailed invitation link's token, once opened (navigation.stash_link_token).
INVITATION_LINK = "vendor_invitation_link"


# --- dashboard -------------------------------------------------------------------------------


def _render(template: str, member, **context):
    """Every portal page gets the vendor and whether the person is its owner (for the menu)."""
    return render_template(
        template,
        vendor=member.vendor,
        member=member,
        is_owner=member.role == MemberRole.OWNER,
        **context,
    )


@bp.route("/vendor")
@role_required(Role.VENDOR)
def dashboard():
    member = current_membership()
    vendor = member.vendor
    return _render(
        "vendors/portal/dashboard.html",
        member,
        period=SettlementPeriod.label_of(vendor.settlement_period),
        products_endpoint=has_endpoint("catalog.products"),
        public_page=has_endpoint("shop.vendor_page"),
        member_count=len(vendor.members),
    )


# --- public profile --------------------------------------------------------------------------


def _render_profile(member, *, form=None, logo_form=None, photo_form=None):
    vendor = member.vendor
    if form is None:
        form = ProfileForm(
            formdata=None,
            data={"story": vendor.story, "whatsapp": display_phone(vendor.whatsapp)},
        )
    photos = [(photo, photo_sources(photo)) for photo in vendor.photos]
    return _render(
        "vendors/portal/profile.html",
        member,
        form=form,
        logo_form=logo_form or LogoForm(formdata=None),
        photo_form=photo_form or PhotoForm(formdata=None),
        photos=photos,
        max_photos=MAX_PHOTOS,
        logo_url=media_url(vendor.logo_key) if vendor.logo_key else None,
        public_page=has_endpoint("shop.vendor_page"),
    )


@bp.route("/vendor/profile", methods=["GET", "POST"])
@role_required(Role.VENDOR)
def profile():
    member = current_membership()
    vendor = member.vendor
    form = ProfileForm(data={"story": vendor.story, "whatsapp": display_phone(vendor.whatsapp)})
    if form.validate_on_submit():
        update_profile(vendor, story=form.story.data, whatsapp=form.whatsapp.data)
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("vendors.profile"))
    return _render_profile(member, form=form)


@bp.route("/vendor/profile/logo", methods=["POST"])
@role_required(Role.VENDOR)
@upload_form
def profile_logo():
    member = current_membership()
    vendor = member.vendor
    form = LogoForm()
    if form.validate_on_submit():
        try:
            old = replace_logo(vendor, form.logo.data)
        except UploadRejected as exc:
            form_error(form, exc, default="logo")
        else:
            discard(old)
            flash(_("Your new logo has been saved."), "success")
            return redirect(url_for("vendors.profile"))
    return _render_profile(member, logo_form=form)


@bp.route("/vendor/profile/logo/delete", methods=["POST"])
@role_required(Role.VENDOR)
def profile_logo_delete():
    vendor = current_vendor()
    if ConfirmForm().validate_on_submit():
        discard(remove_logo(vendor))
        flash(_("The logo has been removed."), "success")
    return redirect(url_for("vendors.profile"))


@bp.route("/vendor/profile/photos", methods=["POST"])
@role_required(Role.VENDOR)
@upload_form
def profile_photo_add():
    member = current_membership()
    vendor = member.vendor
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            add_photo(vendor, form.photo.data)
        except (UploadRejected, services.VendorError) as exc:
            form_error(form, exc, default="photo")
        else:
            flash(_("The photo has been added."), "success")
            return redirect(url_for("vendors.profile"))
    return _render_profile(member, photo_form=form)


@bp.route("/vendor/profile/photos/move", methods=["POST"])
@role_required(Role.VENDOR)
def profile_photo_move():
    vendor = current_vendor()
    form = PhotoActionForm()
    if form.validate_on_submit() and form.direction.data:
        try:
            move_photo(vendor, form.photo_id.data, -1 if form.direction.data == "up" else 1)
        except services.VendorError as exc:
            flash_error(exc)
    else:
        flash(_("Photo not found."), "error")
    return redirect(url_for("vendors.profile", _anchor="photos"))


@bp.route("/vendor/profile/photos/delete", methods=["POST"])
@role_required(Role.VENDOR)
def profile_photo_delete():
    vendor = current_vendor()
    form = PhotoActionForm()
    if form.validate_on_submit():
        try:
            key = delete_photo(vendor, form.photo_id.data)
        except services.VendorError as exc:
            flash_error(exc)
        else:
            discard(key)
            flash(_("The photo has been deleted."), "success")
    else:
        flash(_("Photo not found."), "error")
    return redirect(url_for("vendors.profile", _anchor="photos"))


# --- team ------------------------------------------------------------------------------------


@bp.route("/vendor/team", methods=["GET", "POST"], endpoint="team")
@role_required(Role.VENDOR)
def team_page():
    # Everyone in the team sees it; only an owner may change it.
    member = current_membership(owner=request.method == "POST")
    vendor = member.vendor
    is_owner = member.role == MemberRole.OWNER
    form = InviteForm() if is_owner else None
    if form is not None and form.validate_on_submit():
        try:
            invitation, token = teams.invite(vendor, current_user, form.email.data)
        except services.VendorError as exc:
            form_error(form, exc, default="email")
        else:
            _send_invitation(vendor, invitation, token)
            flash(
                _("Invitation sent to %(email)s. It is valid for 7 days.", email=invitation.email),
                "success",
            )
            return redirect(url_for("vendors.team"))
    return _render(
        "vendors/portal/team.html",
        member,
        form=form,
        members=teams.members(vendor),
        invitations=teams.pending_invitations(vendor) if is_owner else [],
    )


def _send_invitation(vendor: Vendor, invitation, token: str) -> None:
    link = external_url("vendors.accept_invitation", token=token)
    send_template(
        invitation.email,
        "vendors/email/invitation.txt",
        _l("%(name)s invites you to their team at Gerai Tangerang Gemilang", name=vendor.name),
        event="invitation",
        vendor=vendor,
        inviter=current_user,
        link=link,
        expires_at=invitation.expires_at,
    )


@bp.route("/vendor/team/remove", methods=["POST"])
@role_required(Role.VENDOR)
def team_remove():
    vendor = current_vendor(owner=True)
    form = RemoveMemberForm()
    if form.validate_on_submit():
        try:
            removed = teams.remove_member(vendor, current_user, form.member_id.data)
        except services.VendorError as exc:
            flash_error(exc)
        else:
            name = removed.user.name
            flash(_("%(name)s has been removed from the team.", name=name), "success")
    else:
        flash(_("That person is not in your team."), "error")
    return redirect(url_for("vendors.team"))


@bp.route("/vendor/invitations", methods=["GET", "POST"])
@bp.route("/vendor/invitations/<token>", methods=["GET", "POST"])
@role_required(*ANY_ACCOUNT)
def accept_invitation(token: str | None = None):
    if (moved := stash_link_token(INVITATION_LINK, token)) is not None:
        return moved
    token = session.get(INVITATION_LINK, "")
    invitation = teams.invitation_for_token(token)
    try:
        teams.check_invitation(invitation, current_user)
    except teams.EmailNotVerified as exc:
        return unverified_email_page(str(exc.message))
    except teams.InvitationError as exc:
        return render_template("vendors/portal/invitation.html", problem=exc.message)
    form = ConfirmForm()
    if form.validate_on_submit():
        teams.accept(invitation, current_user)
        vendor_name = invitation.vendor.name
        session.pop(INVITATION_LINK, None)
        flash(_("Welcome to the team of %(name)s.", name=vendor_name), "success")
        return redirect(url_for("vendors.dashboard"))
    return render_template("vendors/portal/invitation.html", invitation=invitation, form=form)


# --- bank account ----------------------------------------------------------------------------


@bp.route("/vendor/bank", methods=["GET", "POST"])
@role_required(Role.VENDOR)
@no_store
def bank():
    member = current_membership(owner=True)
    if (confirm := ask_for_password()) is not None:
        return confirm
    vendor = member.vendor
    form = BankForm.for_vendor(vendor)
    if form.validate_on_submit():
        before = bank_snapshot(vendor)
        old_holder = vendor.bank_holder
        old_values = (vendor.bank_code, vendor.bank_name, vendor.bank_account, old_holder)
        try:
            warnings = services.save_bank(vendor, **form.bank_input())
        except (services.VendorError, InvalidIdentifier) as exc:
            form_error(form, exc, default="account")
        else:
            new_values = (vendor.bank_code, vendor.bank_name, vendor.bank_account)
            if (*new_values, vendor.bank_holder) == old_values:
                database.rollback()
                flash(_("Nothing changed: this is already your bank account."), "info")
                return redirect(url_for("vendors.bank"))
            after = bank_snapshot(vendor) | {"holder_changed": vendor.bank_holder != old_holder}
            audit.record(current_user, "vendor.bank_change", vendor, before=before, after=after)
            notify_bank_change(vendor, current_user, before)
            flash(_("The bank account has been changed. We emailed the owner a notice."), "success")
            for warning in warnings:
                flash(str(warning), "warning")
            return redirect(url_for("vendors.bank"))
    return _render(
        "vendors/portal/bank.html",
        member,
        form=form,
        bank_name=services.bank_display_name(vendor),
        masked_account=mask(vendor.bank_account),
    )
