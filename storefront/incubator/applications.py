"""Permit assistance: the halal, P-IRT and BPOM applications the programme helps a vendor
with, one per product and permit, on a board from "not started" to "issued" (or "refused").

Moves go through `transition` (states.move, with a history row). Forward is free; a move back
(documents missing after all, a refused application started again) needs a reason, so the
board's history says why. An issued certificate's number goes into the product's permits
through catalog's `set_permit`, checked by the same rules as a vendor's entry; the product then
sells at once when a manager issued it, or waits in the review queue when a mentor did (a
changed permit is a manager's to review, as for vendors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront import audit, manager_inbox, states
from storefront.auth.models import Role, User
from storefront.catalog import products as listings
from storefront.catalog.models import PermitKind, Product, ProductStatus
from storefront.categories import Category
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.incubator import mentoring
from storefront.incubator.models import (
    ApplicationStatus,
    HalalRoute,
    PermitApplication,
    PermitApplicationChange,
)
from storefront.manager_inbox import NotificationKind
from storefront.settings.services import get_setting

S = ApplicationStatus
# The board's order; a move to a lower rank is a move back and needs a reason.
RANK = {
    S.NOT_STARTED: 0,
    S.DOCUMENTS: 1,
    S.SUBMITTED: 2,
    S.INSPECTION: 3,
    S.ISSUED: 4,
    S.REFUSED: 5,
}
OPEN = (S.NOT_STARTED, S.DOCUMENTS, S.SUBMITTED, S.INSPECTION)
# "Issued" is reached only through `issue` (it needs the certificate), and is final: the number
# now lives on the product, where a lapse or a replacement is handled.
TRANSITIONS: dict[ApplicationStatus, set[ApplicationStatus]] = {
    S.NOT_STARTED: {S.DOCUMENTS, S.SUBMITTED},
    S.DOCUMENTS: {S.SUBMITTED, S.NOT_STARTED},
    S.SUBMITTED: {S.INSPECTION, S.REFUSED, S.ISSUED, S.DOCUMENTS, S.NOT_STARTED},
    S.INSPECTION: {S.REFUSED, S.ISSUED, S.SUBMITTED, S.DOCUMENTS},
    S.ISSUED: set(),
    S.REFUSED: {S.DOCUMENTS, S.SUBMITTED},
}
MAX_TEXT = 2000
# The same words in both languages: a notification's label is stored, not translated.
SHORT_NAMES = {PermitKind.PIRT: "P-IRT", PermitKind.BPOM: "BPOM", PermitKind.HALAL: "Halal"}


class ApplicationError(DomainError):
    pass


def is_backwards(current: ApplicationStatus, to: ApplicationStatus) -> bool:
    return RANK[to] < RANK[current]


def transition(
    application: PermitApplication, to: ApplicationStatus, actor, reason: str = "", *, today: date
) -> None:
    reason = (reason or "").strip()[:MAX_TEXT]
    current = ApplicationStatus(application.status)
    if to == S.ISSUED:
        raise ApplicationError(_l("Enter the certificate to mark it issued."), "status")
    needs_reason = to in TRANSITIONS[current] and (is_backwards(current, to) or to == S.REFUSED)
    if needs_reason and not reason:
        if to == S.REFUSED:
            raise ApplicationError(_l("Say why the application was refused."), "reason")
        raise ApplicationError(
            _l("Say why the application goes back to %(state)s.", state=to.label), "reason"
        )
    before = application.status
    states.move(
        application,
        to,
        TRANSITIONS,
        history=lambda **row: PermitApplicationChange(application_id=application.id, **row),
        actor=actor,
        comment=reason,
        refuse=lambda current, target: ApplicationError(
            _l(
                "An application cannot move from %(current)s to %(target)s.",
                current=current.label,
                target=target.label,
            ),
            "status",
        ),
    )
    if to == S.SUBMITTED and application.submitted_on is None:
        application.submitted_on = today
    audit.record(
        actor,
        "permit_application.move",
        application,
        before={"status": before},
        after={"status": application.status, "reason": reason},
    )


@dataclass
class Plan:
    """What the programme plans for an application: who helps, the next step, when."""

    mentor_id: int | None
    next_step: str
    due_on: date | None


def _clean_plan(plan: Plan) -> tuple[User | None, str]:
    mentor = mentoring.mentor_by_id(plan.mentor_id)
    if plan.mentor_id and mentor is None:
        raise ApplicationError(_l("Choose one of the mentors."), "mentor_id")
    step = (plan.next_step or "").strip()
    if len(step) > MAX_TEXT:
        raise ApplicationError(_l("Keep the next step shorter."), "next_step")
    return mentor, step


def open_application(
    actor, product: Product, kind: PermitKind, route: str | None, plan: Plan
) -> PermitApplication:
    """Start following a product's application for one permit."""
    kind = PermitKind(kind)
    if kind == PermitKind.HALAL:
        if route not in {r.value for r in HalalRoute}:
            raise ApplicationError(_l("Choose the halal route."), "route")
        if product.non_halal:
            raise ApplicationError(
                _l("This product is declared non-halal: it cannot get a halal certificate."),
                "kind",
            )
    else:
        route = None
    exists = db.session.scalar(
        select(PermitApplication.id).where(
            PermitApplication.product_id == product.id, PermitApplication.kind == kind.value
        )
    )
    if exists:
        raise ApplicationError(
            _l("This product already has a %(kind)s application on the board.", kind=kind.label),
            "kind",
        )
    mentor, step = _clean_plan(plan)
    application = PermitApplication(
        vendor_id=product.vendor_id,
        product_id=product.id,
        kind=kind.value,
        route=route,
        mentor_id=mentor.id if mentor else None,
        next_step=step,
        due_on=plan.due_on,
    )
    db.session.add(application)
    db.session.flush()
    audit.record(
        actor,
        "permit_application.open",
        application,
        after={"product": product.id, "kind": kind.value, "route": route},
    )
    return application


def update_plan(application: PermitApplication, actor, plan: Plan) -> None:
    mentor, step = _clean_plan(plan)
    before = {
        "mentor": application.mentor_id,
        "next_step": application.next_step,
        "due_on": application.due_on,
    }
    application.mentor_id = mentor.id if mentor else None
    application.next_step = step
    if application.due_on != plan.due_on:
        application.reminded_for = None
    application.due_on = plan.due_on
    audit.record(
        actor,
        "permit_application.plan",
        application,
        before=before,
        after={"mentor": application.mentor_id, "next_step": step, "due_on": plan.due_on},
    )


def issue(
    application: PermitApplication,
    actor,
    *,
    number: str,
    issued_on: date | None,
    expires_on: date | None,
    today: date,
) -> None:
    """The certificate is out: its number goes into the product's permits (the same checks as
    a vendor's entry, so a wrong number is refused and nothing moves), the application is
    issued, and the product goes on sale (a manager) or to review (a mentor)."""
    current = ApplicationStatus(application.status)
    if S.ISSUED not in TRANSITIONS[current]:
        raise ApplicationError(
            _l("Only a submitted application or one under inspection can be issued."), "status"
        )
    product = application.product
    permit = listings.set_permit(
        product,
        kind=PermitKind(application.kind),
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        today=today,
    )
    states.move(
        application,
        S.ISSUED,
        TRANSITIONS,
        history=lambda **row: PermitApplicationChange(application_id=application.id, **row),
        actor=actor,
        comment=permit.number,
        refuse=lambda current, target: ApplicationError(_l("This cannot be issued now.")),
    )
    application.certificate_number = permit.number
    application.issued_on = issued_on or today
    db.session.flush()
    audit.record(
        actor,
        "permit_application.issue",
        application,
        before={"status": current.value},
        after={"status": application.status, "number": permit.number},
    )
    _release_product(product, actor)


def _release_product(product: Product, actor) -> None:
    """Put the product on sale if the permit was all it lacked and a manager issued it;
    otherwise, if its permits are complete, leave it in the managers' review queue."""
    if not product.permits_complete or product.status == ProductStatus.REJECTED:
        return
    if product.status == ProductStatus.DRAFT:
        listings.transition(product, ProductStatus.SUBMITTED, actor, "permit issued")
    if actor is not None and actor.has_role(Role.MANAGER):
        listings.approve(product, actor)
    elif product.status == ProductStatus.SUBMITTED:
        manager_inbox.notify(NotificationKind.PRODUCT, product, product.name)


# --- the board -------------------------------------------------------------------------------


@dataclass
class Board:
    columns: dict[ApplicationStatus, list[PermitApplication]] = field(default_factory=dict)
    community: Category | None = None

    @property
    def total(self) -> int:
        return sum(len(c) for c in self.columns.values())


def board(user, community: Category | None = None, vendor_id: int | None = None) -> Board:
    statement = (
        select(PermitApplication)
        .join(Product, Product.id == PermitApplication.product_id)
        .options(
            joinedload(PermitApplication.product),
            joinedload(PermitApplication.vendor),
            joinedload(PermitApplication.mentor),
        )
        .order_by(PermitApplication.due_on.nulls_last(), PermitApplication.id)
    )
    statement = mentoring.scope(statement, PermitApplication.vendor_id, user)
    if community is not None:
        statement = statement.where(Product.category_id == community.id)
    if vendor_id is not None:
        statement = statement.where(PermitApplication.vendor_id == vendor_id)
    result = Board({status: [] for status in ApplicationStatus}, community)
    for application in db.session.scalars(statement).unique():
        result.columns[ApplicationStatus(application.status)].append(application)
    return result


def application_for(user, application_id: int) -> PermitApplication | None:
    statement = select(PermitApplication).where(PermitApplication.id == application_id)
    return db.session.scalar(mentoring.scope(statement, PermitApplication.vendor_id, user))


def products_for(user, vendor_id: int | None = None) -> list[Product]:
    """Products an application may be opened for: the vendor's (or the followed vendors')."""
    statement = select(Product).options(joinedload(Product.vendor)).order_by(Product.name)
    statement = mentoring.scope(statement, Product.vendor_id, user)
    if vendor_id is not None:
        statement = statement.where(Product.vendor_id == vendor_id)
    return list(db.session.scalars(statement))


# --- reminders -------------------------------------------------------------------------------


def remind_due(today: date) -> list[PermitApplication]:
    """Write a notification for each open application due within the setting's days (or
    overdue), once per due date; managers and the assisting mentor see it in their list."""
    days = int(get_setting("permit_application_due_days"))
    due = db.session.scalars(
        select(PermitApplication)
        .options(joinedload(PermitApplication.product))
        .where(
            PermitApplication.status.in_([s.value for s in OPEN]),
            PermitApplication.due_on.is_not(None),
            PermitApplication.due_on <= today + timedelta(days=days),
        )
        .order_by(PermitApplication.due_on, PermitApplication.id)
    ).all()
    reminded = []
    for application in due:
        if application.reminded_for == application.due_on:
            continue
        kind = SHORT_NAMES[application.kind]
        label = f"{application.product.name} ({kind}), {application.due_on.isoformat()}"
        manager_inbox.notify(NotificationKind.PERMIT_DUE, application, label)
        application.reminded_for = application.due_on
        reminded.append(application)
    db.session.flush()
    return reminded
