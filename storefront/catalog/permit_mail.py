"""The emails of the daily permit check, sent after its changes are committed.

Vendors get one email per business and run: the products hidden because a permit lapsed, and
the permits reaching a reminder threshold (90, 30 and 7 days by default: renewing an SPP-IRT
through OSS and the regency's health office takes longer than a month). Managers and admins
get the weekly digest. Each person reads it in the language of their account.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l

from storefront.catalog.models import PermitKind
from storefront.catalog.permits import PermitCheck
from storefront.indonesia.identifiers import format_pirt
from storefront.links import external_url
from storefront.mail import send_template
from storefront.manager_inbox import managers
from storefront.vendors.services import owner_recipients

PERMIT_NAMES = {
    PermitKind.PIRT: _l("P-IRT"),
    PermitKind.BPOM: _l("BPOM registration"),
    PermitKind.HALAL: _l("halal certificate"),
}


def permit_label(permit) -> str:
    """ "P-IRT No. 2093603010123-28", "BPOM registration MD240935001200027"... for emails."""
    if permit.kind == PermitKind.PIRT:
        return format_pirt(permit.number)
    return f"{PERMIT_NAMES[PermitKind(permit.kind)]} {permit.number}"


def send_permit_mail(check: PermitCheck) -> int:
    """Send what `check_permits` decided; returns the number of emails sent."""
    sent = 0
    vendors: dict[int, dict] = defaultdict(lambda: {"hidden": [], "reminders": []})
    for product in check.hidden:
        vendors[product.vendor_id]["vendor"] = product.vendor
        vendors[product.vendor_id]["hidden"].append(product)
    for reminder in check.reminders:
        vendors[reminder.product.vendor_id]["vendor"] = reminder.product.vendor
        vendors[reminder.product.vendor_id]["reminders"].append(reminder)
    for news in vendors.values():
        vendor = news["vendor"]
        subject = (
            _l("Products hidden from the shop: a permit lapsed")
            if news["hidden"]
            else _l("A permit lapses soon: renew it in time")
        )
        for person in owner_recipients(vendor):
            send_template(
                person.email,
                "catalog/email/permits_vendor.txt",
                subject,
                locale=person.locale,
                key=f"permits:{check.today.isoformat()}:{vendor.id}",
                event="permits_vendor",
                name=person.name,
                vendor=vendor,
                hidden=news["hidden"],
                reminders=news["reminders"],
                permit_label=permit_label,
                link=external_url("catalog.products"),
            )
            sent += 1
    if check.digest is not None:
        for manager in managers():
            send_template(
                manager.email,
                "catalog/email/permit_digest.txt",
                _l(
                    "Weekly permit digest: %(lapsing)d lapsing soon, %(hidden)d hidden",
                    lapsing=len(check.digest.lapsing),
                    hidden=len(check.digest.hidden),
                ),
                locale=manager.locale,
                key=f"permit-digest:{check.today.isoformat()}",
                event="permit_digest",
                name=manager.name,
                digest=check.digest,
                today=check.today,
                permit_label=permit_label,
                link=external_url("manage.product_queue"),
            )
            sent += 1
    return sent
