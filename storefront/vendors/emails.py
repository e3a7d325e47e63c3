"""Emails to a vendor's owners about their account and payouts, each in the recipient's
language. The views send them after the commit."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from storefront.auth.emails import reset_link, verification_link
from storefront.auth.models import User
from storefront.auth.services import find_user_by_email
from storefront.database import utcnow
from storefront.indonesia.banks import bank_by_code
from storefront.indonesia.identifiers import mask
from storefront.links import external_url
from storefront.mail import send_template
from storefront.notices import tell
from storefront.phones import display_phone
from storefront.settings.services import get_settings
from storefront.vendors import services
from storefront.vendors.models import Vendor


def tell_owners(
    vendor: Vendor,
    template: str,
    subject,
    *,
    event: str,
    key: str | None,
    whatsapp_params: list[str] | None = None,
    **context,
) -> None:
    """Tell every owner of `vendor` about an event, each in their language and on the channels
    their account chose (email, WhatsApp or both: storefront/notices.py)."""
    for recipient in services.owner_recipients(vendor):
        user = find_user_by_email(recipient.email)
        tell(
            email=recipient.email,
            phone=user.phone if user else vendor.owner_phone,
            choice=user.message_channel if user else None,
            locale=recipient.locale,
            event=event,
            key=key,
            subject=subject,
            template=template,
            whatsapp_params=(
                [recipient.name, *whatsapp_params] if whatsapp_params is not None else None
            ),
            name=recipient.name,
            vendor=vendor,
            **context,
        )


def application_received(vendor: Vendor, applicant: User) -> None:
    send_template(
        applicant.email,
        "vendors/email/application_received.txt",
        _l("We received your application"),
        locale=applicant.locale,
        key=f"vendor:{vendor.id}:submitted:{vendor.submitted_at}",
        event="application_received",
        name=applicant.name,
        vendor=vendor,
        link=external_url("vendors.application_status"),
    )


def send_owner_confirmation(vendor: Vendor, owner: User, new_account: bool) -> None:
    """Onboarded at the counter, the owner's account waits for its address to be confirmed.
    A new account gets a link to choose its password (which confirms the address); an existing
    one gets both ways: confirm while signed in, or choose a new password, which also ends the
    sessions of whoever registered the address before the producer."""
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    if new_account:
        send_template(
            owner.email,
            "vendors/email/account_created.txt",
            _l("Your vendor account at Gerai Tangerang Gemilang"),
            locale=owner.locale,
            vendor=vendor,
            link=reset_link(owner),
        )
        return
    send_template(
        owner.email,
        "vendors/email/owner_confirm.txt",
        _l("Confirm your email to manage %(business)s", business=vendor.name),
        locale=owner.locale,
        vendor=vendor,
        owner=owner,
        verify_link=verification_link(owner, url_for("vendors.dashboard")),
        reset_link=reset_link(owner),
        minutes=minutes,
    )


def notify_bank_change(vendor: Vendor, actor: User, before: dict) -> None:
    """A security notice to every owner: a changed payout account is how payouts get stolen.
    `before` is `profile.bank_snapshot` taken before the change (already masked)."""
    outlet = get_settings("outlet_name", "whatsapp", "outlet_email")
    old_bank = bank_by_code(before["bank_code"]) if before.get("bank_code") else None
    old_name = old_bank.name if old_bank else before.get("bank_code")
    old = " ".join(part for part in (old_name, before.get("account")) if part)
    for recipient in services.owner_recipients(vendor):
        send_template(
            recipient.email,
            "vendors/email/bank_changed.txt",
            _l("Security notice: your payout bank account was changed"),
            locale=recipient.locale,
            name=recipient.name,
            vendor=vendor,
            outlet=outlet,
            outlet_phone=display_phone(outlet["whatsapp"]),
            actor=actor,
            when=utcnow(),
            old=old or "—",
            new=f"{services.bank_display_name(vendor)} {mask(vendor.bank_account)}",
        )
