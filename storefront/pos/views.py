"""Counter pages: HTTP only. The rules live in pos/services.py and pos/selling.py.

The running sale is kept in the signed session cookie (variant ids and quantities, a few dozen
bytes), so it survives a reload, works on any worker and never touches the books until paid.
"""

from __future__ import annotations

import contextlib

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.auth.throttle import password_guess_limits
from storefront.database import after_commit, commit_now
from storefront.extensions import db
from storefront.forms import flash_error, form_error
from storefront.navigation import page_number
from storefront.payments.gateway import PaymentState, gateway, gateway_enabled
from storefront.payments.providers import PaymentError
from storefront.payments.qr import qr_svg
from storefront.pos import bp, documents, gateway_sale, selling, services
from storefront.pos.forms import (
    AddForm,
    CloseShiftForm,
    OpenShiftForm,
    PaymentForm,
    QuantityForm,
    ScanForm,
    VoidForm,
)
from storefront.pos.models import Shift
from storefront.pos.selling import RunningSale
from storefront.pos.services import PosError
from storefront.templating import outlet

COUNTER_STAFF = (Role.CASHIER, Role.MANAGER)
SESSION_KEY = "pos_sale"
QRIS_KEY = "pos_qris"  # the running sale's dynamic QRIS payment, while it waits
PAPER_WIDTHS = ("58", "80")


@bp.context_processor
def _helpers() -> dict:
    return {"method_label": documents.method_label}


def _running(shift: Shift) -> RunningSale:
    data = session.get(SESSION_KEY) or {}
    if data.get("shift_id") != shift.id:
        return RunningSale()
    return RunningSale.from_data(data)


def _keep(shift: Shift, sale: RunningSale) -> None:
    session[SESSION_KEY] = {"shift_id": shift.id, **sale.to_data()}


def _forget() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(QRIS_KEY, None)


def _forget_shift() -> None:
    """A new or closed shift starts clean: no running sale, no "last receipt" link."""
    _forget()
    session.pop("pos_last_sale", None)


def _my_shift() -> Shift | None:
    return services.open_shift_of(current_user.id)


def _to_counter():
    return redirect(url_for("pos.counter"))


def _variant_id() -> int | None:
    """The size or colour a line's form names (none for a product without options)."""
    raw = request.form.get("variant_id", "")
    return int(raw) if raw.isdigit() else None


def _sale_screen(
    shift: Shift, *, payment_form=None, scan_form=None, status: int = 200, choose=None
):
    sale = _running(shift)
    lines = selling.lines_of(sale)
    query = request.args.get("q", "").strip()[:120]
    results = selling.search(query) if query else []
    # The sizes of a product scanned by its own code, and of the products found by name.
    sizes = {
        product.id: selling.variant_choices(product)
        for product in [*results, *([choose] if choose is not None else [])]
        if product.has_options
    }
    qris = gateway_sale.payment_for(session.get(QRIS_KEY))
    if qris is not None and qris.status not in (PaymentState.PENDING, PaymentState.PAID):
        qris = None
    page = render_template(
        "pos/counter.html",
        shift=shift,
        lines=lines,
        total=sum(line.amount for line in lines),
        scan_form=scan_form or ScanForm(formdata=None),
        payment_form=payment_form or PaymentForm(formdata=None),
        quantity_form=QuantityForm(formdata=None),
        add_form=AddForm(formdata=None),
        query=query,
        results=results,
        choose=choose,
        sizes=sizes,
        last_sale=services.sale_details(session.get("pos_last_sale") or 0),
        dynamic_qris=gateway_enabled(),
        qris=qris,
        qris_code=qr_svg(qris.qr_string) if qris is not None and qris.qr_string else "",
    )
    return page, status


@bp.route("/", methods=["GET"])
@role_required(*COUNTER_STAFF)
def counter():
    shift = _my_shift()
    if shift is None:
        return render_template("pos/open_shift.html", form=OpenShiftForm(formdata=None))
    return _sale_screen(shift)


@bp.route("/shift/open", methods=["POST"])
@role_required(*COUNTER_STAFF)
def open_shift():
    form = OpenShiftForm()
    if form.validate_on_submit():
        try:
            services.open_shift(current_user, form.opening_float.data)
        except PosError as exc:
            form_error(form, exc)
        else:
            _forget_shift()
            flash(_("Shift opened. Scan the first product."), "success")
            return _to_counter()
    return render_template("pos/open_shift.html", form=form), 400


@bp.route("/scan", methods=["POST"])
@role_required(*COUNTER_STAFF)
def scan():
    shift = _my_shift()
    if shift is None:
        return _to_counter()
    form = ScanForm()
    if not form.validate_on_submit():
        return _sale_screen(shift, scan_form=form, status=400)
    sale = _running(shift)
    text = (form.code.data or "").strip()
    try:
        variant = selling.scan(sale, text)
    except selling.ChooseVariant as exc:
        form_error(form, exc, default="code")
        return _sale_screen(shift, scan_form=form, status=400, choose=exc.product)
    except PosError as exc:
        form_error(form, exc, default="code")
        return _sale_screen(shift, scan_form=form, status=400)
    if variant is None:
        # Not a code: treat it as words of a product name.
        return redirect(url_for("pos.counter", q=text))
    _keep(shift, sale)
    _added(variant, sale)
    return _to_counter()


def _added(variant, sale: RunningSale) -> None:
    flash(
        _(
            "%(product)s: %(quantity)d",
            product=variant.display_name(),
            quantity=sale.lines[variant.id],
        ),
        "success",
    )


@bp.route("/lines/<int:product_id>/add", methods=["POST"])
@role_required(*COUNTER_STAFF)
def add_line(product_id: int):
    shift = _my_shift()
    if shift is None:
        return _to_counter()
    if AddForm().validate_on_submit():
        sale = _running(shift)
        try:
            variant = selling.add(sale, product_id, variant_id=_variant_id())
        except selling.ChooseVariant as exc:
            flash_error(exc)
            return _sale_screen(shift, status=400, choose=exc.product)
        except PosError as exc:
            flash_error(exc)
        else:
            _keep(shift, sale)
            _added(variant, sale)
    return _to_counter()


@bp.route("/lines/<int:product_id>", methods=["POST"])
@role_required(*COUNTER_STAFF)
def set_quantity(product_id: int):
    shift = _my_shift()
    if shift is None:
        return _to_counter()
    form = QuantityForm()
    sale = _running(shift)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return _to_counter()
    try:
        selling.set_quantity(sale, product_id, form.quantity.data, variant_id=_variant_id())
    except PosError as exc:
        flash_error(exc)
    else:
        _keep(shift, sale)
    return _to_counter()


@bp.route("/lines/<int:product_id>/remove", methods=["POST"])
@role_required(*COUNTER_STAFF)
def remove_line(product_id: int):
    shift = _my_shift()
    if shift is None:
        return _to_counter()
    if AddForm().validate_on_submit():
        sale = _running(shift)
        selling.remove(sale, product_id, _variant_id())
        _keep(shift, sale)
    return _to_counter()


@bp.route("/clear", methods=["POST"])
@role_required(*COUNTER_STAFF)
def clear():
    if AddForm().validate_on_submit():
        _forget()
        flash(_("Sale cleared."), "info")
    return _to_counter()


@bp.route("/pay", methods=["POST"])
@role_required(*COUNTER_STAFF)
def pay():
    shift = _my_shift()
    if shift is None:
        return _to_counter()
    form = PaymentForm()
    if not form.validate_on_submit():
        return _sale_screen(shift, payment_form=form, status=400)
    paid = selling.PaymentInput(
        cash_tendered=form.cash.data,
        qris=form.qris.data,
        qris_reference=form.qris_reference.data or "",
        debit=form.debit.data,
        debit_reference=form.debit_reference.data or "",
        exact_cash="exact" in request.form,
    )
    try:
        sale = selling.ring_up(shift, current_user, _running(shift), paid)
    except PosError as exc:
        if exc.field in ("code", "quantity"):
            flash_error(exc)
        else:
            form_error(form, exc)
        return _sale_screen(shift, payment_form=form, status=400)
    _forget()
    session["pos_last_sale"] = sale.id
    return redirect(url_for("pos.receipt", sale_id=sale.id))


# --- dynamic QRIS ------------------------------------------------------------------------


@bp.route("/qris", methods=["POST"])
@role_required(*COUNTER_STAFF)
def qris_start():
    """A QR code for the running sale's total, from the payment gateway. Two units of work:
    the payment is stored before the gateway is asked, and no lock is held meanwhile."""
    shift = _my_shift()
    if shift is None or not AddForm().validate_on_submit() or not gateway_enabled():
        return _to_counter()
    try:
        payment = gateway_sale.prepare(shift, current_user, _running(shift))
    except PosError as exc:
        flash_error(exc)
        return _to_counter()
    payment_id = payment.id
    commit_now()
    try:
        answer = gateway_sale.charge(payment)
    except PaymentError as error:
        flash(
            _(
                "No QR code: %(reason)s. Take the static QRIS with its reference, or cash.",
                reason=error.message,
            ),
            "error",
        )
        return _to_counter()
    gateway_sale.store(payment_id, answer)
    session[QRIS_KEY] = payment_id
    return _to_counter()


@bp.route("/qris/status", methods=["GET"])
@role_required(*COUNTER_STAFF)
def qris_status():
    """For the till's live status (static/js/payment.js): has the QRIS payment arrived?"""
    payment = gateway_sale.payment_for(session.get(QRIS_KEY))
    return jsonify(status=payment.status if payment is not None else None)


@bp.route("/qris/complete", methods=["POST"])
@role_required(*COUNTER_STAFF)
def qris_complete():
    shift = _my_shift()
    if shift is None or not AddForm().validate_on_submit():
        return _to_counter()
    try:
        sale = gateway_sale.complete(
            shift, current_user, _running(shift), session.get(QRIS_KEY) or 0
        )
    except PosError as exc:
        flash_error(exc)
        return _to_counter()
    _forget()
    session["pos_last_sale"] = sale.id
    return redirect(url_for("pos.receipt", sale_id=sale.id))


@bp.route("/qris/cancel", methods=["POST"])
@role_required(*COUNTER_STAFF)
def qris_cancel():
    if not AddForm().validate_on_submit():
        return _to_counter()
    try:
        payment = gateway_sale.cancel(current_user, session.get(QRIS_KEY) or 0)
    except PosError as exc:
        flash_error(exc)
        return _to_counter()
    session.pop(QRIS_KEY, None)
    reference = payment.reference

    def close():
        with contextlib.suppress(PaymentError):
            gateway().expire(reference)

    after_commit(close)
    flash(_("QR code cancelled."), "info")
    return _to_counter()


def _sale_or_404(sale_id: int):
    sale = services.sale_details(sale_id)
    if sale is None:
        abort(404)
    return sale


def _paper() -> str:
    paper = request.args.get("paper", "80")
    return paper if paper in PAPER_WIDTHS else "80"


@bp.route("/sales/<int:sale_id>", methods=["GET"])
@role_required(*COUNTER_STAFF)
def receipt(sale_id: int):
    sale = _sale_or_404(sale_id)
    return render_template("pos/receipt.html", sale=sale, paper=_paper(), widths=PAPER_WIDTHS)


@bp.route("/sales/<int:sale_id>/receipt.pdf", methods=["GET"])
@role_required(*COUNTER_STAFF)
def receipt_pdf(sale_id: int):
    sale = _sale_or_404(sale_id)
    pdf = documents.receipt_pdf(sale, outlet(), int(_paper()))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{sale.number}.pdf"'},
    )


def _approves_own_voids() -> bool:
    return current_user.is_authenticated and services.is_manager(current_user)


@bp.route("/sales/<int:sale_id>/void", methods=["GET", "POST"])
# A cashier types a manager's password here: the sign-in limits apply, in the same buckets.
@password_guess_limits("approver_email", exempt_when=_approves_own_voids)
@role_required(*COUNTER_STAFF)
def void(sale_id: int):
    sale = _sale_or_404(sale_id)
    form = VoidForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.void_sale(
                sale,
                current_user,
                form.reason.data,
                form.approver_email.data or "",
                form.approver_password.data or "",
            )
        except PosError as exc:
            form_error(form, exc)
            status = 400
        else:
            flash(_("Sale %(number)s voided; its goods are back in stock.", number=sale.number))
            return redirect(url_for("pos.receipt", sale_id=sale.id))
    elif request.method == "POST":
        status = 400
    form.approver_password.data = ""
    needs_approval = not services.is_manager(current_user)
    return (
        render_template("pos/void.html", sale=sale, form=form, needs_approval=needs_approval),
        status,
    )


@bp.route("/shift/close", methods=["GET", "POST"])
@role_required(*COUNTER_STAFF)
def close_shift():
    shift = _my_shift()
    if shift is None:
        flash(_("You have no open shift."), "info")
        return _to_counter()
    form = CloseShiftForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.close_shift(shift, current_user, form.counted_cash.data, form.note.data)
        except PosError as exc:
            form_error(form, exc)
            status = 400
        else:
            _forget_shift()
            flash(_("Shift closed."), "success")
            return redirect(url_for("pos.shift_report", shift_id=shift.id))
    elif request.method == "POST":
        status = 400
    summary = services.summarise(db.session.get(Shift, shift.id))
    return render_template("pos/close_shift.html", summary=summary, form=form), status


@bp.route("/shifts", methods=["GET"])
@role_required(*COUNTER_STAFF)
def shifts():
    page = page_number()
    return render_template("pos/shifts.html", shifts=services.recent_shifts(page), page=page)


@bp.route("/shifts/<int:shift_id>", methods=["GET"])
@role_required(*COUNTER_STAFF)
def shift_report(shift_id: int):
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        abort(404)
    return render_template(
        "pos/shift_report.html",
        summary=services.summarise(shift),
        sales=services.shift_sales(shift.id),
        pickups=services.shift_pickups(shift.id),
    )
