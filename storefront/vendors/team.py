"""A vendor's team: the owner invites staff by email and removes them.

An invitation is a random token sent by email; only its SHA-256 hash is stored, so a copy of the
database cannot be used to join a vendor. It is accepted by signing in with the invited email.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront import audit
from storefront.auth.models import Role, User
from storefront.auth.services import normalise_email
from storefront.database import utcnow
from storefront.extensions import db
from storefront.vendors.models import MemberRole, Vendor, VendorInvitation, VendorMember
from storefront.vendors.services import VendorError, membership

INVITATION_VALID_FOR = timedelta(days=7)


class InvitationError(VendorError):
    """The invitation cannot be accepted by this account; `message` says why."""


class EmailNotVerified(InvitationError):
    """The right account, but it has not proved the address the invitation went to."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def members(vendor: Vendor) -> list[VendorMember]:
    """Owners first, then staff, each in the order they joined."""
    rows = db.session.scalars(
        select(VendorMember)
        .options(joinedload(VendorMember.user))
        .where(VendorMember.vendor_id == vendor.id)
        .order_by(VendorMember.id)
    )
    return sorted(rows, key=lambda m: m.role != MemberRole.OWNER)


def pending_invitations(vendor: Vendor, *, now: datetime | None = None) -> list[VendorInvitation]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(VendorInvitation)
            .where(
                VendorInvitation.vendor_id == vendor.id,
                VendorInvitation.accepted_at.is_(None),
                VendorInvitation.expires_at > now,
            )
            .order_by(VendorInvitation.id)
        )
    )


def _member_by_email(email: str) -> VendorMember | None:
    return db.session.scalar(
        select(VendorMember).join(User, VendorMember.user_id == User.id).where(User.email == email)
    )


def invite(vendor: Vendor, inviter: User, email: str) -> tuple[VendorInvitation, str]:
    """Create an invitation; returns it with the token for the email link (never stored).

    Someone already in another vendor's team is invited like anyone else, and is told why it
    cannot be when accepting: refusing here would tell any vendor owner whose address belongs
    to another business. Members of this team are listed on the team page, so saying it is no
    secret.
    """
    email = normalise_email(email)
    member = _member_by_email(email)
    if member is not None and member.vendor_id == vendor.id:
        raise VendorError(_l("This person is already in your team."), field="email")
    # A new invitation replaces an open one to the same address, so only the newest link works.
    for old in db.session.scalars(
        select(VendorInvitation).where(
            VendorInvitation.vendor_id == vendor.id,
            VendorInvitation.email == email,
            VendorInvitation.accepted_at.is_(None),
        )
    ):
        db.session.delete(old)
    token = secrets.token_urlsafe(32)
    invitation = VendorInvitation(
        vendor_id=vendor.id,
        email=email,
        token_hash=_hash(token),
        invited_by_id=inviter.id,
        expires_at=utcnow() + INVITATION_VALID_FOR,
    )
    db.session.add(invitation)
    db.session.flush()
    # The audit log keeps ids, not email addresses (personal data stays out of it).
    audit.record(inviter, "vendor.invite", vendor, after={"invitation_id": invitation.id})
    return invitation, token


def invitation_for_token(token: str) -> VendorInvitation | None:
    return db.session.scalar(
        select(VendorInvitation).where(VendorInvitation.token_hash == _hash(token or ""))
    )


def check_invitation(invitation: VendorInvitation | None, user: User) -> VendorInvitation:
    """The invitation if `user` may accept it now, else InvitationError with the reason."""
    if invitation is None:
        raise InvitationError(_l("This invitation link is not valid. Check that it is complete."))
    if invitation.accepted_at is not None:
        raise InvitationError(_l("This invitation has already been used."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(
            _l("This invitation has expired. Ask the owner of the business to invite you again.")
        )
    if user.has_role(Role.MANAGER):
        raise InvitationError(
            _l("Outlet staff accounts cannot join a vendor. Sign in with a personal account.")
        )
    if user.email != invitation.email:
        raise InvitationError(
            _l(
                "This invitation was sent to another email address. Sign out and sign in "
                "(or create an account) with the address the invitation was sent to."
            )
        )
    if membership(user) is not None:
        raise InvitationError(
            _l("Your account already belongs to a vendor. An account can belong to one only.")
        )
    if not user.email_verified:
        raise EmailNotVerified(
            _l("To join a team, first confirm your email address with the link we sent you.")
        )
    return invitation


def accept(invitation: VendorInvitation | None, user: User) -> VendorMember:
    invitation = check_invitation(invitation, user)
    member = VendorMember(
        vendor_id=invitation.vendor_id, user_id=user.id, role=MemberRole.STAFF.value
    )
    db.session.add(member)
    invitation.accepted_at = utcnow()
    if user.role == Role.SHOPPER:
        user.role = Role.VENDOR.value
    audit.record(
        user, "vendor.join", invitation.vendor, after={"user_id": user.id, "role": member.role}
    )
    return member


def remove_member(vendor: Vendor, actor: User, member_id: int) -> VendorMember:
    member = db.session.get(VendorMember, member_id)
    # Another vendor's member looks the same as no member: nothing to learn by guessing ids.
    if member is None or member.vendor_id != vendor.id:
        raise VendorError(_l("That person is not in your team."))
    if member.user_id == actor.id:
        raise VendorError(_l("You cannot remove yourself."))
    if member.role == MemberRole.OWNER:
        owners = [m for m in vendor.members if m.role == MemberRole.OWNER]
        if len(owners) <= 1:
            raise VendorError(_l("A business needs at least one owner."))
    user = member.user
    audit.record(
        actor, "vendor.member_remove", vendor, before={"user_id": user.id, "role": member.role}
    )
    db.session.delete(member)
    # Without a vendor the account is a shopper again, so the portal stops offering itself.
    if user.role == Role.VENDOR:
        user.role = Role.SHOPPER.value
    return member
