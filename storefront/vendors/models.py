"""Vendor businesses and the accounts that work for them."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin
from storefront.extensions import db


class VendorStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Vendor(TimestampMixin, db.Model):
    __tablename__ = "vendors"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'changes_requested', 'approved', 'rejected', "
            "'suspended')",
            name="status_known",
        ),
        CheckConstraint(
            "commission_bp IS NULL OR (commission_bp >= 0 AND commission_bp <= 10000)",
            name="commission_range",
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

    members: Mapped[list[VendorMember]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan"
    )

    @property
    def is_approved(self) -> bool:
        return self.status == VendorStatus.APPROVED


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class VendorMember(TimestampMixin, db.Model):
    __tablename__ = "vendor_members"
    __table_args__ = (
        UniqueConstraint("vendor_id", "user_id", name="uq_vendor_members_vendor_user"),
        CheckConstraint("role IN ('owner', 'staff')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=MemberRole.OWNER.value)

    vendor: Mapped[Vendor] = relationship(back_populates="members")
    user = relationship("User")
