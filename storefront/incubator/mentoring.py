"""Mentors and their vendors: who follows whom, the one scoping helper every mentor page goes
through, dated mentoring notes, and the statements summary a mentor may see (amounts only:
no bank account, no NIK or NPWP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from storefront import audit
from storefront.auth.models import Role, User
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.incubator.models import MentorAssignment, MentoringNote
from storefront.settlements import services as settlements
from storefront.vendors.models import Vendor, VendorStatus

MAX_NOTE = 4000


class MentoringError(DomainError):
    pass


def is_mentor(user) -> bool:
    return getattr(user, "role", None) == Role.MENTOR


def visible_vendor_ids(user) -> list[int] | None:
    """The vendors this person may follow: a mentor their assigned ones, managers and admins
    every vendor (None: no limit)."""
    if not is_mentor(user):
        return None
    return list(
        db.session.scalars(
            select(MentorAssignment.vendor_id).where(MentorAssignment.mentor_id == user.id)
        )
    )


def scope(statement, vendor_column, user):
    """Narrow a query to the vendors `user` may follow: the one helper every mentor page's
    query goes through (STYLE rule 13)."""
    ids = visible_vendor_ids(user)
    return statement if ids is None else statement.where(vendor_column.in_(ids))


def vendor_for(user, vendor_id: int) -> Vendor | None:
    """The vendor if `user` may follow it, else None (the page answers 404)."""
    statement = scope(select(Vendor).where(Vendor.id == vendor_id), Vendor.id, user)
    return db.session.scalar(statement)


def vendors_for(user) -> list[Vendor]:
    statement = select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value)
    return list(db.session.scalars(scope(statement, Vendor.id, user).order_by(Vendor.name)))


def mentors() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.MENTOR.value, User.active.is_(True))
            .order_by(User.name)
        )
    )


def mentor_by_id(mentor_id: int | None) -> User | None:
    if not mentor_id:
        return None
    user = db.session.get(User, mentor_id)
    return user if user is not None and user.role == Role.MENTOR else None


def assigned_ids(mentor: User) -> set[int]:
    return set(
        db.session.scalars(
            select(MentorAssignment.vendor_id).where(MentorAssignment.mentor_id == mentor.id)
        )
    )


def assign(admin: User, mentor: User, vendor_ids: list[int]) -> None:
    """Give the mentor exactly these vendors."""
    if not is_mentor(mentor):
        raise MentoringError(_l("Only a mentor account can be given vendors."), "vendor_ids")
    wanted = set(db.session.scalars(select(Vendor.id).where(Vendor.id.in_(set(vendor_ids or [])))))
    before = assigned_ids(mentor)
    for vendor_id in before - wanted:
        db.session.delete(db.session.get(MentorAssignment, (vendor_id, mentor.id)))
    db.session.add_all(
        MentorAssignment(vendor_id=vendor_id, mentor_id=mentor.id)
        for vendor_id in sorted(wanted - before)
    )
    db.session.flush()
    audit.record(
        admin,
        "mentor.assign",
        mentor,
        before={"vendors": sorted(before)},
        after={"vendors": sorted(wanted)},
    )


def add_note(author: User, vendor: Vendor, noted_on: date | None, body: str, *, today: date):
    body = (body or "").strip()
    if not body:
        raise MentoringError(_l("Write what you discussed."), "body")
    if len(body) > MAX_NOTE:
        raise MentoringError(_l("A note is at most %(n)d characters.", n=MAX_NOTE), "body")
    if noted_on is None:
        raise MentoringError(_l("Give the date of the meeting."), "noted_on")
    if noted_on > today:
        raise MentoringError(_l("The date cannot be in the future."), "noted_on")
    note = MentoringNote(vendor_id=vendor.id, author_id=author.id, noted_on=noted_on, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record(author, "mentoring.note", note, after={"vendor": vendor.id, "on": noted_on})
    return note


def notes_for(vendor_id: int) -> list[MentoringNote]:
    return list(
        db.session.scalars(
            select(MentoringNote)
            .where(MentoringNote.vendor_id == vendor_id)
            .order_by(MentoringNote.noted_on.desc(), MentoringNote.id.desc())
        )
    )


@dataclass(frozen=True)
class StatementSummary:
    """A statement as a mentor sees it: the period and its amounts, nothing about the bank."""

    period_start: date
    period_end: date
    status: str
    gross: int
    refunds: int
    commission: int
    vendor_share: int
    net_payable: int
    paid_on: date | None


def statements_summary(vendor_id: int) -> list[StatementSummary]:
    return [
        StatementSummary(
            s.period_start,
            s.period_end,
            s.status,
            s.gross_sales,
            s.refunds,
            s.commission,
            s.vendor_share,
            s.net_payable,
            s.paid_on,
        )
        for s in settlements.vendor_statements(vendor_id)
    ]
