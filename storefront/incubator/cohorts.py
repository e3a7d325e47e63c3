"""Incubator cohorts and their programme report.

The report's money comes from the vendor statements (settlements/), so the figures the
programme hands to the regency are the ones the vendors were paid on: "before" is every
statement whose period ended before the vendor joined, "since" every statement from the period
in which they joined (drafts included: the current month counts as far as it is computed).
Active months are the months since joining with any sale on a statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storefront import audit, cache
from storefront.catalog.models import Product, ProductPermit, ProductStatus
from storefront.clock import utc_bounds
from storefront.database import after_commit
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.incubator import mentoring
from storefront.incubator.models import Cohort, CohortMember
from storefront.reports.tables import Column, Table
from storefront.settlements.models import Settlement
from storefront.vendors.models import Vendor

MAX_NAME = 120


class CohortError(DomainError):
    pass


def cohorts_for(user) -> list[Cohort]:
    statement = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name)
    if mentoring.is_mentor(user):
        statement = statement.where(Cohort.mentor_id == user.id)
    return list(db.session.scalars(statement))


def cohort_for(user, cohort_id: int) -> Cohort | None:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or (mentoring.is_mentor(user) and cohort.mentor_id != user.id):
        return None
    return cohort


def create_cohort(actor, name: str, starts_on: date | None, mentor_id: int | None) -> Cohort:
    name = " ".join((name or "").split())
    if not name:
        raise CohortError(_l("Give the cohort a name."), "name")
    if len(name) > MAX_NAME:
        raise CohortError(_l("A name is at most %(n)d characters.", n=MAX_NAME), "name")
    if starts_on is None:
        raise CohortError(_l("Give the date the cohort starts."), "starts_on")
    mentor = mentoring.mentor_by_id(mentor_id)
    if mentor_id and mentor is None:
        raise CohortError(_l("Choose one of the mentors."), "mentor_id")
    if db.session.scalar(select(Cohort.id).where(func.lower(Cohort.name) == name.lower())):
        raise CohortError(_l("There is already a cohort with this name."), "name")
    cohort = Cohort(name=name, starts_on=starts_on, mentor_id=mentor.id if mentor else None)
    db.session.add(cohort)
    db.session.flush()
    audit.record(actor, "cohort.create", cohort, after={"name": name, "starts_on": starts_on})
    return cohort


def add_member(actor, cohort: Cohort, vendor_id: int | None, joined_on: date | None) -> None:
    vendor = db.session.get(Vendor, vendor_id) if vendor_id else None
    if vendor is None:
        raise CohortError(_l("Choose a vendor."), "vendor_id")
    if any(m.vendor_id == vendor.id for m in cohort.members):
        raise CohortError(_l("%(name)s is already in this cohort.", name=vendor.name), "vendor_id")
    joined_on = joined_on or cohort.starts_on
    try:
        with db.session.begin_nested():
            cohort.members.append(CohortMember(vendor_id=vendor.id, joined_on=joined_on))
            db.session.flush()
    except IntegrityError:
        raise CohortError(
            _l("%(name)s is already in this cohort.", name=vendor.name), "vendor_id"
        ) from None
    audit.record(
        actor, "cohort.add_member", cohort, after={"vendor": vendor.id, "joined_on": joined_on}
    )
    _purge_maker_page(vendor)


def remove_member(actor, cohort: Cohort, vendor_id: int) -> None:
    member = next((m for m in cohort.members if m.vendor_id == vendor_id), None)
    if member is None:
        raise CohortError(_l("That vendor is not in this cohort."), "vendor_id")
    vendor = member.vendor
    cohort.members.remove(member)
    audit.record(actor, "cohort.remove_member", cohort, before={"vendor": vendor_id})
    _purge_maker_page(vendor)


def _purge_maker_page(vendor: Vendor) -> None:
    """The maker page is kept for anonymous shoppers (shop/page_cache.py): once the change is
    committed, a new generation of it shows the badge (or its absence) at once."""
    name = cache.vendor_page_generation(vendor.slug)
    after_commit(lambda: cache.new_generation(name))


def badges_for(vendor_id: int) -> list[str]:
    """The names of the cohorts a vendor belongs to, for the badge on their maker page."""
    return list(
        db.session.scalars(
            select(Cohort.name)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.vendor_id == vendor_id)
            .order_by(Cohort.starts_on)
        )
    )


# --- the programme report ----------------------------------------------------------------------


@dataclass
class MemberFigures:
    vendor: Vendor
    joined_on: date
    sales_before: int = 0
    sales_since: int = 0
    products_listed: int = 0
    permits_obtained: int = 0
    active_months: int = 0


@dataclass
class CohortReport:
    cohort: Cohort
    members: list[MemberFigures] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.members

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.members)


def _gross(statement: Settlement) -> int:
    return statement.gross_online + statement.gross_counter


def report(cohort: Cohort) -> CohortReport:
    result = CohortReport(cohort)
    members = sorted(cohort.members, key=lambda m: m.vendor.name.lower())
    if not members:
        return result
    vendor_ids = [m.vendor_id for m in members]
    statements: dict[int, list[Settlement]] = {vid: [] for vid in vendor_ids}
    for statement in db.session.scalars(
        select(Settlement).where(Settlement.vendor_id.in_(vendor_ids))
    ):
        statements[statement.vendor_id].append(statement)
    listed = dict(
        db.session.execute(
            select(Product.vendor_id, func.count())
            .where(
                Product.vendor_id.in_(vendor_ids), Product.status == ProductStatus.APPROVED.value
            )
            .group_by(Product.vendor_id)
        ).all()
    )
    for member in members:
        figures = MemberFigures(member.vendor, member.joined_on)
        months = set()
        for statement in statements[member.vendor_id]:
            if statement.period_end < member.joined_on:
                figures.sales_before += _gross(statement)
            else:
                figures.sales_since += _gross(statement)
                if _gross(statement):
                    months.add((statement.period_start.year, statement.period_start.month))
        figures.active_months = len(months)
        figures.products_listed = int(listed.get(member.vendor_id, 0))
        start, _ = utc_bounds(member.joined_on, member.joined_on)
        figures.permits_obtained = int(
            db.session.scalar(
                select(func.count())
                .select_from(ProductPermit)
                .join(Product, Product.id == ProductPermit.product_id)
                .where(Product.vendor_id == member.vendor_id, ProductPermit.created_at >= start)
            )
            or 0
        )
        result.members.append(figures)
    return result


def report_table(found: CohortReport) -> Table:
    """The report as the reports' table shape, for the CSV and XLSX files."""
    table = Table(
        title=_l("Programme report: %(name)s", name=found.cohort.name),
        columns=[
            Column(_l("Vendor")),
            Column(_l("Joined"), "date"),
            Column(_l("Sales before joining"), "rupiah"),
            Column(_l("Sales since joining"), "rupiah"),
            Column(_l("Products listed"), "count"),
            Column(_l("Permits obtained"), "count"),
            Column(_l("Active months"), "count"),
        ],
        note="" if found.members else _l("This cohort has no members yet."),
    )
    for m in found.members:
        table.rows.append(
            (
                m.vendor.name,
                m.joined_on,
                m.sales_before,
                m.sales_since,
                m.products_listed,
                m.permits_obtained,
                m.active_months,
            )
        )
    if found.members:
        table.totals = (
            str(_l("Total")),
            None,
            found.total("sales_before"),
            found.total("sales_since"),
            found.total("products_listed"),
            found.total("permits_obtained"),
            found.total("active_months"),
        )
    return table
