"""Vendor settlements: what each vendor earned in a period, and paying it (DESIGN invariant 7).

The rules, in one place:
- Periods are WIB calendar dates (both ends inclusive); queries use WIB midnight in UTC.
  Monthly = the calendar month, biweekly = the 1st–15th and the 16th–end of a month, weekly =
  Monday–Sunday. Every period lies inside one month, so a month's batch covers every vendor.
- Online sales count in the period the order was paid (`Order.paid_at`), counter sales in the
  period they were rung up (voided ones never), refunds in the period they happen. Money comes
  from the snapshots on each sale line (unit price, commission rate and amount).
- A refund line gives back `amount` of gross and `commission_split(-amount, line.commission_bp)`
  of commission (rounded half-up, like the sale), so commission is never kept on refunded goods.
- Stock figures come from the ledger: opening and closing are the sums of movements before the
  period's boundaries; received, returned, restocked and adjusted are the period's movements.
- A statement below the minimum payout (setting `minimum_payout`) pays nothing and carries its
  amount into the vendor's next statement; so does a negative balance (refunds above sales).
- draft → closed → paid. Drafts are recomputed on demand; closing recomputes one last time and
  freezes the figures (the database refuses later changes). Anything recorded after a close has
  a later timestamp, so it lands in the next period by itself.
- Nothing here commits: the action does, once (storefront/database.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront import audit, manager_inbox, states
from storefront.catalog.models import Product
from storefront.database import ensure_write_lock, utcnow
from storefront.dates import date_text
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.links import external_url
from storefront.manager_inbox import NotificationKind
from storefront.settings.services import get_setting
from storefront.settlements.figures import (
    LineFigures,
    VendorFigures,
    compute,
    period_containing,
    periods_in_month,
)
from storefront.settlements.models import (
    CommentKind,
    Settlement,
    SettlementComment,
    SettlementLine,
    SettlementStatus,
    SettlementStatusChange,
)
from storefront.vendors.emails import tell_owners
from storefront.vendors.models import Vendor, VendorStatus

ALLOWED = {
    SettlementStatus.DRAFT: {SettlementStatus.CLOSED},
    SettlementStatus.CLOSED: {SettlementStatus.PAID},
    SettlementStatus.PAID: set(),
}


class SettlementError(DomainError):
    """A settlement rule was broken; `message` is safe to show, `field` names the form field."""


class InvalidTransition(SettlementError):
    def __init__(self, current: SettlementStatus, to: SettlementStatus):
        messages = {
            (SettlementStatus.CLOSED, SettlementStatus.CLOSED): _l(
                "This statement is already closed."
            ),
            (SettlementStatus.PAID, SettlementStatus.CLOSED): _l(
                "This statement is already closed and paid."
            ),
            (SettlementStatus.DRAFT, SettlementStatus.PAID): _l(
                "Close this statement before recording a payment."
            ),
            (SettlementStatus.PAID, SettlementStatus.PAID): _l(
                "This statement has already been paid."
            ),
        }
        super().__init__(messages.get((current, to), _l("This statement cannot change any more.")))
        self.current = current
        self.to = to


def transition(settlement: Settlement, to: SettlementStatus, *, actor, comment: str = ""):
    return states.move(
        settlement,
        to,
        ALLOWED,
        history=lambda **kw: SettlementStatusChange(settlement_id=settlement.id, **kw),
        actor=actor,
        comment=comment,
        refuse=InvalidTransition,
    )


# --- statements ------------------------------------------------------------------------------


def minimum_payout() -> int:
    return int(get_setting("minimum_payout"))


def previous_statement(settlement: Settlement) -> Settlement | None:
    return db.session.scalar(
        select(Settlement)
        .where(
            Settlement.vendor_id == settlement.vendor_id,
            Settlement.period_start < settlement.period_start,
        )
        .order_by(Settlement.period_start.desc())
        .limit(1)
    )


def _previous_statements(vendor_ids: list[int], start: date) -> dict[int, Settlement]:
    """Each vendor's latest statement before `start`, in one query."""
    latest = (
        select(Settlement.vendor_id, func.max(Settlement.period_start).label("period_start"))
        .where(Settlement.vendor_id.in_(vendor_ids), Settlement.period_start < start)
        .group_by(Settlement.vendor_id)
        .subquery()
    )
    return {
        s.vendor_id: s
        for s in db.session.scalars(
            select(Settlement).join(
                latest,
                (Settlement.vendor_id == latest.c.vendor_id)
                & (Settlement.period_start == latest.c.period_start),
            )
        )
    }


def _openings(previous: dict[int, Settlement], start: date) -> dict[int, dict[int, int]]:
    """Closing stock of each previous statement that is closed and ends the day before `start`:
    frozen figures that make the next opening stock a lookup instead of a year of movements."""
    ids = {
        s.id: s.vendor_id
        for s in previous.values()
        if not s.is_draft and s.period_end == start - timedelta(days=1)
    }
    openings: dict[int, dict[int, int]] = {vendor_id: {} for vendor_id in ids.values()}
    if ids:
        for settlement_id, product_id, closing in db.session.execute(
            select(
                SettlementLine.settlement_id, SettlementLine.product_id, SettlementLine.closing
            ).where(SettlementLine.settlement_id.in_(list(ids)))
        ):
            if closing:
                openings[ids[settlement_id]][product_id] = closing
    return openings


def _fill(
    settlement: Settlement,
    figures: VendorFigures,
    products: dict,
    minimum: int,
    previous: Settlement | None,
) -> None:
    """Replace a draft's lines and totals with freshly computed ones."""
    if settlement.id is not None:
        db.session.execute(
            SettlementLine.__table__.delete().where(SettlementLine.settlement_id == settlement.id)
        )
    rows = []
    totals = LineFigures()
    for product_id, line in figures.lines.items():
        if line.is_empty():
            continue
        name, code = products[product_id]
        rows.append(
            dict(
                settlement_id=settlement.id,
                product_id=product_id,
                product_name=name,
                product_code=code,
                vendor_share=line.vendor_share,
                **vars(line),
            )
        )
        for key in ("gross_online", "gross_counter", "refunds", "commission"):
            setattr(totals, key, getattr(totals, key) + getattr(line, key))
    if rows:
        db.session.execute(SettlementLine.__table__.insert(), rows)
    settlement.gross_online = totals.gross_online
    settlement.gross_counter = totals.gross_counter
    settlement.refunds = totals.refunds
    settlement.commission = totals.commission
    settlement.vendor_share = totals.vendor_share
    settlement.carried_in = previous.carried_out if previous is not None else 0
    settlement.minimum_payout = minimum
    due = settlement.vendor_share + settlement.carried_in
    settlement.net_payable, settlement.carried_out = (due, 0) if due >= minimum else (0, due)
    settlement.computed_at = utcnow()
    db.session.expire(settlement, ["lines"])


def _product_names(figures: dict[int, VendorFigures]) -> dict[int, tuple[str, str]]:
    ids = {pid for vendor in figures.values() for pid in vendor.lines}
    names = {}
    id_list = sorted(ids)
    for chunk in range(0, len(id_list), 900):
        names.update(
            {
                pid: (name, code)
                for pid, name, code in db.session.execute(
                    select(Product.id, Product.name, Product.code).where(
                        Product.id.in_(id_list[chunk : chunk + 900])
                    )
                )
            }
        )
    return names


def generate(vendors: list[Vendor], start: date, end: date, *, actor=None) -> list[Settlement]:
    """Create or recompute the drafts for these vendors and this period; closed ones stay."""
    vendor_ids = [v.id for v in vendors]
    existing = {
        s.vendor_id: s
        for s in db.session.scalars(
            select(Settlement).where(
                Settlement.period_start == start, Settlement.vendor_id.in_(vendor_ids)
            )
        )
    }
    previous = _previous_statements(vendor_ids, start)
    if len(vendor_ids) < 900:
        figures = compute(start, end, vendor_ids, _openings(previous, start))
    else:
        figures = compute(start, end)
    products = _product_names(figures)
    minimum = minimum_payout()
    statements, created = [], []
    for vendor in vendors:
        settlement = existing.get(vendor.id)
        if settlement is None:
            settlement = Settlement(vendor_id=vendor.id, period_start=start, period_end=end)
            db.session.add(settlement)
            db.session.flush()
            created.append(settlement)
        elif not settlement.is_draft:
            statements.append(settlement)
            continue
        _fill(
            settlement,
            figures.get(vendor.id, VendorFigures()),
            products,
            minimum,
            previous.get(vendor.id),
        )
        statements.append(settlement)
    db.session.flush()
    for settlement in created:
        tell_vendor(settlement, "ready")
    return statements


STATEMENT_SUBJECTS = {
    "ready": _l("Your statement is ready to check"),
    "closed": _l("Your statement is closed"),
    "paid": _l("Your payout was transferred"),
    "answered": _l("Your comment on a statement was answered"),
}


def tell_vendor(settlement: Settlement, what: str, **context) -> None:
    """Tell the vendor's owners about their statement (ready, closed, paid, a comment
    answered), each once."""
    tell_owners(
        settlement.vendor,
        "settlements/email/statement.txt",
        STATEMENT_SUBJECTS[what],
        event=f"statement_{what}",
        key=f"settlement:{settlement.id}:{what}{context.pop('key', '')}",
        whatsapp_params=[settlement.vendor.name, date_text(settlement.period_start, "short")]
        if what == "ready"
        else None,
        what=what,
        settlement=settlement,
        link=external_url("settlements.vendor_statement", settlement_id=settlement.id),
        **context,
    )


class MonthBatch:
    """The audit log's subject for generating a month's drafts (no single record)."""

    id = None


def generate_month(year: int, month: int, *, actor=None) -> list[Settlement]:
    """The month's drafts for every approved vendor, each by its own settlement period."""
    vendors = db.session.scalars(
        select(Vendor).where(Vendor.status == VendorStatus.APPROVED.value).order_by(Vendor.id)
    ).all()
    by_period: dict[tuple[date, date], list[Vendor]] = defaultdict(list)
    for vendor in vendors:
        for period in periods_in_month(vendor.settlement_period, year, month):
            by_period[period].append(vendor)
    statements = []
    for (start, end), group in sorted(by_period.items()):
        statements.extend(generate(group, start, end, actor=actor))
    if actor is not None:
        audit.record(
            actor,
            "settlement.generate",
            MonthBatch(),
            after={"month": f"{year}-{month:02d}", "statements": len(statements)},
        )
    return statements


def refresh(settlement: Settlement) -> Settlement:
    """Recompute a draft from the books (closed statements are returned as they are). The
    statement's page does it while showing it: the one write of that reading action."""
    if settlement.is_draft:
        ensure_write_lock()
        generate([settlement.vendor], settlement.period_start, settlement.period_end)
    return settlement


def close_settlement(settlement: Settlement, *, actor) -> Settlement:
    """Freeze a draft's figures. Earlier drafts of the same vendor must be closed first,
    because their carried amount flows into this one."""
    locked = _lock(settlement)
    if not locked.is_draft:
        raise InvalidTransition(SettlementStatus(locked.status), SettlementStatus.CLOSED)
    previous = previous_statement(locked)
    if previous is not None and previous.is_draft:
        raise SettlementError(
            _l(
                "Close the statement for %(start)s–%(end)s first: its balance carries into "
                "this one.",
                start=date_text(previous.period_start, "short"),
                end=date_text(previous.period_end, "short"),
            )
        )
    refresh(locked)
    transition(locked, SettlementStatus.CLOSED, actor=actor)
    locked.closed_at = utcnow()
    locked.closed_by_id = getattr(actor, "id", None)
    audit.record(
        actor,
        "settlement.close",
        locked,
        after={"net_payable": locked.net_payable, "carried_out": locked.carried_out},
    )
    tell_vendor(locked, "closed")
    return locked


def _lock(settlement: Settlement) -> Settlement:
    """Re-read the statement under a row lock, so two managers cannot close or pay it twice
    (on SQLite the action's write lock does it)."""
    ensure_write_lock()
    return db.session.scalar(
        select(Settlement)
        .where(Settlement.id == settlement.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def delete_settlement(settlement: Settlement, *, actor) -> None:
    """Throw away a draft (it can be generated again). Closed statements are kept for ever."""
    if not settlement.is_draft:
        raise SettlementError(_l("A closed statement cannot be deleted or changed."))
    audit.record(
        actor,
        "settlement.delete",
        settlement,
        before={"vendor_id": settlement.vendor_id, "period_start": settlement.period_start},
    )
    db.session.execute(
        SettlementLine.__table__.delete().where(SettlementLine.settlement_id == settlement.id)
    )
    for model in (SettlementStatusChange, SettlementComment):
        db.session.execute(model.__table__.delete().where(model.settlement_id == settlement.id))
    db.session.delete(settlement)


@dataclass(frozen=True)
class Payment:
    paid_on: date
    reference: str
    amount: int
    note: str = ""
    confirmed: bool = False
    proof_key: str | None = None
    proof_mime: str | None = None
    # The account holder's name the bank showed before the transfer (its name check).
    holder_confirmed: str = ""


def mark_paid(settlement: Settlement, payment: Payment, *, actor) -> Settlement:
    """Record the bank transfer. A different amount than the net payable needs a note and an
    explicit confirmation (a bank fee, a partial transfer agreed with the vendor...)."""
    locked = _lock(settlement)
    if locked.status != SettlementStatus.CLOSED:
        raise InvalidTransition(SettlementStatus(locked.status), SettlementStatus.PAID)
    if not payment.reference.strip():
        raise SettlementError(_l("Enter the bank transfer reference."), field="reference")
    if payment.amount < 0:
        raise SettlementError(_l("The amount cannot be negative."), field="amount")
    if payment.amount != locked.net_payable:
        if not payment.note.strip():
            raise SettlementError(
                _l("The amount differs from the net payable: explain why in the note."),
                field="note",
            )
        if not payment.confirmed:
            raise SettlementError(
                _l("The amount differs from the net payable: tick the box to confirm it."),
                field="confirmed",
            )
    vendor = db.session.get(Vendor, locked.vendor_id)
    holder = " ".join(payment.holder_confirmed.split())[:120]
    first_transfer = payment.amount > 0 and not vendor.bank_holder_confirmed
    if first_transfer and not holder:
        # A typo in a new account number pays a stranger; the name the bank shows before the
        # first transfer is the only check that the account is the vendor's.
        raise SettlementError(
            _l(
                "This is the first transfer to this account: enter the account holder's name "
                "the bank showed before you sent it."
            ),
            field="holder_confirmed",
        )
    transition(locked, SettlementStatus.PAID, actor=actor, comment=payment.note.strip())
    if first_transfer:
        vendor.bank_holder_confirmed = holder
        vendor.bank_holder_confirmed_on = payment.paid_on
    locked.paid_on = payment.paid_on
    locked.paid_reference = payment.reference.strip()[:120]
    locked.paid_amount = payment.amount
    locked.paid_note = payment.note.strip()
    locked.proof_key = payment.proof_key
    locked.proof_mime = payment.proof_mime
    audit.record(
        actor,
        "settlement.paid",
        locked,
        after={
            "amount": payment.amount,
            "net_payable": locked.net_payable,
            "reference": locked.paid_reference,
            "paid_on": payment.paid_on,
            "holder_confirmed": bool(first_transfer),
        },
    )
    tell_vendor(locked, "paid")
    return locked


# --- lists and comments ----------------------------------------------------------------------


def statements_for_period(start: date) -> list[Settlement]:
    return db.session.scalars(
        select(Settlement)
        .join(Vendor, Vendor.id == Settlement.vendor_id)
        .where(Settlement.period_start >= start.replace(day=1))
        .where(Settlement.period_start <= period_containing("monthly", start)[1])
        .order_by(Vendor.name, Settlement.period_start)
    ).all()


def months_with_statements() -> list[date]:
    starts = db.session.scalars(select(Settlement.period_start).distinct()).all()
    return sorted({d.replace(day=1) for d in starts}, reverse=True)


def vendor_statements(vendor_id: int) -> list[Settlement]:
    return db.session.scalars(
        select(Settlement)
        .where(Settlement.vendor_id == vendor_id)
        .order_by(Settlement.period_start.desc())
    ).all()


def vendor_statement(vendor_id: int, settlement_id: int) -> Settlement | None:
    """A vendor's own statement, or None (someone else's looks exactly like a missing one)."""
    return db.session.scalar(
        select(Settlement).where(Settlement.id == settlement_id, Settlement.vendor_id == vendor_id)
    )


def unpaid_closed() -> list[Settlement]:
    return db.session.scalars(
        select(Settlement)
        .where(Settlement.status == SettlementStatus.CLOSED.value, Settlement.net_payable > 0)
        .order_by(Settlement.period_start, Settlement.vendor_id)
    ).all()


def add_comment(settlement: Settlement, body: str, kind: str, *, author) -> SettlementComment:
    body = (body or "").strip()
    if not body:
        raise SettlementError(_l("Write your comment first."), field="body")
    if kind not in set(CommentKind):
        kind = "comment"
    comment = SettlementComment(
        settlement_id=settlement.id, kind=kind, body=body[:4000], author_id=author.id
    )
    db.session.add(comment)
    if kind == "dispute":
        manager_inbox.notify(NotificationKind.DISPUTE, settlement, settlement.vendor.name)
    return comment


def answer_comment(comment: SettlementComment, answer: str, *, actor) -> SettlementComment:
    answer = (answer or "").strip()
    if not answer:
        raise SettlementError(_l("Write the answer first."), field="answer")
    before = comment.answer
    comment.answer = answer[:4000]
    comment.answered_by_id = actor.id
    comment.answered_at = utcnow()
    audit.record(
        actor, "settlement.answer", comment, before={"answer": before}, after={"answer": answer}
    )
    tell_vendor(
        db.session.get(Settlement, comment.settlement_id),
        "answered",
        key=f":{comment.id}",
        answer=comment.answer,
    )
    return comment
