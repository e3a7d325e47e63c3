"""Vendor rules: the application, its review, and who belongs to which vendor.

Every query a vendor's page runs goes through `vendor_for_user`, so one vendor's people never
reach another vendor's rows (STYLE rule 13).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from slugify import slugify
from sqlalchemy import func, select

from storefront import audit, manager_inbox, states
from storefront.auth.models import Role, User
from storefront.auth.services import (
    create_user,
    find_user_by_email,
    normalise_email,
)
from storefront.categories import Category
from storefront.database import ensure_write_lock, utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.indonesia import banks, identifiers
from storefront.links import external_url
from storefront.mail import html_from_text, send_mail
from storefront.manager_inbox import NotificationKind
from storefront.money import BASIS_POINTS
from storefront.phones import normalise_phone
from storefront.settings.services import get_setting
from storefront.uploads import delete_after_commit, save_document
from storefront.vendors.models import (
    LIVE_STATUSES,
    Consent,
    ConsentKind,
    DocumentKind,
    MemberRole,
    SettlementPeriod,
    Vendor,
    VendorDocument,
    VendorMember,
    VendorStatus,
    VendorStatusChange,
)

# Versions of the texts an applicant accepts; bump when the wording changes.
PERSONAL_DATA_TEXT_VERSION = "pdp-2026-11"
CONSIGNMENT_TEXT_VERSION = "titip-2026-11"

TRANSITIONS: dict[VendorStatus, set[VendorStatus]] = {
    VendorStatus.DRAFT: {VendorStatus.SUBMITTED},
    VendorStatus.SUBMITTED: {
        VendorStatus.APPROVED,
        VendorStatus.REJECTED,
        VendorStatus.CHANGES_REQUESTED,
    },
    VendorStatus.CHANGES_REQUESTED: {VendorStatus.SUBMITTED},
    VendorStatus.APPROVED: {VendorStatus.SUSPENDED},
    VendorStatus.SUSPENDED: {VendorStatus.APPROVED},
    VendorStatus.REJECTED: set(),
}

EDITABLE = {VendorStatus.DRAFT, VendorStatus.CHANGES_REQUESTED}
# Trading (or paused) vendors: at most one per NIB (uq_vendors_nib_live).
LIVE = set(LIVE_STATUSES)


class VendorError(DomainError):
    """A vendor rule was broken. `field` names the form field at fault, if any."""


class InvalidTransition(VendorError):
    pass


class NibTaken(VendorError):
    pass


class ApplicationIncomplete(VendorError):
    pass


class NotEditable(VendorError):
    pass


# --- membership and scoping ----------------------------------------------------------------


def membership(user: User) -> VendorMember | None:
    """The user's membership of a vendor business (an account belongs to at most one)."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(VendorMember).where(VendorMember.user_id == user.id).order_by(VendorMember.id)
    )


def vendor_for_user(user: User) -> Vendor | None:
    member = membership(user)
    return member.vendor if member else None


def is_owner(user: User, vendor: Vendor) -> bool:
    member = membership(user)
    return bool(member and member.vendor_id == vendor.id and member.role == MemberRole.OWNER)


def owner_emails(vendor: Vendor) -> list[str]:
    emails = {m.user.email for m in vendor.members if m.role == MemberRole.OWNER}
    if vendor.owner_email:
        emails.add(vendor.owner_email)
    return sorted(emails)


@dataclass
class Recipient:
    email: str
    name: str
    locale: str | None


def owner_recipients(vendor: Vendor) -> list[Recipient]:
    """The owners to tell about their business, each with the language of their account (the
    owner's address on the application may have no account: the shop's language then)."""
    recipients = []
    for email in owner_emails(vendor):
        user = find_user_by_email(email)
        name = user.name if user else (vendor.owner_name or vendor.name)
        recipients.append(Recipient(email, name, user.locale if user else None))
    return recipients


def attach_owner(vendor: Vendor, user: User) -> VendorMember:
    member = VendorMember(vendor_id=vendor.id, user_id=user.id, role=MemberRole.OWNER.value)
    db.session.add(member)
    if user.role == Role.SHOPPER:
        user.role = Role.VENDOR.value
    return member


def claim_pending_ownership(app, user: User, **extra) -> VendorMember | None:
    """A vendor onboarded at the counter for this account's address waited for the address to
    be proven; now the account becomes its owner, in the same unit of work as the proof."""
    vendor = db.session.scalar(select(Vendor).where(Vendor.pending_owner_id == user.id))
    if vendor is None or membership(user) is not None:
        return None  # an account belongs to one vendor; the manager still sees it waiting
    vendor.pending_owner_id = None
    member = attach_owner(vendor, user)
    audit.record(user, "vendor.owner_confirmed", vendor, after={"user_id": user.id})
    return member


# --- the state machine ---------------------------------------------------------------------


def transition(vendor: Vendor, to: VendorStatus, actor: User | None, comment: str = "") -> None:
    states.move(
        vendor,
        to,
        TRANSITIONS,
        history=lambda **row: VendorStatusChange(vendor_id=vendor.id, **row),
        actor=actor,
        comment=comment,
        refuse=lambda current, target: InvalidTransition(
            _l(
                "This application cannot go from %(a)s to %(b)s.",
                a=current.label,
                b=target.label,
            )
        ),
    )
    if to == VendorStatus.SUBMITTED:
        vendor.submitted_at = utcnow()
    elif to in (VendorStatus.APPROVED, VendorStatus.REJECTED, VendorStatus.CHANGES_REQUESTED):
        vendor.decided_at = utcnow()


def history(vendor: Vendor) -> list[VendorStatusChange]:
    return list(
        db.session.scalars(
            select(VendorStatusChange)
            .where(VendorStatusChange.vendor_id == vendor.id)
            .order_by(VendorStatusChange.created_at, VendorStatusChange.id)
        )
    )


# --- the application -----------------------------------------------------------------------


def start_application(user: User) -> Vendor:
    """The user's vendor (draft or otherwise); a new draft if they have none."""
    existing = vendor_for_user(user)
    if existing is not None:
        return existing
    ensure_write_lock()  # the application page makes the draft while it is only reading
    vendor = Vendor(
        name="",
        slug=f"draft-{uuid.uuid4().hex[:12]}",
        status=VendorStatus.DRAFT.value,
        owner_name=user.name,
        owner_email=user.email,
        owner_phone=user.phone,
    )
    db.session.add(vendor)
    db.session.flush()
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role=MemberRole.OWNER.value))
    db.session.flush()
    return vendor


def _require_editable(vendor: Vendor) -> None:
    if VendorStatus(vendor.status) not in EDITABLE:
        raise NotEditable(_l("This application was sent and cannot be changed now."))


@dataclass
class OwnerDetails:
    name: str
    nik: str
    phone: str
    email: str


def save_owner(vendor: Vendor, details: OwnerDetails) -> None:
    """Validated by the form already; the service checks again, since it is the rule's home."""
    _require_editable(vendor)

    nik = identifiers.parse_nik(details.nik)
    vendor.owner_name = details.name.strip()
    vendor.owner_nik = nik.number
    vendor.owner_phone = normalise_phone(details.phone)
    vendor.owner_email = normalise_email(details.email)
    if not vendor.whatsapp:
        vendor.whatsapp = vendor.owner_phone


@dataclass
class BusinessDetails:
    name: str
    legal_form: str
    nib: str
    npwp: str | None
    address: str
    city: str
    kecamatan: str
    incubator_cohort: str | None
    category_ids: list[int]
    story: str


def unique_slug(name: str, vendor_id: int | None = None) -> str:
    base = slugify(name)[:70] or "umkm"
    slug, n = base, 2
    while True:
        taken = db.session.scalar(select(Vendor.id).where(Vendor.slug == slug))
        if taken is None or taken == vendor_id:
            return slug
        slug, n = f"{base}-{n}", n + 1


def save_business(vendor: Vendor, details: BusinessDetails) -> list:
    """Save the business step; returns warnings to show (an NPWP check digit that does not add
    up). Raises InvalidIdentifier for numbers that cannot be right."""
    _require_editable(vendor)
    # A NIB another vendor uses is saved like any other: refusing it here would tell anyone
    # which NIBs the outlet knows. The manager sees the overlap at review (`sharing_nib`), and
    # only one vendor per NIB can be approved.
    nib = identifiers.parse_nib(details.nib)
    vendor.name = details.name.strip()
    if vendor.slug.startswith("draft-"):
        vendor.slug = unique_slug(vendor.name, vendor.id)
    vendor.legal_form = details.legal_form
    vendor.nib = nib
    try:
        npwp = (
            identifiers.parse_npwp(details.npwp, legal_form=details.legal_form)
            if details.npwp
            else None
        )
    except identifiers.InvalidIdentifier as exc:
        raise VendorError(exc.message, field="npwp") from None
    vendor.npwp = npwp.number if npwp else None
    vendor.address = details.address.strip()
    vendor.city = details.city
    vendor.kecamatan = details.kecamatan
    vendor.incubator_cohort = (details.incubator_cohort or "").strip() or None
    vendor.story = details.story.strip()
    vendor.categories = list(
        db.session.scalars(select(Category).where(Category.id.in_(details.category_ids)))
    )
    return [npwp.warning] if npwp and npwp.warning else []


def save_bank(
    vendor: Vendor,
    bank_code: str,
    account: str,
    holder: str,
    *,
    other_bank_name: str = "",
    other_bank_code: str = "",
) -> list:
    """Save the payout account; returns warnings (an unusual length for the bank). With
    `bank_code` "other" ("Bank lain") the bank's name and transfer code are typed. A changed
    account must be confirmed again at its first transfer."""
    bank_name = None
    if bank_code == banks.OTHER_BANK:
        bank_name = " ".join((other_bank_name or "").split())[:80]
        if not bank_name:
            raise VendorError(_l("Enter the name of your bank."), field="other_bank_name")
        try:
            bank_code = banks.parse_other_bank_code(other_bank_code)
        except identifiers.InvalidIdentifier as exc:
            raise VendorError(exc.message, field="other_bank_code") from None
    elif banks.bank_by_code(bank_code) is None:
        raise VendorError(_l("Choose your bank from the list."), field="bank_code")
    try:
        parsed = banks.parse_bank_account(account, bank_code)
    except identifiers.InvalidIdentifier as exc:
        raise VendorError(exc.message, field="account") from None
    if (vendor.bank_code, vendor.bank_account) != (bank_code, parsed.number):
        vendor.bank_holder_confirmed = None
        vendor.bank_holder_confirmed_on = None
    vendor.bank_account = parsed.number
    vendor.bank_code = bank_code
    vendor.bank_name = bank_name
    vendor.bank_holder = holder.strip()
    return [parsed.warning] if parsed.warning else []


def bank_display_name(vendor: Vendor) -> str:
    """The payout bank's name: a listed bank's, or the one typed for "Bank lain" (with its
    code, which the transfer needs)."""
    if vendor.bank_name:
        return f"{vendor.bank_name} ({vendor.bank_code})"
    bank = banks.bank_by_code(vendor.bank_code or "")
    return bank.name if bank else (vendor.bank_code or "")


def check_document_number(
    kind: DocumentKind,
    number: str,
    *,
    today: date,
    expires_on: date | None = None,
    issued_on: date | None = None,
) -> str:
    """Normalise a certificate number by its kind, refusing malformed or expired ones. An
    SPP-IRT is checked against the "berlaku sampai" date printed on it (`expires_on`)."""
    if kind == DocumentKind.NIB:
        return identifiers.parse_nib(number)
    if kind == DocumentKind.PIRT:
        return identifiers.parse_pirt(
            number, valid_until=expires_on, today=today, issued_on=issued_on
        ).number
    if kind == DocumentKind.BPOM:
        return identifiers.parse_bpom(number).number
    if kind == DocumentKind.HALAL:
        return identifiers.parse_halal(number)
    return number.strip()[:40]


def add_document(
    vendor: Vendor,
    *,
    kind: DocumentKind,
    number: str,
    issued_on: date | None,
    expires_on: date | None,
    file,
    user: User,
    today: date,
) -> VendorDocument:
    _require_editable(vendor)
    number = check_document_number(
        kind, number, today=today, expires_on=expires_on, issued_on=issued_on
    )
    if expires_on is not None and expires_on < today:
        raise VendorError(
            _l("This document expired on %(date)s. Upload a valid one.", date=expires_on),
            field="expires_on",
        )
    stored = save_document(file, folder=f"vendors/{vendor.id}")
    document = VendorDocument(
        vendor_id=vendor.id,
        kind=kind.value,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        file_path=stored.path,
        mime=stored.mime,
        original_name=stored.original_name,
        uploaded_by_id=user.id,
    )
    db.session.add(document)
    return document


def remove_document(vendor: Vendor, document: VendorDocument) -> None:
    _require_editable(vendor)
    if document.vendor_id != vendor.id:
        raise VendorError(_l("Document not found."))
    delete_after_commit(document.file_path)
    db.session.delete(document)


def missing_parts(vendor: Vendor) -> list[str]:
    """Which steps still need answers before the application can be sent."""
    missing = []
    if not (vendor.owner_name and vendor.owner_nik and vendor.owner_phone):
        missing.append("owner")
    if not (vendor.name and vendor.nib and vendor.kecamatan and vendor.legal_form):
        missing.append("business")
    if not any(d.kind == DocumentKind.NIB for d in vendor.documents):
        missing.append("documents")
    if not (vendor.bank_code and vendor.bank_account and vendor.bank_holder):
        missing.append("bank")
    return missing


def submit_application(vendor: Vendor, user: User, *, personal_data: bool, terms: bool) -> None:
    _require_editable(vendor)
    if missing_parts(vendor):
        raise ApplicationIncomplete(_l("Some steps are not finished yet."))
    if not (personal_data and terms):
        raise ApplicationIncomplete(
            _l("Please agree to the personal-data notice and the consignment agreement."),
            field="consent",
        )
    now = utcnow()
    db.session.add_all(
        [
            Consent(
                vendor_id=vendor.id,
                user_id=user.id,
                kind=ConsentKind.PERSONAL_DATA.value,
                text_version=PERSONAL_DATA_TEXT_VERSION,
                accepted_at=now,
            ),
            Consent(
                vendor_id=vendor.id,
                user_id=user.id,
                kind=ConsentKind.CONSIGNMENT.value,
                text_version=CONSIGNMENT_TEXT_VERSION,
                accepted_at=now,
            ),
        ]
    )
    transition(vendor, VendorStatus.SUBMITTED, user)
    manager_inbox.notify(NotificationKind.APPLICATION, vendor, vendor.name)


# --- review by managers --------------------------------------------------------------------


def default_commission_bp() -> int:
    return int(get_setting("commission_default_bp"))


def _check_rate(commission_bp: int | None) -> None:
    """None: no rate of the vendor's own (the category's or the default applies)."""
    if commission_bp is not None and not 0 <= commission_bp <= BASIS_POINTS:
        raise VendorError(_l("Commission must be between 0 and 100 %."), field="commission_percent")


def approve(
    vendor: Vendor,
    manager: User,
    *,
    commission_bp: int | None,
    settlement_period: str,
    comment="",
) -> None:
    """Approve an application. `commission_bp` None: the vendor follows its categories' rates
    and the outlet default (catalog.commission); a number is a rate negotiated for it alone."""
    _check_rate(commission_bp)
    live = [v for v in sharing_nib(vendor) if v.status in LIVE]
    if live:
        raise NibTaken(
            _l(
                "%(name)s is already approved with this NIB. Check both NIB certificates; "
                "only one business can trade under a NIB.",
                name=live[0].name,
            )
        )
    before = {"status": vendor.status}
    transition(vendor, VendorStatus.APPROVED, manager, comment)
    vendor.commission_bp = commission_bp
    vendor.settlement_period = SettlementPeriod(settlement_period).value
    vendor.review_comment = None
    for member in vendor.members:
        if member.user.role == Role.SHOPPER:
            member.user.role = Role.VENDOR.value
    audit.record(
        manager,
        "vendor.approve",
        vendor,
        before=before,
        after={
            "status": vendor.status,
            "commission_bp": commission_bp,
            "settlement_period": vendor.settlement_period,
        },
    )


def reject(vendor: Vendor, manager: User, reason: str) -> None:
    if not reason.strip():
        raise VendorError(_l("Give the applicant a reason."), field="comment")
    before = {"status": vendor.status}
    transition(vendor, VendorStatus.REJECTED, manager, reason)
    vendor.review_comment = reason.strip()
    audit.record(manager, "vendor.reject", vendor, before=before, after={"status": vendor.status})


def request_changes(vendor: Vendor, manager: User, comment: str) -> None:
    if not comment.strip():
        raise VendorError(_l("Tell the applicant what to change."), field="comment")
    before = {"status": vendor.status}
    transition(vendor, VendorStatus.CHANGES_REQUESTED, manager, comment)
    vendor.review_comment = comment.strip()
    audit.record(
        manager, "vendor.request_changes", vendor, before=before, after={"status": vendor.status}
    )


def review_queue(status: str | None, query: str, page: int):
    statement = select(Vendor).where(Vendor.status != VendorStatus.DRAFT.value)
    if status:
        statement = statement.where(Vendor.status == status)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(Vendor.name).like(pattern)
            | func.lower(Vendor.owner_name).like(pattern)
            | (Vendor.nib == query.strip())
        )
    statement = statement.order_by(Vendor.submitted_at.desc().nulls_last(), Vendor.id.desc())
    return db.paginate(statement, page=page, per_page=25, error_out=False)


def sharing_nib(vendor: Vendor) -> list[Vendor]:
    """Other vendors a manager can see (not drafts) with this vendor's NIB."""
    if not vendor.nib:
        return []
    return list(
        db.session.scalars(
            select(Vendor)
            .where(
                Vendor.nib == vendor.nib,
                Vendor.id != vendor.id,
                Vendor.status != VendorStatus.DRAFT.value,
            )
            .order_by(Vendor.id)
        )
    )


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(Vendor.status, func.count()).group_by(Vendor.status))
    return {status: count for status, count in rows}


def notify_decision(vendor: Vendor) -> None:
    """Email the applicant's owners what was decided, each in the language of their account."""
    subjects = {
        VendorStatus.APPROVED: _l("Your application was approved"),
        VendorStatus.REJECTED: _l("About your application"),
        VendorStatus.CHANGES_REQUESTED: _l("Your application needs a change"),
    }
    status = VendorStatus(vendor.status)
    if status not in subjects:
        return
    link = external_url("vendors.application_status")
    for recipient in owner_recipients(vendor):
        locale = recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            subject = f"{subjects[status]} · Gerai Tangerang Gemilang"
            body = render_template("vendors/email/decision.txt", vendor=vendor, link=link)
            send_mail(
                recipient.email,
                subject,
                body,
                html_from_text(body, subject, locale),
                event=f"application_{status.value}",
                locale=locale,
            )


@dataclass
class CounterVendor:
    """A producer onboarded in person at the outlet by a manager."""

    name: str
    owner_name: str
    owner_phone: str
    owner_email: str | None
    nib: str
    city: str
    kecamatan: str
    category_ids: list[int]
    commission_bp: int | None  # None: follow the category / outlet default
    settlement_period: str


@dataclass
class CounterOnboarding:
    """What onboarding at the counter did about the owner's account."""

    vendor: Vendor
    owner: User | None = None
    new_account: bool = False
    # The account's address is not confirmed yet: it becomes the owner once it is.
    pending: bool = False


def create_vendor_directly(manager: User, details: CounterVendor) -> CounterOnboarding:
    """Create an approved vendor from papers checked at the counter.

    With an email, the owner's account is found or created. Only an account that proved the
    address is its own is made owner now; any other (a new one, or one someone registered with
    the producer's address before them) waits as `pending_owner` until the address is confirmed
    (`claim_pending_ownership`), so registering a producer's email first gains nothing.
    """
    nib = identifiers.parse_nib(details.nib)
    known = db.session.scalars(
        select(Vendor.status).where(
            Vendor.nib == nib,
            Vendor.status.not_in([VendorStatus.DRAFT.value, VendorStatus.REJECTED.value]),
        )
    ).all()
    if any(VendorStatus(status) in LIVE for status in known):
        raise NibTaken(_l("This NIB is already registered with the outlet."), field="nib")
    if known:
        raise NibTaken(
            _l("An application with this NIB is waiting for review: decide on it first."),
            field="nib",
        )
    _check_rate(details.commission_bp)
    vendor = Vendor(
        name=details.name.strip(),
        slug=unique_slug(details.name),
        status=VendorStatus.APPROVED.value,
        owner_name=details.owner_name.strip(),
        owner_phone=normalise_phone(details.owner_phone),
        whatsapp=normalise_phone(details.owner_phone),
        nib=nib,
        city=details.city,
        kecamatan=details.kecamatan,
        commission_bp=details.commission_bp,
        settlement_period=SettlementPeriod(details.settlement_period).value,
        decided_at=utcnow(),
    )
    vendor.categories = list(
        db.session.scalars(select(Category).where(Category.id.in_(details.category_ids)))
    )
    db.session.add(vendor)
    db.session.flush()
    db.session.add(
        VendorStatusChange(
            vendor_id=vendor.id,
            from_status=VendorStatus.DRAFT.value,
            to_status=VendorStatus.APPROVED.value,
            actor_id=manager.id,
            comment="onboarded at the outlet",
        )
    )
    outcome = CounterOnboarding(vendor)
    if details.owner_email:
        email = normalise_email(details.owner_email)
        vendor.owner_email = email
        owner = find_user_by_email(email)
        if owner is not None:
            _check_can_own(owner)
        else:
            owner = create_user(
                name=vendor.owner_name,
                email=email,
                password=secrets.token_urlsafe(24),
                phone=details.owner_phone,
            )
            outcome.new_account = True
        outcome.owner = owner
        if owner.email_verified:
            attach_owner(vendor, owner)
        else:
            vendor.pending_owner_id = owner.id
            outcome.pending = True
    audit.record(
        manager,
        "vendor.create_at_counter",
        vendor,
        after={
            "status": vendor.status,
            "commission_bp": vendor.commission_bp,
            "owner_pending": outcome.pending,
        },
    )
    return outcome


def _check_can_own(user: User) -> None:
    if user.role not in (Role.VENDOR, Role.SHOPPER):
        raise VendorError(_l("Outlet staff accounts cannot own a vendor."), field="owner_email")
    if membership(user) is not None:
        raise VendorError(
            _l("This email already belongs to another vendor's team."), field="owner_email"
        )
    waiting = db.session.scalar(select(Vendor.id).where(Vendor.pending_owner_id == user.id))
    if waiting is not None:
        raise VendorError(
            _l("The account with this email is already waiting to own another business."),
            field="owner_email",
        )
