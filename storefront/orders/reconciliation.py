"""Gateway transactions against the shop's own records, for managers (issue 17, part 4).

Two sources for what the gateway says: its status API, asked about every gateway payment the
shop made in the range (it cannot list payments the shop does not know of), or the settlement
file downloaded from the gateway's dashboard (CSV), which lists every settled transaction with
its fee, so it also shows payments that reached the gateway under a reference the shop never
made. Each row is one reference; the problems a manager must look at come first.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from storefront.clock import utc_bounds
from storefront.extensions import db
from storefront.orders.services import OrderError
from storefront.payments.gateway import PaymentState, gateway
from storefront.payments.midtrans import whole_rupiah
from storefront.payments.models import GatewayPayment
from storefront.payments.providers import PaymentError

MAX_DAYS = 92
# Column names as the Midtrans dashboard exports them; the first one found is used.
COLUMNS = {
    "reference": ("Order ID", "order_id"),
    "transaction_id": ("Transaction ID", "transaction_id"),
    "channel": ("Payment Type", "payment_type"),
    "amount": ("Gross Amount", "Amount", "gross_amount"),
    "fee": ("Fee", "MDR", "fee"),
    "settled_at": ("Settlement Time", "Settlement Date", "settlement_time"),
}

PROBLEMS = {
    "paid_there_not_here": _l("Paid at the gateway, not recorded here"),
    "paid_here_not_there": _l("Recorded paid here, not paid at the gateway"),
    "amount_differs": _l("Amounts differ"),
    "unknown_here": _l("Not a payment made by this shop"),
    "unreachable": _l("The gateway did not answer"),
}


@dataclass(frozen=True)
class TheirSide:
    paid: bool
    amount: int | None
    fee: int | None = None
    status: str = ""


@dataclass
class Row:
    reference: str
    purpose: str = ""
    order_id: int | None = None
    our_status: str = ""
    our_amount: int | None = None
    their_status: str = ""
    their_amount: int | None = None
    fee: int | None = None
    problem: str = ""

    @property
    def problem_label(self) -> str:
        return str(PROBLEMS[self.problem]) if self.problem else ""


@dataclass
class Report:
    start: date
    end: date
    source: str
    rows: list[Row] = field(default_factory=list)

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if row.problem]

    @property
    def gross(self) -> int:
        return sum(row.their_amount or 0 for row in self.rows if row.their_status == "paid")

    @property
    def fees(self) -> int:
        return sum(row.fee or 0 for row in self.rows)

    @property
    def net(self) -> int:
        return self.gross - self.fees


def check_range(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise OrderError(_l("Choose the first and the last day."), field="start")
    if end < start:
        raise OrderError(_l("The last day cannot be before the first."), field="end")
    if (end - start).days >= MAX_DAYS:
        raise OrderError(_l("Choose at most %(days)d days at a time.", days=MAX_DAYS), field="end")
    return start, end


def _ours(start: date, end: date) -> list[GatewayPayment]:
    low, high = utc_bounds(start, end)
    return db.session.scalars(
        select(GatewayPayment)
        .where(GatewayPayment.created_at >= low, GatewayPayment.created_at < high)
        .order_by(GatewayPayment.id)
    ).all()


def read_settlement_file(data: bytes) -> dict[str, TheirSide]:
    """The settlement CSV: {reference: what the gateway settled}. Raises OrderError with the
    line at fault; nothing of the file is stored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OrderError(_l("The file is not a CSV export (UTF-8 text)."), field="file") from error
    reader = csv.DictReader(io.StringIO(text))
    names = {name.strip(): name for name in reader.fieldnames or []}
    columns = {}
    for key, candidates in COLUMNS.items():
        columns[key] = next((names[c] for c in candidates if c in names), None)
    if columns["reference"] is None or columns["amount"] is None:
        raise OrderError(
            _l(
                "The file has no “Order ID” and “Gross Amount” columns: is it the "
                "settlement report?"
            ),
            field="file",
        )
    found: dict[str, TheirSide] = {}
    for number, row in enumerate(reader, start=2):
        reference = (row.get(columns["reference"]) or "").strip()
        if not reference:
            continue
        amount = whole_rupiah((row.get(columns["amount"]) or "").strip())
        fee_text = (row.get(columns["fee"]) or "").strip() if columns["fee"] else ""
        fee = whole_rupiah(fee_text) if fee_text else None
        if amount is None or (fee_text and fee is None):
            raise OrderError(
                _l("Line %(line)d: the amount is not a number of rupiah.", line=number),
                field="file",
            )
        found[reference] = TheirSide(paid=True, amount=amount, fee=fee, status="settlement")
    return found


def _ask_the_gateway(payments: list[GatewayPayment]) -> dict[str, TheirSide | None]:
    """The status API about each payment the gateway knows (no lock held: a report reads)."""
    answers: dict[str, TheirSide | None] = {}
    provider = gateway()
    for payment in payments:
        if not payment.transaction_id:
            continue
        try:
            status = provider.status(payment.reference)
        except PaymentError:
            answers[payment.reference] = None
            continue
        if status is not None:
            answers[payment.reference] = TheirSide(
                paid=status.state in (PaymentState.PAID, PaymentState.REFUNDED),
                amount=status.amount,
                fee=status.fee,
                status=status.raw_status,
            )
    return answers


def reconcile(start: date, end: date, *, settlement: dict[str, TheirSide] | None = None) -> Report:
    start, end = check_range(start, end)
    ours = _ours(start, end)
    source = "file" if settlement is not None else "api"
    theirs = settlement if settlement is not None else _ask_the_gateway(ours)
    report = Report(start=start, end=end, source=source)
    seen = set()
    for payment in ours:
        seen.add(payment.reference)
        paid_here = payment.status == PaymentState.PAID
        row = Row(
            reference=payment.reference,
            purpose=payment.purpose,
            order_id=payment.order_id,
            our_status=payment.status,
            our_amount=payment.paid_amount if payment.paid_amount is not None else payment.amount,
        )
        if payment.reference in theirs and theirs[payment.reference] is None:
            row.problem = "unreachable"
            report.rows.append(row)
            continue
        their = theirs.get(payment.reference)
        if their is not None:
            row.their_status = "paid" if their.paid else their.status
            row.their_amount = their.amount
            row.fee = their.fee if their.fee is not None else payment.fee
        if their is not None and their.paid and not paid_here:
            row.problem = "paid_there_not_here"
        elif paid_here and (their is None or not their.paid):
            # A settlement file lists only settled money; the API answers for every payment.
            row.problem = "paid_here_not_there"
        elif paid_here and their is not None and their.amount != payment.amount:
            row.problem = "amount_differs"
        if row.problem or their is not None or paid_here:
            report.rows.append(row)
    extra = [reference for reference in settlement or {} if reference not in seen]
    known = {
        payment.reference: payment
        for payment in db.session.scalars(
            select(GatewayPayment).where(GatewayPayment.reference.in_(extra))
        )
    }
    for reference in extra:
        their = settlement[reference]
        payment = known.get(reference)
        if payment is not None:  # made before the range, settled in it
            problem = ""
            if payment.status != PaymentState.PAID:
                problem = "paid_there_not_here"
            elif their.amount != payment.amount:
                problem = "amount_differs"
            report.rows.append(
                Row(
                    reference=reference,
                    purpose=payment.purpose,
                    order_id=payment.order_id,
                    our_status=payment.status,
                    our_amount=payment.amount,
                    their_status="paid",
                    their_amount=their.amount,
                    fee=their.fee,
                    problem=problem,
                )
            )
        else:
            report.rows.append(
                Row(
                    reference=reference,
                    their_status="paid",
                    their_amount=their.amount,
                    fee=their.fee,
                    problem="unknown_here",
                )
            )
    report.rows.sort(key=lambda row: (not row.problem, row.reference))
    return report
