"""Cohorts: managers make them and add members; managers and the cohort's mentor read the
programme report, on screen, as CSV/XLSX and as a one-page PDF."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.clock import today_wib
from storefront.dates import date_text
from storefront.extensions import db
from storefront.forms import ConfirmForm, choices, form_error
from storefront.incubator import bp, cohorts
from storefront.incubator.cohorts import CohortError
from storefront.incubator.documents import cohort_pdf
from storefront.incubator.forms import CohortForm, MemberForm
from storefront.incubator.views.board import mentor_choices
from storefront.reports import exports
from storefront.security import NO_STORE
from storefront.templating import outlet
from storefront.vendors.models import Vendor, VendorStatus

STAFF = (Role.MANAGER, Role.MENTOR)


def _cohort(cohort_id: int):
    cohort = cohorts.cohort_for(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def _render_list(form=None):
    form = form or CohortForm(starts_on=today_wib())
    mentor_choices(form)
    return render_template(
        "incubator/cohorts.html", cohorts=cohorts.cohorts_for(current_user), form=form
    )


@bp.route("/incubator/cohorts")
@role_required(*STAFF)
def cohort_list():
    return _render_list()


@bp.route("/incubator/cohorts", methods=["POST"])
@role_required(Role.MANAGER)
def create_cohort():
    form = CohortForm()
    mentor_choices(form)
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(
                current_user, form.name.data, form.starts_on.data, form.mentor_id.data
            )
        except CohortError as exc:
            form_error(form, exc, default="name")
        else:
            flash(_("Cohort %(name)s created.", name=cohort.name), "success")
            return redirect(url_for("incubator.cohort", cohort_id=cohort.id))
    return _render_list(form), 422


def _render_cohort(cohort, member_form=None):
    form = member_form or MemberForm()
    members = {m.vendor_id for m in cohort.members}
    candidates = db.session.scalars(
        select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value).order_by(Vendor.name)
    )
    form.vendor_id.choices = choices((str(v.id), v.name) for v in candidates if v.id not in members)
    return render_template(
        "incubator/cohort.html",
        cohort=cohort,
        report=cohorts.report(cohort),
        member_form=form,
        remove_form=ConfirmForm(),
    )


@bp.route("/incubator/cohorts/<int:cohort_id>")
@role_required(*STAFF)
def cohort(cohort_id: int):
    return _render_cohort(_cohort(cohort_id))


@bp.route("/incubator/cohorts/<int:cohort_id>/members", methods=["POST"])
@role_required(Role.MANAGER)
def add_member(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = MemberForm()
    form.vendor_id.validate_choice = False  # the service checks the vendor
    if form.validate_on_submit():
        try:
            cohorts.add_member(current_user, cohort, form.vendor_id.data, form.joined_on.data)
        except CohortError as exc:
            form_error(form, exc, default="vendor_id")
        else:
            flash(_("Member added."), "success")
            return redirect(url_for("incubator.cohort", cohort_id=cohort.id))
    return _render_cohort(cohort, form), 422


@bp.route("/incubator/cohorts/<int:cohort_id>/members/<int:vendor_id>/remove", methods=["POST"])
@role_required(Role.MANAGER)
def remove_member(cohort_id: int, vendor_id: int):
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cohorts.remove_member(current_user, cohort, vendor_id)
    except CohortError as exc:
        form_error(None, exc)
    else:
        flash(_("Member removed."), "success")
    return redirect(url_for("incubator.cohort", cohort_id=cohort.id))


def _info(cohort) -> list[tuple[str, str]]:
    return [
        (_("Cohort"), cohort.name),
        (_("Started"), date_text(cohort.starts_on)),
        (_("Mentor"), cohort.mentor.name if cohort.mentor else "-"),
        (_("Printed"), date_text(today_wib())),
    ]


def _download(body: bytes, mimetype: str, name: str, *, inline: bool = False) -> Response:
    response = Response(body, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.route("/incubator/cohorts/<int:cohort_id>/report.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def cohort_file(cohort_id: int, fmt: str):
    cohort = _cohort(cohort_id)
    table = cohorts.report_table(cohorts.report(cohort))
    name = f"cohort-{cohort.id}-{today_wib().isoformat()}.{fmt}"
    if fmt == "csv":
        return _download(exports.to_csv(table, _info(cohort)), "text/csv; charset=utf-8", name)
    return _download(exports.to_xlsx(table, _info(cohort)), exports.XLSX_MIMETYPE, name)


@bp.route("/incubator/cohorts/<int:cohort_id>/report.pdf")
@role_required(*STAFF)
def cohort_report_pdf(cohort_id: int):
    cohort = _cohort(cohort_id)
    body = cohort_pdf(cohorts.report(cohort), outlet(), today_wib())
    name = f"cohort-{cohort.id}-{today_wib().isoformat()}.pdf"
    return _download(body, "application/pdf", name, inline=True)
