"""Vendor settlements: what each vendor earned in a period, and paying it (DESIGN invariant 7).

The rules, in one place:
- Periods are WIB calendar dates (both ends inclusive); queries use WIB midnight in UTC.
  Monthly = the calendar month, biweekly = the 1st–15th and the 16th–end of a month, weekly =
  Monday–Sunday. Every period lies inside one month, so a month's batch covers every vendor.
- Online sales count in the period the order was paid (`Order.paid_at`), counter sales in the
  period they were rung up (voided ones never), refunds in the period they happen. Money comes
  from the snapshots on each sale line (unit price, commission rate and amount).
- Refunds count in the period they are confirmed (cash and transfer at once, a card refund when
  the provider confirms it); a pending card refund is listed apart (`pending_refunds`). A refund
  line gives back `amount` of gross and the commission fixed on it when it was made
  (`catalog.commission.refund_commission`: never more than is left of the sale line's).
- A counter sale counts when rung up; its void is booked like a refund of the whole sale, in
  the period of the void (with its units back on the shelf), so a void after the sale's
  statement closed is reversed in the next one.
- An order line without a sale movement (paid after cancellation, the goods gone) is never
  stamped sold: its money is the shopper's, held to refund, and in no statement.
- Stock figures come from the ledger: opening and closing are the sums of movements before the
  period's boundaries; received, returned, restocked and adjusted are the period's movements.
- Every figure is per variant (one statement line each: a size 40 sold online and a size 41 at
  the counter are two lines); the statement shows them rolled up under their product. A
  product without options has one variant, so its one line is the product's.
- Losses in the outlet's care (write-offs and missing units it is responsible for) add a
  compensation at the vendor's share of the selling price (stock/losses.py).
- What a statement owes (`Settlement.due`): share + compensation + carried in + payment
  differences of earlier statements (net payable − paid) − advances paid during the period.
  Below the minimum payout (setting `minimum_payout`) it pays nothing and carries the amount
  into the vendor's next statement; so does a negative balance (refunds above sales). A final
  statement (the vendor is no longer approved) pays whatever is due, minimum or not.
- Every vendor with activity or a balance gets statements. The cadence's periods start the day
  after the vendor's last statement ends, so a changed settlement period neither counts a day
  twice nor leaves one out.
- draft → closed → paid. Drafts are recomputed on demand; closing (only once the period is
  over, WIB; an advance pays before then) recomputes one last time and freezes the figures
  (the database refuses later changes). Anything recorded after a close has a later
  timestamp, so it lands in the next period by itself. `flask verify-books` proves it.
- Nothing here commits: the action does, once (storefront/database.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront import audit, manager_inbox, states
from storefront.catalog.models import Product, ProductVariant
from storefront.clock import today_wib, utc_bounds
from storefront.database import ensure_write_lock, utcnow
from storefront.dates import date_text
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.links import external_url
from storefront.manager_inbox import NotificationKind
from storefront.money import format_rupiah
from storefront.orders.models import Order, OrderLine, Refund, RefundLine
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
    SettlementAdvance,
    SettlementComment,
    SettlementLine,
    SettlementStatus,
    SettlementStatusChange,
)
from storefront.stock.models import Batch, StockMovement
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
    """Closing stock per variant of each previous statement that is closed and ends the day
    before `start`: frozen figures that make the next opening stock a lookup instead of a year
    of movements."""
    ids = {
        s.id: s.vendor_id
        for s in previous.values()
        if not s.is_draft and s.period_end == start - timedelta(days=1)
    }
    openings: dict[int, dict[int, int]] = {vendor_id: {} for vendor_id in ids.values()}
    if ids:
        for settlement_id, variant_id, closing in db.session.execute(
            select(
                SettlementLine.settlement_id, SettlementLine.variant_id, SettlementLine.closing
            ).where(SettlementLine.settlement_id.in_(list(ids)))
        ):
            if closing:
                openings[ids[settlement_id]][variant_id] = closing
    return openings


def _fill(
    settlement: Settlement,
    figures: VendorFigures,
    variants: dict,
    minimum: int,
    previous: Settlement | None,
    *,
    final: bool = False,
) -> None:
    """Replace a draft's lines and totals with freshly computed ones."""
    # Read before any figure changes: the totals must agree with each other at every flush.
    difference_in = sum(d.payment_difference for d in differences_due(settlement))
    advances = int(
        db.session.scalar(
            select(func.coalesce(func.sum(SettlementAdvance.amount), 0)).where(
                SettlementAdvance.settlement_id == settlement.id
            )
        )
    )
    if settlement.id is not None:
        db.session.execute(
            SettlementLine.__table__.delete().where(SettlementLine.settlement_id == settlement.id)
        )
    rows = []
    totals = LineFigures()
    for variant_id, line in figures.lines.items():
        if line.is_empty():
            continue
        product_id, name, code, label = variants[variant_id]
        rows.append(
            dict(
                settlement_id=settlement.id,
                product_id=product_id,
                variant_id=variant_id,
                variant_label=label,
                product_name=name,
                product_code=code,
                vendor_share=line.vendor_share,
                **vars(line),
            )
        )
        for key in ("gross_online", "gross_counter", "refunds", "commission", "compensation"):
            setattr(totals, key, getattr(totals, key) + getattr(line, key))
    if rows:
        db.session.execute(SettlementLine.__table__.insert(), rows)
    settlement.gross_online = totals.gross_online
    settlement.gross_counter = totals.gross_counter
    settlement.refunds = totals.refunds
    settlement.commission = totals.commission
    settlement.vendor_share = totals.vendor_share
    settlement.compensation = totals.compensation
    settlement.carried_in = previous.carried_out if previous is not None else 0
    settlement.difference_in = difference_in
    settlement.advances = advances
    settlement.minimum_payout = minimum
    settlement.final = final
    due = settlement.due
    if final:
        # A vendor who left is paid whatever is due; only a debt (refunds above sales) stays.
        settlement.net_payable = max(due, 0)
    else:
        settlement.net_payable = due if due >= minimum else 0
    settlement.carried_out = due - settlement.net_payable
    settlement.computed_at = utcnow()
    db.session.expire(settlement, ["lines"])


def differences_due(settlement: Settlement) -> list[Settlement]:
    """Earlier paid statements of the vendor whose payment differed from their net payable,
    not yet carried by another statement: this one carries them (net payable − paid)."""
    return db.session.scalars(
        select(Settlement)
        .where(
            Settlement.vendor_id == settlement.vendor_id,
            Settlement.period_start < settlement.period_start,
            Settlement.payment_difference.is_not(None),
            Settlement.payment_difference != 0,
            (Settlement.difference_carried_to_id.is_(None))
            | (Settlement.difference_carried_to_id == settlement.id),
        )
        .order_by(Settlement.period_start)
    ).all()


def _variant_names(figures: dict[int, VendorFigures]) -> dict[int, tuple[int, str, str, str]]:
    """{variant id: (product id, product name, the variant's code, its label)} for the lines."""
    ids = sorted({vid for vendor in figures.values() for vid in vendor.lines})
    names = {}
    for chunk in range(0, len(ids), 900):
        names.update(
            {
                variant_id: (product_id, name, sku or code, label)
                for variant_id, product_id, name, code, sku, label in db.session.execute(
                    select(
                        ProductVariant.id,
                        Product.id,
                        Product.name,
                        Product.code,
                        ProductVariant.sku,
                        ProductVariant.label,
                    )
                    .join(Product, Product.id == ProductVariant.product_id)
                    .where(ProductVariant.id.in_(ids[chunk : chunk + 900]))
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
    variants = _variant_names(figures)
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
        _fit(settlement, end)
        _absorb_drafts(settlement)
        _fill(
            settlement,
            figures.get(vendor.id, VendorFigures()),
            variants,
            minimum,
            previous.get(vendor.id),
            final=vendor.status != VendorStatus.APPROVED.value,
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


def _absorb_drafts(settlement: Settlement) -> None:
    """Drafts of the old cadence that overlap this statement's period (the vendor's settlement
    period changed) give way to it, so the vendor's statements still follow each other day
    after day: a draft inside it goes (its advances move here), one reaching past its end
    keeps only the days after it."""
    for draft in db.session.scalars(
        select(Settlement).where(
            Settlement.vendor_id == settlement.vendor_id,
            Settlement.id != settlement.id,
            Settlement.status == SettlementStatus.DRAFT.value,
            Settlement.period_start > settlement.period_start,
            Settlement.period_start <= settlement.period_end,
        )
    ).all():
        if draft.period_end > settlement.period_end:
            draft.period_start = settlement.period_end + timedelta(days=1)
            continue
        db.session.execute(
            SettlementAdvance.__table__.update()
            .where(SettlementAdvance.settlement_id == draft.id)
            .values(settlement_id=settlement.id)
        )
        _delete(draft)
    db.session.flush()


def _fit(settlement: Settlement, end: date) -> None:
    """Give a draft its (new) end. Days it no longer covers become a draft of their own until
    the next generation shapes them, so no day is left out of every statement."""
    old_end = settlement.period_end
    settlement.period_end = end
    if old_end > end:
        db.session.add(
            Settlement(
                vendor_id=settlement.vendor_id,
                period_start=end + timedelta(days=1),
                period_end=old_end,
            )
        )
    db.session.flush()


def _last_end(vendor_id: int, before: date) -> date | None:
    """Where the vendor's next statement starts from: the end of its latest closed statement,
    or of any statement that starts before `before`."""
    return db.session.scalar(
        select(func.max(Settlement.period_end)).where(
            Settlement.vendor_id == vendor_id,
            (Settlement.status != SettlementStatus.DRAFT.value)
            | (Settlement.period_start < before),
        )
    )


def vendor_periods(vendor: Vendor, candidates: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The vendor's cadence periods, fitted to its statements so far: a period already covered
    is skipped and the first one starts the day after the last statement ends (a changed
    settlement period neither counts days twice nor leaves a gap)."""
    if not candidates:
        return []
    last = _last_end(vendor.id, candidates[0][0])
    periods = []
    for start, end in candidates:
        if last is not None and end <= last:
            continue
        if last is not None and not periods:
            start = last + timedelta(days=1)
        periods.append((start, end))
    return periods


def _with_activity_or_balance(vendor: Vendor, start: date, end: date) -> bool:
    """A vendor who is no longer approved still gets statements while anything happens to its
    goods or money, or a balance is left to pay (or to recover)."""
    start_utc, end_utc = utc_bounds(start, end)
    moved = db.session.scalar(
        select(StockMovement.id)
        .where(
            StockMovement.vendor_id == vendor.id,
            StockMovement.created_at >= start_utc,
            StockMovement.created_at < end_utc,
        )
        .limit(1)
    )
    if moved is not None:
        return True
    refunded = db.session.scalar(
        select(Refund.id)
        .join(RefundLine, RefundLine.refund_id == Refund.id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(
            OrderLine.vendor_id == vendor.id,
            Refund.created_at >= start_utc,
            Refund.created_at < end_utc,
        )
        .limit(1)
    )
    if refunded is not None:
        return True
    latest = db.session.scalar(
        select(Settlement)
        .where(Settlement.vendor_id == vendor.id, Settlement.period_start < start)
        .order_by(Settlement.period_start.desc())
        .limit(1)
    )
    if latest is not None and latest.carried_out != 0:
        return True
    owed = db.session.scalar(
        select(Settlement.id)
        .where(
            Settlement.vendor_id == vendor.id,
            Settlement.payment_difference != 0,
            Settlement.difference_carried_to_id.is_(None),
        )
        .limit(1)
    )
    return owed is not None


def generate_month(year: int, month: int, *, actor=None) -> list[Settlement]:
    """The month's drafts for every vendor with activity or a balance, approved or not, each
    by its own settlement period."""
    vendors = db.session.scalars(
        select(Vendor)
        .where(
            (Vendor.status == VendorStatus.APPROVED.value)
            | Vendor.id.in_(select(Settlement.vendor_id))
            | Vendor.id.in_(select(Batch.vendor_id))
        )
        .order_by(Vendor.id)
    ).all()
    by_period: dict[tuple[date, date], list[Vendor]] = defaultdict(list)
    for vendor in vendors:
        periods = vendor_periods(vendor, periods_in_month(vendor.settlement_period, year, month))
        if (
            periods
            and vendor.status != VendorStatus.APPROVED.value
            and not _with_activity_or_balance(vendor, periods[0][0], periods[-1][1])
        ):
            continue
        for period in periods:
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


def open_statement(vendor: Vendor, today: date | None = None) -> Settlement:
    """The draft of the vendor's period that is running today (made if needed)."""
    today = today or today_wib()
    periods = vendor_periods(vendor, [period_containing(vendor.settlement_period, today)])
    if not periods:
        # Today lies in a statement already made (after a change of settlement period).
        current = db.session.scalar(
            select(Settlement).where(
                Settlement.vendor_id == vendor.id,
                Settlement.period_start <= today,
                Settlement.period_end >= today,
            )
        )
        if current is None or not current.is_draft:
            raise SettlementError(_l("This vendor has no open period to pay an advance on."))
        return refresh(current)
    start, end = periods[0]
    return generate([vendor], start, end)[0]


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
    if not period_has_ended(locked):
        # Closing early would leave the rest of the period in no statement at all.
        raise SettlementError(
            _l(
                "This period runs until %(end)s: it can be closed from %(next)s. To pay the "
                "vendor before then, record an advance.",
                end=date_text(locked.period_end, "short"),
                next=date_text(locked.period_end + timedelta(days=1), "short"),
            )
        )
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
    for paid in differences_due(locked):
        paid.difference_carried_to_id = locked.id
    transition(locked, SettlementStatus.CLOSED, actor=actor)
    locked.closed_at = utcnow()
    locked.closed_by_id = getattr(actor, "id", None)
    audit.record(
        actor,
        "settlement.close",
        locked,
        after={
            "net_payable": locked.net_payable,
            "carried_out": locked.carried_out,
            "advances": locked.advances,
            "difference_in": locked.difference_in,
            "compensation": locked.compensation,
        },
    )
    tell_vendor(locked, "closed")
    return locked


def period_has_ended(settlement: Settlement, today: date | None = None) -> bool:
    """A period can close once its last day is over in Tangerang (WIB)."""
    return (today or today_wib()) > settlement.period_end


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
    if settlement.advance_payments:
        raise SettlementError(
            _l("An advance was paid against this statement: it cannot be deleted.")
        )
    audit.record(
        actor,
        "settlement.delete",
        settlement,
        before={"vendor_id": settlement.vendor_id, "period_start": settlement.period_start},
    )
    _delete(settlement)


def _delete(settlement: Settlement) -> None:
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
    locked.payment_difference = locked.net_payable - payment.amount
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
            "difference_carried": locked.payment_difference,
            "reference": locked.paid_reference,
            "paid_on": payment.paid_on,
            "holder_confirmed": bool(first_transfer),
        },
    )
    tell_vendor(locked, "paid")
    return locked


# --- advances ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Advance:
    amount: int
    paid_on: date
    reference: str
    note: str = ""


def record_advance(vendor: Vendor, advance: Advance, *, actor) -> SettlementAdvance:
    """Pay a vendor part of what its running period has earned so far, before the period ends
    (closing early is refused). The period's statement shows it and deducts it at close; more
    than is due so far would pay money the vendor has not earned."""
    if advance.amount <= 0:
        raise SettlementError(_l("Enter an amount above zero."), field="amount")
    reference = advance.reference.strip()
    if not reference:
        raise SettlementError(_l("Enter the bank transfer reference."), field="reference")
    ensure_write_lock()
    settlement = _lock(open_statement(vendor))
    if advance.amount > settlement.due:
        raise SettlementError(
            _l(
                "At most %(due)s is due to this vendor so far in this period; an advance "
                "cannot be more.",
                due=format_rupiah(max(settlement.due, 0)),
            ),
            field="amount",
        )
    record = SettlementAdvance(
        settlement_id=settlement.id,
        vendor_id=vendor.id,
        amount=advance.amount,
        paid_on=advance.paid_on,
        reference=reference[:120],
        note=advance.note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    db.session.expire(settlement, ["advance_payments"])
    refresh(settlement)
    audit.record(
        actor,
        "settlement.advance",
        record,
        after={
            "settlement_id": settlement.id,
            "amount": advance.amount,
            "paid_on": advance.paid_on,
            "reference": record.reference,
        },
    )
    return record


# --- lists and comments ----------------------------------------------------------------------


def pending_refunds(settlement: Settlement) -> list:
    """Card refunds of the vendor's sales made up to the period's end and not yet confirmed by
    the provider: not counted in any statement until they are, listed apart meanwhile.
    [(RefundLine, Refund, OrderLine, Order)]"""
    _start, end = utc_bounds(settlement.period_start, settlement.period_end)
    return db.session.execute(
        select(RefundLine, Refund, OrderLine, Order)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Refund.confirmed_at.is_(None),
            Refund.created_at < end,
            OrderLine.vendor_id == settlement.vendor_id,
            OrderLine.sold_at.is_not(None),
        )
        .order_by(Refund.created_at, RefundLine.id)
    ).all()


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
