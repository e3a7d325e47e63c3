"""Reading the audit log: filters, the words for each action, and the page of each object.

The log itself is written by every package through `storefront.audit.record`; this module
only reads it. An entry's object links to the page where that object lives (by endpoint name,
so admin/ imports none of the packages that own them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from storefront.audit import AuditEntry
from storefront.auth.models import User
from storefront.clock import utc_bounds
from storefront.extensions import db

PER_PAGE = 50

ACTIONS = {
    "counter_sale.ring_up": _l("Counter sale rung up"),
    "counter_sale.void": _l("Counter sale voided"),
    "order.cancelled": _l("Order cancelled"),
    "order.paid": _l("Order payment taken"),
    "order.packed": _l("Order packed"),
    "order.ready": _l("Order ready for pickup"),
    "order.out_for_delivery": _l("Order out for delivery"),
    "order.handed_over": _l("Order handed over"),
    "order.delivered": _l("Order delivered"),
    "order.refund": _l("Order refunded"),
    "product.approve": _l("Product approved"),
    "product.reject": _l("Product rejected"),
    "variant.approve": _l("Size or colour approved"),
    "variant.reject": _l("Size or colour rejected"),
    "settings.change": _l("Shop settings changed"),
    "settlement.answer": _l("Statement comment answered"),
    "settlement.close": _l("Statement closed"),
    "settlement.delete": _l("Draft statement deleted"),
    "settlement.generate": _l("Statements generated"),
    "settlement.paid": _l("Statement paid"),
    "settlement.payout_export": _l("Payout file downloaded"),
    "category.commission": _l("Category commission changed"),
    "vendor.commission": _l("Vendor commission changed"),
    "shift.open": _l("Shift opened"),
    "shift.close": _l("Shift closed"),
    "stock.count_start": _l("Stock count started"),
    "stock.count_line": _l("Stock counted"),
    "stock.count_post": _l("Stock count posted"),
    "stock.count_cancel": _l("Stock count cancelled"),
    "stock.intake": _l("Goods received"),
    "stock.return": _l("Goods returned to the vendor"),
    "stock.write_off": _l("Stock written off"),
    "user.create": _l("Staff account created"),
    "user.role": _l("Role changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.activate": _l("Account reactivated"),
    "user.reset_link": _l("Password-reset link sent"),
    "vendor.approve": _l("Vendor approved"),
    "vendor.reject": _l("Vendor rejected"),
    "vendor.request_changes": _l("Changes asked of an applicant"),
    "vendor.create_at_counter": _l("Vendor registered at the counter"),
    "vendor.owner_confirmed": _l("Vendor owner confirmed"),
    "vendor.reveal": _l("Personal data shown in full"),
    "vendor.bank_change": _l("Payout account changed"),
    "vendor.invite": _l("Team member invited"),
    "vendor.join": _l("Team member joined"),
    "vendor.member_remove": _l("Team member removed"),
}

SUBJECTS = {
    "CounterSale": _l("Counter sale"),
    "Order": _l("Order"),
    "Product": _l("Product"),
    "Setting": _l("Shop settings"),
    "Settlement": _l("Statement"),
    "SettlementComment": _l("Statement comment"),
    "Shift": _l("Shift"),
    "StockCount": _l("Stock count"),
    "StockCountLine": _l("Stock count line"),
    "IntakeReceipt": _l("Intake receipt"),
    "ReturnNote": _l("Return note"),
    "StockWriteOff": _l("Write-off"),
    "User": _l("Account"),
    "Vendor": _l("Vendor"),
    "Category": _l("Category"),
}

# Where an object of each kind is looked at: (endpoint, name of its id in the URL).
SUBJECT_PAGES = {
    "CounterSale": ("pos.receipt", "sale_id"),
    "Order": ("orders.manage_order", "order_id"),
    "Product": ("manage.product_detail", "product_id"),
    "Setting": ("admin.settings", None),
    "Settlement": ("settlements.settlement_detail", "settlement_id"),
    "Shift": ("pos.shift_report", "shift_id"),
    "StockCount": ("stock.count", "count_id"),
    "IntakeReceipt": ("stock.intake_receipt", "receipt_id"),
    "ReturnNote": ("stock.return_note", "note_id"),
    "StockWriteOff": ("stock.write_off", "write_off_id"),
    "User": ("admin.user_detail", "user_id"),
    "Vendor": ("manage.vendor_detail", "vendor_id"),
    "Category": ("settlements.commission_rates", None),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def subject_label(subject_type: str) -> str:
    return str(SUBJECTS.get(subject_type, subject_type))


def subject_url(entry: AuditEntry) -> str | None:
    """The page of the entry's object, or None when it has none (a comment, a count line)."""
    page = SUBJECT_PAGES.get(entry.subject_type)
    if page is None:
        return None
    endpoint, id_name = page
    if id_name is None:
        return url_for(endpoint)
    if entry.subject_id is None:
        return None
    return url_for(endpoint, **{id_name: entry.subject_id})


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object

    @property
    def before_text(self) -> str:
        return _as_data(self.before)

    @property
    def after_text(self) -> str:
        return _as_data(self.after)


def _as_data(value) -> str:
    """A stored value as the record holds it: text in quotes, numbers and booleans bare."""
    return "—" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def changes(entry: AuditEntry) -> list[Change]:
    """Before and after, field by field (fields in either side)."""
    before, after = _load(entry.before), _load(entry.after)
    return [
        Change(key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) or key not in before
    ]


def _load(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"?": text}
    return value if isinstance(value, dict) else {"?": value}


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    action: str = ""
    subject: str = ""
    subject_id: int | None = None
    start: date | None = None
    end: date | None = None


def entries(wanted: AuditFilter, page: int = 1):
    statement = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if wanted.person:
        pattern = f"%{wanted.person.lower()}%"
        people = select(User.id).where(
            or_(func.lower(User.name).like(pattern), User.email.like(pattern))
        )
        statement = statement.where(AuditEntry.actor_id.in_(people))
    if wanted.action:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.subject:
        statement = statement.where(AuditEntry.subject_type == wanted.subject)
    if wanted.subject_id is not None:
        statement = statement.where(AuditEntry.subject_id == wanted.subject_id)
    if wanted.start or wanted.end:
        start, end = utc_bounds(wanted.start or date(2000, 1, 1), wanted.end or date(2999, 12, 31))
        statement = statement.where(AuditEntry.created_at >= start, AuditEntry.created_at < end)
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


def known_actions() -> list[str]:
    """Actions for the filter: every labelled one plus any other the log holds."""
    stored = db.session.scalars(select(AuditEntry.action).distinct()).all()
    return sorted(set(ACTIONS) | set(stored))
