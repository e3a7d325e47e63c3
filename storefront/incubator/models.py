"""The incubator's records: which mentor follows which vendor, their dated notes, the permit
applications the programme helps with (and their history), and the cohorts."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.models import PermitKind
from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db
from storefront.states import LabelledEnum, StatusChange, check_in


class ApplicationStatus(LabelledEnum):
    NOT_STARTED = "not_started", _l("Not started")
    DOCUMENTS = "documents", _l("Documents gathered")
    SUBMITTED = "submitted", _l("Submitted")
    INSPECTION = "inspection", _l("Inspection or verification")
    ISSUED = "issued", _l("Issued")
    REFUSED = "refused", _l("Refused")


class HalalRoute(LabelledEnum):
    # BPJPH's two routes: the free self-declaration for micro businesses (with a PPH
    # companion), and the regular route through an inspection body (LPH).
    SELF_DECLARE = "self_declare", _l("Self-declare")
    REGULAR = "regular", _l("Regular route")


class MentorAssignment(db.Model):
    """A mentor follows a vendor; they see that vendor's pages and nobody else's."""

    __tablename__ = "mentor_assignments"

    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vendor = relationship("Vendor")
    mentor = relationship("User")


class MentoringNote(db.Model):
    """What a mentor discussed with a vendor on a day; the vendor reads it in the portal."""

    __tablename__ = "mentoring_notes"
    __table_args__ = (Index("ix_mentoring_notes_vendor", "vendor_id", "noted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    noted_on: Mapped[date] = mapped_column(Date, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author = relationship("User")


class PermitApplication(TimestampMixin, db.Model):
    """One product's application for one permit, as the programme helps the vendor with it."""

    __tablename__ = "permit_applications"
    __table_args__ = (
        check_in("kind", PermitKind, name="kind_known"),
        check_in("status", ApplicationStatus, name="status_known"),
        CheckConstraint("(kind = 'halal') = (route IS NOT NULL)", name="route_only_for_halal"),
        UniqueConstraint("product_id", "kind", name="uq_permit_applications_product_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    route: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ApplicationStatus.NOT_STARTED.value, index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    next_step: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date | None] = mapped_column(Date)
    certificate_number: Mapped[str | None] = mapped_column(String(40))
    # The due date a reminder was last written for: one reminder per due date.
    reminded_for: Mapped[date | None] = mapped_column(Date)

    vendor = relationship("Vendor")
    product = relationship("Product")
    mentor = relationship("User", foreign_keys=[mentor_id])
    history: Mapped[list[PermitApplicationChange]] = relationship(
        order_by="PermitApplicationChange.id", cascade="all, delete-orphan"
    )


class PermitApplicationChange(StatusChange, db.Model):
    __tablename__ = "permit_application_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("permit_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )


class Cohort(db.Model):
    """An intake of the incubator programme: a name, a start date, a mentor, its members."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    mentor = relationship("User")
    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CohortMember.joined_on"
    )


class CohortMember(db.Model):
    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    vendor = relationship("Vendor")
