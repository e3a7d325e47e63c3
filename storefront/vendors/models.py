"""Vendor businesses, their applications, documents, team and status history."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.crypto import EncryptedString
from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db
from storefront.states import LabelledEnum, StatusChange, check_in, sql_values


class VendorStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Waiting for review")
    CHANGES_REQUESTED = "changes_requested", _l("Changes requested")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    SUSPENDED = "suspended", _l("Suspended")


class SettlementPeriod(LabelledEnum):
    MONTHLY = "monthly", _l("Monthly")
    BIWEEKLY = "biweekly", _l("Every two weeks")
    WEEKLY = "weekly", _l("Weekly")


# Vendors that trade: one per NIB, and the ones a manager still deals with.
LIVE_STATUSES = (VendorStatus.APPROVED, VendorStatus.SUSPENDED)


vendor_categories = Table(
    "vendor_categories",
    db.metadata,
    Column("vendor_id", Integer, ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
)


class Vendor(TimestampMixin, db.Model):
    """An UMKM business. While applying, the application's answers live here as a draft."""

    __tablename__ = "vendors"
    __table_args__ = (
        check_in("status", VendorStatus, name="status_known"),
        CheckConstraint(
            "commission_bp IS NULL OR (commission_bp >= 0 AND commission_bp <= 10000)",
            name="commission_range",
        ),
        check_in("settlement_period", SettlementPeriod, name="period_known"),
        # One trading vendor per NIB. Applications may share one: refusing a NIB while applying
        # would tell anyone which NIBs the outlet knows, so a manager sorts it out at review.
        Index(
            "uq_vendors_nib_live",
            "nib",
            unique=True,
            sqlite_where=text(f"status IN ({sql_values(LIVE_STATUSES)})"),
            postgresql_where=text(f"status IN ({sql_values(LIVE_STATUSES)})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=VendorStatus.DRAFT.value, index=True
    )
    story: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kecamatan: Mapped[str | None] = mapped_column(String(60))
    city: Mapped[str | None] = mapped_column(String(60))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    # None: the outlet's default commission applies.
    commission_bp: Mapped[int | None] = mapped_column()
    settlement_period: Mapped[str] = mapped_column(
        String(10), nullable=False, default=SettlementPeriod.MONTHLY.value
    )

    # Owner (the person responsible). NIK is personal data: encrypted at rest (UU PDP).
    owner_name: Mapped[str | None] = mapped_column(String(120))
    owner_nik: Mapped[str | None] = mapped_column(EncryptedString)
    owner_phone: Mapped[str | None] = mapped_column(String(20))
    owner_email: Mapped[str | None] = mapped_column(String(254))
    # Onboarded at the counter for an account whose email is not confirmed yet: that account
    # becomes the owner when it confirms (vendors/services.py: claim_pending_ownership).
    pending_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # Business identity.
    legal_form: Mapped[str | None] = mapped_column(String(20))
    nib: Mapped[str | None] = mapped_column(String(13), index=True)
    npwp: Mapped[str | None] = mapped_column(EncryptedString)
    address: Mapped[str | None] = mapped_column(Text)
    incubator_cohort: Mapped[str | None] = mapped_column(String(120))
    logo_key: Mapped[str | None] = mapped_column(String(200))

    # Payouts. The account number is encrypted; staff members cannot change these.
    bank_code: Mapped[str | None] = mapped_column(String(20))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString)
    bank_holder: Mapped[str | None] = mapped_column(String(120))
    # A bank not in `indonesia.banks.BANKS` ("Bank lain": a BPR, BPRS or digital bank): its
    # name as the vendor typed it; `bank_code` then holds the code they typed.
    bank_name: Mapped[str | None] = mapped_column(String(80))
    # The holder name the bank showed the manager at the first transfer to this account, and
    # when: the proof that the account is the vendor's. Cleared when the account changes.
    bank_holder_confirmed: Mapped[str | None] = mapped_column(String(120))
    bank_holder_confirmed_on: Mapped[date | None] = mapped_column(Date)

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The manager's last comment (reason for rejection or the changes asked for).
    review_comment: Mapped[str | None] = mapped_column(Text)

    members: Mapped[list[VendorMember]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan"
    )
    pending_owner = relationship("User", foreign_keys=[pending_owner_id])
    categories = relationship("Category", secondary=vendor_categories, order_by="Category.position")
    documents: Mapped[list[VendorDocument]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan", order_by="VendorDocument.id"
    )
    photos: Mapped[list[VendorPhoto]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan", order_by="VendorPhoto.position"
    )

    @property
    def is_approved(self) -> bool:
        return self.status == VendorStatus.APPROVED


class MemberRole(LabelledEnum):
    OWNER = "owner", _l("Owner")
    STAFF = "staff", _l("Staff")


class VendorMember(TimestampMixin, db.Model):
    __tablename__ = "vendor_members"
    __table_args__ = (
        UniqueConstraint("vendor_id", "user_id", name="uq_vendor_members_vendor_user"),
        check_in("role", MemberRole, name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=MemberRole.OWNER.value)

    vendor: Mapped[Vendor] = relationship(back_populates="members")
    user = relationship("User")


class VendorInvitation(TimestampMixin, db.Model):
    """An owner's invitation for a staff member; accepted by signing in with that email."""

    __tablename__ = "vendor_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    vendor: Mapped[Vendor] = relationship()


class DocumentKind(LabelledEnum):
    NIB = "nib", _l("NIB certificate")
    PIRT = "pirt", _l("P-IRT / SPP-IRT")
    BPOM = "bpom", _l("BPOM MD/ML registration")
    HALAL = "halal", _l("Halal certificate (BPJPH)")
    OTHER = "other", _l("Other document")


class VendorDocument(TimestampMixin, db.Model):
    """A certificate uploaded with the application: private file, never a public URL."""

    __tablename__ = "vendor_documents"
    __table_args__ = (check_in("kind", DocumentKind, name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    number: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    file_path: Mapped[str] = mapped_column(String(255), nullable=False)
    mime: Mapped[str] = mapped_column(String(40), nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    vendor: Mapped[Vendor] = relationship(back_populates="documents")


class VendorPhoto(TimestampMixin, db.Model):
    __tablename__ = "vendor_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    image_key: Mapped[str] = mapped_column(String(200), nullable=False)
    widths: Mapped[str] = mapped_column(String(60), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    vendor: Mapped[Vendor] = relationship(back_populates="photos")


class VendorStatusChange(StatusChange, db.Model):
    """Every move of an application or vendor, with who made it and why."""

    __tablename__ = "vendor_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)


class ConsentKind(LabelledEnum):
    PERSONAL_DATA = "personal_data"
    CONSIGNMENT = "consignment"


class Consent(db.Model):
    """A person's acceptance of a text, with the version of that text and when."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    text_version: Mapped[str] = mapped_column(String(20), nullable=False)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
