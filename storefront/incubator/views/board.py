"""The permit assistance board: managers see every application, mentors their vendors'."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog.models import ProductStatus
from storefront.categories import all_categories, category_by_slug
from storefront.clock import today_wib
from storefront.errors import DomainError
from storefront.forms import choices, form_error
from storefront.incubator import applications, bp, mentoring
from storefront.incubator.applications import ApplicationError, Plan
from storefront.incubator.forms import IssueForm, MoveForm, NewApplicationForm, PlanForm
from storefront.incubator.models import ApplicationStatus

STAFF = (Role.MANAGER, Role.MENTOR)


def mentor_choices(form) -> None:
    form.mentor_id.choices = choices(
        [("", _("(nobody yet)")), *((str(m.id), m.name) for m in mentoring.mentors())]
    )


def _application(application_id: int):
    application = applications.application_for(current_user, application_id)
    if application is None:
        abort(404)
    return application


@bp.route("/incubator/permits")
@role_required(*STAFF)
def permit_board():
    slug = request.args.get("community") or ""
    community = category_by_slug(slug) if slug else None
    found = applications.board(current_user, community)
    return render_template(
        "incubator/board.html",
        board=found,
        communities=all_categories(),
        community=community,
        today=today_wib(),
    )


@bp.route("/incubator/permits/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_application():
    vendor_id = request.args.get("vendor_id", type=int)
    form = NewApplicationForm()
    products = applications.products_for(current_user, vendor_id)
    form.product_id.choices = choices((str(p.id), f"{p.name} · {p.vendor.name}") for p in products)
    mentor_choices(form)
    if request.method == "GET" and mentoring.is_mentor(current_user):
        form.mentor_id.data = current_user.id
    if form.validate_on_submit():
        product = next((p for p in products if p.id == form.product_id.data), None)
        if product is None:
            abort(404)
        plan = Plan(form.mentor_id.data, form.next_step.data, form.due_on.data)
        try:
            application = applications.open_application(
                current_user, product, form.kind.data, form.route.data or None, plan
            )
        except ApplicationError as exc:
            form_error(form, exc, default="kind")
        else:
            flash(_("The application is on the board."), "success")
            return redirect(url_for("incubator.application", application_id=application.id))
    return render_template("incubator/application_new.html", form=form, products=products)


def _render(application, **forms):
    plan = forms.get("plan") or PlanForm(
        mentor_id=application.mentor_id,
        next_step=application.next_step,
        due_on=application.due_on,
    )
    mentor_choices(plan)
    move = forms.get("move") or MoveForm()
    allowed = applications.TRANSITIONS[ApplicationStatus(application.status)]
    move.status.choices = choices(
        (s.value, s.label)
        for s in ApplicationStatus
        if s in allowed and s != ApplicationStatus.ISSUED
    )
    return render_template(
        "incubator/application.html",
        application=application,
        plan_form=plan,
        move_form=move,
        issue_form=forms.get("issue") or IssueForm(),
        can_issue=ApplicationStatus.ISSUED
        in applications.TRANSITIONS[ApplicationStatus(application.status)],
        today=today_wib(),
    )


@bp.route("/incubator/permits/<int:application_id>")
@role_required(*STAFF)
def application(application_id: int):
    return _render(_application(application_id))


@bp.route("/incubator/permits/<int:application_id>/move", methods=["POST"])
@role_required(*STAFF)
def move_application(application_id: int):
    application = _application(application_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            applications.transition(
                application,
                ApplicationStatus(form.status.data),
                current_user,
                form.reason.data,
                today=today_wib(),
            )
        except ApplicationError as exc:
            form_error(form, exc, default="status")
        else:
            flash(_("Moved to %(state)s.", state=application_label(application)), "success")
            return redirect(url_for("incubator.application", application_id=application.id))
    return _render(application, move=form), 422


def application_label(application) -> str:
    return ApplicationStatus.label_of(application.status)


@bp.route("/incubator/permits/<int:application_id>/plan", methods=["POST"])
@role_required(*STAFF)
def plan_application(application_id: int):
    application = _application(application_id)
    form = PlanForm()
    mentor_choices(form)
    if form.validate_on_submit():
        try:
            applications.update_plan(
                application,
                current_user,
                Plan(form.mentor_id.data, form.next_step.data, form.due_on.data),
            )
        except ApplicationError as exc:
            form_error(form, exc, default="next_step")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("incubator.application", application_id=application.id))
    return _render(application, plan=form), 422


@bp.route("/incubator/permits/<int:application_id>/issue", methods=["POST"])
@role_required(*STAFF)
def issue_application(application_id: int):
    application = _application(application_id)
    form = IssueForm()
    if form.validate_on_submit():
        try:
            applications.issue(
                application,
                current_user,
                number=form.number.data,
                issued_on=form.issued_on.data,
                expires_on=form.expires_on.data,
                today=today_wib(),
            )
        except DomainError as exc:  # the tracker's, the catalogue's and the numbers' rules
            form_error(form, exc, default="number")
        else:
            product = application.product
            if product.status == ProductStatus.APPROVED and not product.hidden:
                flash(_("Issued: %(product)s is on sale.", product=product.name), "success")
            else:
                flash(_("Issued: %(product)s waits for review.", product=product.name), "success")
            return redirect(url_for("incubator.application", application_id=application.id))
    return _render(application, issue=form), 422
