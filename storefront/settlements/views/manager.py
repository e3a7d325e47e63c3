"""Managers' settlement pages: the month's statements, closing, paying, payout file,
statement documents and the reconciliation drill-down."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront import audit
from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.auth.sessions import recent_auth_required
from storefront.catalog.models import Product
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.files import send_private
from storefront.forms import flash_error
from storefront.money import MAX_AMOUNT, AmountTooLarge, InvalidAmount, format_rupiah, parse_rupiah
from storefront.security import no_store
from storefront.settlements import bp, figures
from storefront.settlements import services as service
from storefront.settlements.documents import (
    payment_rows,
    payout_csv,
    statement_csv,
    statement_pdf,
    status_label,
    summary_rows,
)
from storefront.settlements.forms import AdvanceForm, AnswerForm, ConfirmForm, MonthForm, PayForm
from storefront.settlements.models import Settlement, SettlementComment
from storefront.settlements.reconcile import line_documents
from storefront.stock.history import document_label, kind_label
from storefront.templating import outlet
from storefront.uploads import UploadRejected, save_document


def _month_arg() -> date:
    raw = request.args.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today_wib().replace(day=1)


def _statement(settlement_id: int) -> Settlement:
    settlement = db.session.get(Settlement, settlement_id)
    if settlement is None:
        abort(404)
    return settlement


def _back(settlement: Settlement):
    return redirect(url_for("settlements.settlement_detail", settlement_id=settlement.id))


def _download(data, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    response = Response(data, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def filename(settlement: Settlement, extension: str) -> str:
    return f"statement-{settlement.vendor.slug}-{settlement.period_start:%Y-%m-%d}.{extension}"


@bp.route("/manage/settlements")
@role_required(Role.MANAGER)
def settlement_periods():
    month = _month_arg()
    statements = service.statements_for_period(month)
    return render_template(
        "settlements/periods.html",
        month=month,
        months=service.months_with_statements(),
        statements=statements,
        unpaid=service.unpaid_closed(),
        form=MonthForm(data={"month": f"{month:%Y-%m}"}),
        confirm=ConfirmForm(),
        status_label=status_label,
        totals={
            key: sum(getattr(s, key) for s in statements)
            for key in ("gross_online", "gross_counter", "commission", "net_payable")
        },
    )


@bp.route("/manage/settlements/generate", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_generate():
    form = MonthForm()
    if not form.validate_on_submit():
        flash(_("Choose a month."), "error")
        return redirect(url_for("settlements.settlement_periods"))
    year, month = (int(part) for part in form.month.data.split("-"))
    statements = service.generate_month(year, month, actor=current_user)
    flash(_("%(count)d statements are ready as drafts.", count=len(statements)), "success")
    return redirect(url_for("settlements.settlement_periods", month=form.month.data))


@bp.route("/manage/settlements/<int:settlement_id>")
@role_required(Role.MANAGER)
def settlement_detail(settlement_id: int):
    settlement = _statement(settlement_id)
    service.refresh(settlement)
    return render_template(
        "settlements/detail.html",
        settlement=settlement,
        summary=summary_rows(settlement),
        pending_refunds=service.pending_refunds(settlement),
        markdowns=figures.markdowns(
            settlement.vendor_id, settlement.period_start, settlement.period_end
        ),
        payment=payment_rows(settlement),
        status_label=status_label,
        confirm=ConfirmForm(),
        can_close=service.period_has_ended(settlement),
        running=settlement.period_start <= today_wib() <= settlement.period_end,
        pay_form=PayForm(data={"paid_on": today_wib(), "amount": str(settlement.net_payable)}),
        advance_form=AdvanceForm(data={"paid_on": today_wib()}),
        answer_form=AnswerForm(),
    )


@bp.route("/manage/settlements/<int:settlement_id>/close", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_close(settlement_id: int):
    settlement = _statement(settlement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.close_settlement(settlement, actor=current_user)
    except service.SettlementError as error:
        flash_error(error)
        return _back(settlement), 303
    flash(_("The statement is closed. Its figures can no longer change."), "success")
    return _back(settlement)


def _posted_amount(form) -> int | None:
    """The rupiah amount of a posted payment or advance form, or None once the reason it was
    refused (a form error, an amount too large or not whole rupiah) is flashed."""
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        flash(" ".join(str(e) for e in errors), "error")
        return None
    try:
        return parse_rupiah(form.amount.data)
    except AmountTooLarge:
        flash(_("At most %(amount)s.", amount=format_rupiah(MAX_AMOUNT)), "error")
    except InvalidAmount:
        flash(_("Enter the amount as whole rupiah, e.g. 250.000."), "error")
    return None


@bp.route("/manage/settlements/<int:settlement_id>/advance", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_advance(settlement_id: int):
    """Pay part of what the running period has earned so far; its statement deducts it."""
    settlement = _statement(settlement_id)
    form = AdvanceForm()
    amount = _posted_amount(form)
    if amount is None:
        return _back(settlement), 303
    advance = service.Advance(
        amount=amount,
        paid_on=form.paid_on.data,
        reference=form.reference.data,
        note=form.note.data or "",
    )
    try:
        record = service.record_advance(settlement.vendor, advance, actor=current_user)
    except service.SettlementError as error:
        flash_error(error)
        return _back(settlement), 303
    flash(
        _(
            "The advance of %(amount)s is recorded; the statement deducts it when it closes.",
            amount=format_rupiah(amount),
        ),
        "success",
    )
    return redirect(url_for("settlements.settlement_detail", settlement_id=record.settlement_id))


@bp.route("/manage/settlements/<int:settlement_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_delete(settlement_id: int):
    settlement = _statement(settlement_id)
    month = f"{settlement.period_start:%Y-%m}"
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.delete_settlement(settlement, actor=current_user)
    except service.SettlementError as error:
        flash_error(error)
        return _back(settlement), 303
    flash(_("The draft statement was deleted."), "success")
    return redirect(url_for("settlements.settlement_periods", month=month))


@bp.route("/manage/settlements/<int:settlement_id>/pay", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_pay(settlement_id: int):
    settlement = _statement(settlement_id)
    form = PayForm()
    amount = _posted_amount(form)
    if amount is None:
        return _back(settlement), 303
    stored = None
    if form.proof.data:
        try:
            stored = save_document(form.proof.data, folder=f"settlements/{settlement.vendor_id}")
        except UploadRejected as error:
            flash_error(error)
            return _back(settlement), 303
    payment = service.Payment(
        paid_on=form.paid_on.data,
        reference=form.reference.data,
        amount=amount,
        note=form.note.data or "",
        confirmed=form.confirmed.data,
        holder_confirmed=form.holder_confirmed.data or "",
        proof_key=stored.path if stored else None,
        proof_mime=stored.mime if stored else None,
    )
    try:
        service.mark_paid(settlement, payment, actor=current_user)
    except service.SettlementError as error:
        flash_error(error)
        return _back(settlement), 303
    flash(_("The payment is recorded."), "success")
    return _back(settlement)


@bp.route("/manage/settlements/<int:settlement_id>/proof")
@role_required(Role.MANAGER)
def settlement_proof(settlement_id: int):
    settlement = _statement(settlement_id)
    if not settlement.proof_key:
        abort(404)
    extension = settlement.proof_key.rsplit(".", 1)[-1]
    return send_private(
        settlement.proof_key, settlement.proof_mime, f"proof-ST-{settlement.id:06d}.{extension}"
    )


@bp.route("/manage/settlements/<int:settlement_id>/statement.pdf")
@role_required(Role.MANAGER)
def settlement_pdf(settlement_id: int):
    settlement = _statement(settlement_id)
    data = statement_pdf(settlement, outlet())
    return _download(data, "application/pdf", filename(settlement, "pdf"), inline=True)


@bp.route("/manage/settlements/<int:settlement_id>/statement.csv")
@role_required(Role.MANAGER)
def settlement_csv(settlement_id: int):
    settlement = _statement(settlement_id)
    return _download(statement_csv(settlement), "text/csv", filename(settlement, "csv"))


@bp.route("/manage/settlements/payouts.csv", methods=["POST"])
@role_required(Role.ADMIN)
@no_store
@recent_auth_required
def settlement_payouts_csv():
    """POST, not GET: it reveals full account numbers, so it is a deliberate, audited act."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    statements = service.unpaid_closed()
    audit.record(
        current_user,
        "settlement.payout_export",
        service.MonthBatch(),
        after={"statements": [s.id for s in statements], "fields": ["bank_account"]},
    )
    return _download(payout_csv(statements), "text/csv", f"payouts-{today_wib().isoformat()}.csv")


@bp.route("/manage/settlements/<int:settlement_id>/lines/<int:product_id>")
@role_required(Role.MANAGER)
def settlement_line(settlement_id: int, product_id: int):
    settlement = _statement(settlement_id)
    # A product with sizes or colours: the subtotal of its variants' lines.
    line = next((p for p in settlement.products if p.product_id == product_id), None)
    product = db.session.get(Product, product_id)
    if line is None or product is None:
        abort(404)
    return render_template(
        "settlements/line.html",
        settlement=settlement,
        line=line,
        product=product,
        documents=line_documents(settlement, product_id),
        kind_label=kind_label,
        document_label=document_label,
    )


@bp.route("/manage/settlements/comments/<int:comment_id>/answer", methods=["POST"])
@role_required(Role.MANAGER)
def settlement_answer(comment_id: int):
    comment = db.session.get(SettlementComment, comment_id)
    if comment is None:
        abort(404)
    settlement = _statement(comment.settlement_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Write the answer first."), "error")
        return _back(settlement), 303
    service.answer_comment(comment, form.answer.data, actor=current_user)
    flash(_("Your answer is saved; the vendor sees it on the statement."), "success")
    return _back(settlement)
