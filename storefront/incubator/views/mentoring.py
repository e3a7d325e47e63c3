"""Mentors' pages: their vendors, one vendor's insights, permit pipeline, statements summary
and notes (never bank or identity data); the admin's screen giving a mentor vendors; the
vendor's own page of notes in the portal."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from storefront.auth.access import role_required
from storefront.auth.models import Role, User
from storefront.clock import today_wib
from storefront.dates import date_text
from storefront.extensions import db
from storefront.forms import choices, form_error
from storefront.incubator import applications, bp, mentoring
from storefront.incubator.forms import AssignForm, NoteForm
from storefront.incubator.mentoring import MentoringError
from storefront.incubator.models import MentorAssignment, PermitApplication
from storefront.manager_inbox import ManagerNotification, NotificationKind, recent
from storefront.money import format_rupiah
from storefront.reports import charts, insights
from storefront.reports.labels import CHANNEL_LABELS
from storefront.reports.ranges import last_days
from storefront.security import no_store
from storefront.settlements.documents import status_label as statement_status
from storefront.vendors.access import current_vendor
from storefront.vendors.models import Vendor, VendorStatus
from storefront.vendors.services import is_owner

STAFF = (Role.MANAGER, Role.MENTOR)


def _reminders(user):
    """The permit reminders about the vendors this person follows (a mentor's list; managers
    read theirs among the manager notifications)."""
    ids = mentoring.visible_vendor_ids(user)
    followed = select(PermitApplication.id)
    if ids is not None:
        followed = followed.where(PermitApplication.vendor_id.in_(ids))
    where = (ManagerNotification.kind == NotificationKind.PERMIT_DUE.value) & (
        ManagerNotification.subject_id.in_(followed)
    )
    rows, _total = recent(user.id, 1, 20, where=where)
    return rows


@bp.route("/incubator/")
@role_required(*STAFF)
def mentor_home():
    vendors = mentoring.vendors_for(current_user)
    followers: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(MentorAssignment.vendor_id, User.name)
        .join(User, User.id == MentorAssignment.mentor_id)
        .where(MentorAssignment.vendor_id.in_([v.id for v in vendors]))
        .order_by(User.name)
    )
    for vendor_id, name in rows:
        followers.setdefault(vendor_id, []).append(name)
    return render_template(
        "incubator/home.html",
        vendors=vendors,
        followers=followers,
        reminders=_reminders(current_user),
        mentors=mentoring.mentors() if current_user.role == Role.ADMIN else [],
    )


def _vendor(vendor_id: int) -> Vendor:
    vendor = mentoring.vendor_for(current_user, vendor_id)
    if vendor is None:
        abort(404)
    return vendor


def _render_vendor(vendor: Vendor, note_form=None):
    days = request.args.get("days", "30")
    days = int(days) if days.isdigit() and int(days) in insights.PERIODS else 30
    found = insights.build(vendor.id, last_days(days))
    form = note_form or NoteForm(noted_on=today_wib())
    return render_template(
        "incubator/vendor.html",
        vendor=vendor,
        insights=found,
        days=days,
        periods=insights.PERIODS,
        chart=charts.sales_per_day(found.per_day, CHANNEL_LABELS),
        chart_rows=[
            [date_text(day), *(format_rupiah(v[c]) for c in CHANNEL_LABELS)]
            for day, v in sorted(found.per_day.items(), reverse=True)
            if any(v.values())
        ],
        channel_labels=CHANNEL_LABELS,
        board=applications.board(current_user, vendor_id=vendor.id),
        statements=mentoring.statements_summary(vendor.id),
        status_label=statement_status,
        notes=mentoring.notes_for(vendor.id),
        note_form=form,
        today=today_wib(),
    )


@bp.route("/incubator/vendors/<int:vendor_id>")
@role_required(*STAFF)
@no_store
def vendor(vendor_id: int):
    return _render_vendor(_vendor(vendor_id))


@bp.route("/incubator/vendors/<int:vendor_id>/notes", methods=["POST"])
@role_required(*STAFF)
@no_store
def add_note(vendor_id: int):
    vendor = _vendor(vendor_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            mentoring.add_note(
                current_user, vendor, form.noted_on.data, form.body.data, today=today_wib()
            )
        except MentoringError as exc:
            form_error(form, exc, default="body")
        else:
            flash(_("Note saved; %(vendor)s can read it.", vendor=vendor.name), "success")
            return redirect(url_for("incubator.vendor", vendor_id=vendor.id) + "#notes")
    return _render_vendor(vendor, form), 422


@bp.route("/incubator/mentors/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def assign_vendors(user_id: int):
    mentor = db.session.get(User, user_id)
    if mentor is None or mentor.role != Role.MENTOR:
        abort(404)
    form = AssignForm()
    vendors = list(
        db.session.scalars(
            select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value).order_by(Vendor.name)
        )
    )
    form.vendor_ids.choices = choices((v.id, v.name) for v in vendors)
    if request.method == "GET":
        form.vendor_ids.data = sorted(mentoring.assigned_ids(mentor))
    if form.validate_on_submit():
        try:
            mentoring.assign(current_user, mentor, form.vendor_ids.data or [])
        except MentoringError as exc:
            form_error(form, exc, default="vendor_ids")
        else:
            flash(_("Saved: %(name)s follows these vendors.", name=mentor.name), "success")
            return redirect(url_for("incubator.assign_vendors", user_id=mentor.id))
    return render_template("incubator/assign.html", mentor=mentor, form=form)


@bp.route("/vendor/mentoring")
@role_required(Role.VENDOR)
def vendor_mentoring():
    """The vendor reads their mentors' notes and follows their permit applications."""
    vendor = current_vendor()
    mentors = list(
        db.session.scalars(
            select(User)
            .join(MentorAssignment, MentorAssignment.mentor_id == User.id)
            .where(MentorAssignment.vendor_id == vendor.id)
            .order_by(User.name)
        )
    )
    rows = db.session.scalars(
        select(PermitApplication)
        .where(PermitApplication.vendor_id == vendor.id)
        .order_by(PermitApplication.due_on.nulls_last(), PermitApplication.id)
    ).all()
    return render_template(
        "incubator/vendor_mentoring.html",
        vendor=vendor,
        is_owner=is_owner(current_user, vendor),
        mentors=mentors,
        notes=mentoring.notes_for(vendor.id),
        applications=rows,
    )
