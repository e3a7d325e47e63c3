"""Managers review vendor applications and product listings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront import audit
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.auth.sessions import recent_auth_required
from storefront.catalog import products as listings
from storefront.catalog import variant_grid, variant_review, variants
from storefront.catalog.models import Product, ProductPermit, ProductStatus, VariantReview
from storefront.catalog.permits import needs_permits
from storefront.categories import all_categories
from storefront.clock import today_wib
from storefront.dates import date_text
from storefront.extensions import db
from storefront.files import send_private
from storefront.forms import flash_error, form_error
from storefront.indonesia import identifiers
from storefront.manage import bp
from storefront.money import format_rupiah
from storefront.navigation import page_number
from storefront.reports import charts
from storefront.reports import dashboard as dashboard_figures
from storefront.reports.labels import CHANNEL_LABELS, WINDOW_LABELS
from storefront.security import no_store
from storefront.vendors import emails as owner_emails
from storefront.vendors import services as vendors
from storefront.vendors.forms import (
    DOCUMENT_KINDS,
    FOLLOW_RATE,
    OWN_RATE,
    ApproveForm,
    CounterVendorForm,
    DecisionCommentForm,
)
from storefront.vendors.models import Vendor, VendorDocument, VendorStatus

QUEUE_STATUSES = ("submitted", "changes_requested", "approved", "rejected", "suspended")
REVEALABLE = {"owner_nik": "NIK", "npwp": "NPWP", "bank_account": "bank account"}


@bp.route("/")
@role_required(Role.MANAGER)
def dashboard():
    board = dashboard_figures.build()
    month_by_category = [(label, w["month"].gross) for label, w in board.by_category]
    return render_template(
        "manage/dashboard.html",
        board=board,
        channel_labels=CHANNEL_LABELS,
        window_labels=WINDOW_LABELS,
        day_chart=charts.sales_per_day(board.per_day, CHANNEL_LABELS),
        day_rows=[
            [date_text(day), *(format_rupiah(v[c]) for c in CHANNEL_LABELS)]
            for day, v in sorted(board.per_day.items(), reverse=True)
        ],
        category_chart=charts.share_bars(_("Sales per category, 30 days"), month_by_category),
        category_rows=[
            [label, *(format_rupiah(w[key].gross) for key in WINDOW_LABELS)]
            for label, w in board.by_category
        ],
    )


@bp.route("/vendors")
@role_required(Role.MANAGER)
def vendor_queue():
    status = request.args.get("status", "submitted")
    if status not in (*QUEUE_STATUSES, "all"):
        status = "submitted"
    query = request.args.get("q", "").strip()[:80]
    results = vendors.review_queue(None if status == "all" else status, query, page_number())
    return render_template(
        "manage/vendor_queue.html",
        results=results,
        status=status,
        query=query,
        statuses=QUEUE_STATUSES,
        counts=vendors.status_counts(),
    )


def _vendor(vendor_id: int) -> Vendor:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None or vendor.status == VendorStatus.DRAFT:
        abort(404)
    return vendor


def _render_vendor(vendor: Vendor, revealed: dict | None = None, **forms):
    # A vendor's own 0 % is a rate like any other, not "no rate"; no rate of its own (the
    # usual case) pre-selects "follow the category / default".
    rate = vendor.commission_bp
    approve_form = forms.get("approve_form") or ApproveForm(
        data={
            "commission_rule": FOLLOW_RATE if rate is None else OWN_RATE,
            "commission_percent": rate,
            "settlement_period": vendor.settlement_period,
        }
    )
    return render_template(
        "manage/vendor_detail.html",
        vendor=vendor,
        history=vendors.history(vendor),
        kinds=dict(DOCUMENT_KINDS),
        bank=vendors.bank_display_name(vendor),
        legal_forms=dict(identifiers.LEGAL_FORMS),
        masked=identifiers.mask,
        revealed=revealed or {},
        approve_form=approve_form,
        default_bp=vendors.default_commission_bp(),
        comment_form=forms.get("comment_form") or DecisionCommentForm(),
        today=today_wib(),
        decidable=vendor.status == VendorStatus.SUBMITTED,
        sharing_nib=vendors.sharing_nib(vendor),
    )


@bp.route("/vendors/<int:vendor_id>")
@role_required(Role.MANAGER)
@no_store
def vendor_detail(vendor_id: int):
    return _render_vendor(_vendor(vendor_id))


@bp.route("/vendors/<int:vendor_id>/reveal/<field>", methods=["POST"])
@role_required(Role.ADMIN)
@no_store
@recent_auth_required
def reveal(vendor_id: int, field: str):
    """Show one personal-data field in full, once, and log that this manager saw it."""
    if field not in REVEALABLE:
        abort(404)
    vendor = _vendor(vendor_id)
    audit.record(current_user, "vendor.reveal", vendor, after={"field": field})
    return _render_vendor(vendor, revealed={field: getattr(vendor, field)})


@bp.route("/vendors/<int:vendor_id>/approve", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def approve_vendor(vendor_id: int):
    vendor = _vendor(vendor_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _render_vendor(vendor, approve_form=form), 400
    try:
        vendors.approve(
            vendor,
            current_user,
            commission_bp=form.vendor_rate(),
            settlement_period=form.settlement_period.data,
            comment=form.note.data or "",
        )
    except vendors.VendorError as exc:
        flash_error(exc)
        return redirect(url_for("manage.vendor_detail", vendor_id=vendor.id))
    vendors.notify_decision(vendor)
    flash(_("%(name)s is approved and has been emailed.", name=vendor.name), "success")
    return redirect(url_for("manage.vendor_queue"))


def _decide(vendor_id: int, action) -> object:
    vendor = _vendor(vendor_id)
    form = DecisionCommentForm()
    if not form.validate_on_submit():
        return _render_vendor(vendor, comment_form=form), 400
    try:
        action(vendor, current_user, form.comment.data)
    except vendors.VendorError as exc:
        flash_error(exc)
        return redirect(url_for("manage.vendor_detail", vendor_id=vendor.id))
    vendors.notify_decision(vendor)
    return vendor


@bp.route("/vendors/<int:vendor_id>/request-changes", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def request_vendor_changes(vendor_id: int):
    result = _decide(vendor_id, vendors.request_changes)
    if not isinstance(result, Vendor):
        return result
    flash(_("The applicant was asked for changes by email."), "success")
    return redirect(url_for("manage.vendor_queue"))


@bp.route("/vendors/<int:vendor_id>/reject", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def reject_vendor(vendor_id: int):
    result = _decide(vendor_id, vendors.reject)
    if not isinstance(result, Vendor):
        return result
    flash(_("The application was rejected and the applicant emailed."), "info")
    return redirect(url_for("manage.vendor_queue"))


@bp.route("/vendors/<int:vendor_id>/documents/<int:document_id>")
@role_required(Role.MANAGER)
def vendor_document(vendor_id: int, document_id: int):
    document = db.session.get(VendorDocument, document_id)
    if document is None or document.vendor_id != vendor_id:
        abort(404)
    return send_private(document.file_path, document.mime, document.original_name)


# --- products ------------------------------------------------------------------------------


@bp.route("/products")
@role_required(Role.MANAGER)
def product_queue():
    status = request.args.get("status", ProductStatus.SUBMITTED.value)
    if status not in {s.value for s in ProductStatus} | {"all"}:
        status = ProductStatus.SUBMITTED.value
    results = listings.review_queue(None if status == "all" else status, page_number())
    return render_template(
        "manage/product_queue.html",
        results=results,
        status=status,
        statuses=[s.value for s in ProductStatus],
        counts=listings.status_counts(),
        variants_waiting=variant_review.products_waiting(),
    )


def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    return product


def _reject_variant_form(variant_id: int, **kwargs) -> DecisionCommentForm:
    """The reason asked for rejecting one size or colour: the product rejection's form, one
    per waiting row (the prefix keeps the rows' fields apart)."""
    return DecisionCommentForm(prefix=f"reject{variant_id}", **kwargs)


def _render_product(product: Product, comment_form=None, refused_variant=None):
    """`refused_variant`: (variant id, its reject form with errors) when a rejection was
    refused; every other waiting row gets an empty form."""
    grid = variant_grid.grid(product)
    reject_forms = {
        v.id: _reject_variant_form(v.id, formdata=None)
        for v in grid
        if v.active and v.review == VariantReview.PENDING.value
    }
    if refused_variant is not None:
        variant_id, form = refused_variant
        reject_forms[variant_id] = form
    return render_template(
        "manage/product_detail.html",
        product=product,
        comment_form=comment_form or DecisionCommentForm(),
        reject_forms=reject_forms,
        needs_permits=needs_permits(product),
        prices=listings.price_history(product),
        today=today_wib(),
        grid=grid,
        on_hand=variants.stock_on_hand(v.id for v in product.variants),
    )


@bp.route("/products/<int:product_id>")
@role_required(Role.MANAGER)
def product_detail(product_id: int):
    return _render_product(_product(product_id))


@bp.route("/products/<int:product_id>/approve", methods=["POST"])
@role_required(Role.MANAGER)
def approve_product(product_id: int):
    product = _product(product_id)
    try:
        listings.approve(product, current_user)
    except listings.ListingError as exc:
        flash_error(exc)
        return redirect(url_for("manage.product_detail", product_id=product.id))
    flash(_("%(name)s is approved and listed.", name=product.name), "success")
    return redirect(url_for("manage.product_queue"))


@bp.route("/products/<int:product_id>/reject", methods=["POST"])
@role_required(Role.MANAGER)
def reject_product(product_id: int):
    product = _product(product_id)
    form = DecisionCommentForm()
    if not form.validate_on_submit():
        return _render_product(product, comment_form=form), 400
    try:
        listings.reject(product, current_user, form.comment.data)
    except listings.ListingError as exc:
        flash_error(exc)
        return redirect(url_for("manage.product_detail", product_id=product.id))
    flash(_("The product was rejected; the vendor sees your reason."), "info")
    return redirect(url_for("manage.product_queue"))


def _waiting_variant(product_id: int, variant_id: int):
    product = _product(product_id)
    variant = variant_review.waiting_variant(product, variant_id)
    if variant is None:
        abort(404)
    return product, variant


def _to_variants(product: Product):
    return redirect(url_for("manage.product_detail", product_id=product.id, _anchor="variants"))


@bp.route("/products/<int:product_id>/variants/<int:variant_id>/approve", methods=["POST"])
@role_required(Role.MANAGER)
def approve_variant(product_id: int, variant_id: int):
    product, variant = _waiting_variant(product_id, variant_id)
    try:
        variant_review.approve(variant, current_user)
    except listings.ListingError as exc:
        flash_error(exc)
    else:
        flash(_("%(variant)s is approved.", variant=variant.label), "success")
    return _to_variants(product)


@bp.route("/products/<int:product_id>/variants/<int:variant_id>/reject", methods=["POST"])
@role_required(Role.MANAGER)
def reject_variant(product_id: int, variant_id: int):
    product, variant = _waiting_variant(product_id, variant_id)
    form = _reject_variant_form(variant.id)
    if form.validate_on_submit():
        try:
            variant_review.reject(variant, current_user, form.comment.data)
        except listings.InvalidTransition as exc:
            flash_error(exc)
            return _to_variants(product)
        except listings.ListingError as exc:
            form_error(form, exc, default="comment")
        else:
            flash(
                _("%(variant)s is rejected; the vendor sees your reason.", variant=variant.label),
                "info",
            )
            return _to_variants(product)
    return _render_product(product, refused_variant=(variant.id, form)), 400


@bp.route("/products/<int:product_id>/permits/<int:permit_id>")
@role_required(Role.MANAGER)
def product_permit_file(product_id: int, permit_id: int):
    permit = db.session.get(ProductPermit, permit_id)
    if permit is None or permit.product_id != product_id or not permit.file_path:
        abort(404)
    return send_private(permit.file_path, permit.mime, permit.original_name)


@bp.route("/vendors/new", methods=["GET", "POST"])
@role_required(Role.MANAGER)
@no_store
def new_vendor():
    """Onboard a producer who came to the outlet with their papers."""
    form = CounterVendorForm(
        category_choices=[(c.id, c.display_name) for c in all_categories()],
        data={"commission_rule": FOLLOW_RATE},
    )
    if form.validate_on_submit():
        city, _sep, kecamatan = form.location.data.partition("|")
        try:
            outcome = vendors.create_vendor_directly(
                current_user,
                vendors.CounterVendor(
                    name=form.name.data,
                    owner_name=form.owner_name.data,
                    owner_phone=form.owner_phone.data,
                    owner_email=form.owner_email.data or None,
                    nib=form.nib.data,
                    city=city,
                    kecamatan=kecamatan,
                    category_ids=form.categories.data or [],
                    commission_bp=form.vendor_rate(),
                    settlement_period=form.settlement_period.data,
                ),
            )
        except vendors.VendorError as exc:
            form_error(form, exc, default="name")
        else:
            vendor = outcome.vendor
            if outcome.pending:
                owner_emails.send_owner_confirmation(vendor, outcome.owner, outcome.new_account)
            flash(_counter_message(outcome), "success")
            return redirect(url_for("manage.vendor_detail", vendor_id=vendor.id))
    return render_template(
        "manage/vendor_new.html", form=form, default_bp=vendors.default_commission_bp()
    )


def _counter_message(outcome) -> str:
    name, owner = outcome.vendor.name, outcome.owner
    if outcome.new_account:
        return _(
            "%(name)s is registered and approved. We emailed %(email)s a link to choose a "
            "password; the account becomes the owner once the link is used.",
            name=name,
            email=owner.email,
        )
    if outcome.pending:
        return _(
            "%(name)s is registered and approved. %(email)s already has an account whose "
            "address is not confirmed yet: we emailed it a confirmation link, and the account "
            "becomes the owner once the address is confirmed.",
            name=name,
            email=owner.email,
        )
    return _("%(name)s is registered and approved.", name=name)


@bp.route("/vendors/<int:vendor_id>/owner/resend", methods=["POST"])
@role_required(Role.MANAGER)
def resend_owner_confirmation(vendor_id: int):
    vendor = _vendor(vendor_id)
    owner = vendor.pending_owner
    if owner is None:
        flash(_("This business is not waiting for an owner to confirm."), "info")
    else:
        owner_emails.send_owner_confirmation(vendor, owner, new_account=False)
        flash(_("Confirmation email sent again to %(email)s.", email=owner.email), "success")
    return redirect(url_for("manage.vendor_detail", vendor_id=vendor.id))
