"""Finding the vendor of the signed-in person: the one scoping helper every vendor page uses."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from storefront.vendors.models import MemberRole, Vendor, VendorMember, VendorStatus
from storefront.vendors.services import membership


def current_membership(*, approved: bool = True, owner: bool = False) -> VendorMember:
    """The signed-in person's membership, or 403. `approved`: the vendor must be approved;
    `owner`: staff members are refused (bank data and team are the owner's)."""
    member = membership(current_user)
    if member is None:
        abort(403)
    if approved and member.vendor.status != VendorStatus.APPROVED:
        abort(403)
    if owner and member.role != MemberRole.OWNER:
        abort(403)
    return member


def current_vendor(*, approved: bool = True, owner: bool = False) -> Vendor:
    return current_membership(approved=approved, owner=owner).vendor
