"""The manager's side of orders: the work queues, an order's page with its next steps, the
pick list, payment at the counter, hand-over and refunds. HTTP only; the rules live in
orders/fulfilment.py and orders/refunds.py."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.forms import flash_error, form_error
from storefront.money import format_rupiah
from storefront.navigation import page_number
from storefront.orders import bp, fulfilment, reconciliation, refunds, services
from storefront.orders.manage_forms import (
    CancelForm,
    CompleteForm,
    PaymentForm,
    QuantityError,
    ReconcileForm,
    RefundForm,
    StepForm,
    line_quantities,
)
from storefront.orders.models import Order, OrderEvent, OrderStatus, PaidWith, Refund
from storefront.orders.services import OrderError
from storefront.payments.gateway import gateway_enabled
from storefront.payments.providers import PaymentError
from storefront.phones import whatsapp_link
from storefront.security import no_store


@bp.app_template_global("orders_to_pack")
def orders_to_pack() -> int:
    """For the manager menu: orders waiting to be packed (counted once per request)."""
    if "orders_to_pack" not in g:
        g.orders_to_pack = fulfilment.to_pack_count()
    return g.orders_to_pack


def _order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return services.refresh(order)


def _back(order: Order):
    return redirect(url_for("orders.manage_order", order_id=order.id))


@bp.route("/manage/orders")
@role_required(Role.MANAGER)
@no_store
def manage_queue():
    tab = request.args.get("tab", "to_pack")
    if tab not in fulfilment.QUEUE_LABELS:
        tab = "to_pack"
    query = request.args.get("q", "").strip()[:80]
    services.expire_unpaid_orders()  # an order whose time ran out is not work any more
    return render_template(
        "orders/manage/queue.html",
        results=fulfilment.queue(tab, query, page_number()),
        tab=tab,
        query=query,
        tabs=fulfilment.QUEUE_LABELS,
        counts=fulfilment.queue_counts(),
        status_label=services.status_label,
        gateway=gateway_enabled(),
    )


@bp.route("/manage/orders/pick-list")
@role_required(Role.MANAGER)
def manage_pick_list():
    orders = fulfilment.orders_to_pack()
    return render_template(
        "orders/manage/pick_list.html",
        orders=orders,
        groups=fulfilment.pick_list(orders),
        today=today_wib(),
    )


def _render_order(order: Order, *, status: int = 200, **forms):
    events = db.session.scalars(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id)
        .options(selectinload(OrderEvent.actor))
        .order_by(OrderEvent.id)
    ).all()
    order_refunds = db.session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
    ).all()
    unpaid = not order.is_paid
    page = render_template(
        "orders/manage/order.html",
        order=order,
        events=events,
        refunds=order_refunds,
        steps=fulfilment.next_steps(order),
        groups=fulfilment.pick_list([order]),
        status_label=services.status_label,
        paid_with=PaidWith(order.paid_with) if order.paid_with else None,
        step_form=StepForm(),
        payment_form=forms.get("payment_form") or PaymentForm(),
        complete_form=forms.get("complete_form") or CompleteForm(unpaid=unpaid),
        cancel_form=forms.get("cancel_form") or CancelForm(),
        whatsapp=fulfilment.ready_whatsapp_link(order)
        if order.status == OrderStatus.READY_FOR_PICKUP
        else whatsapp_link(order.phone),
        just_ready=request.args.get("ready") == "1",
    )
    return page, status


@bp.route("/manage/orders/<int:order_id>")
@role_required(Role.MANAGER)
@no_store
def manage_order(order_id: int):
    return _render_order(_order(order_id))


def _step(order_id: int, action, done_message: str):
    order = _order(order_id)
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        result = action(order)
    except OrderError as exc:
        flash_error(exc)
        return _back(order)
    flash(done_message, "success")
    return result if result is not None else _back(order)


@bp.route("/manage/orders/<int:order_id>/pack", methods=["POST"])
@role_required(Role.MANAGER)
def manage_pack(order_id: int):
    return _step(
        order_id,
        lambda order: fulfilment.pack(order, actor=current_user),
        _("Marked as packed."),
    )


@bp.route("/manage/orders/<int:order_id>/ready", methods=["POST"])
@role_required(Role.MANAGER)
def manage_ready(order_id: int):
    def ready(order):
        fulfilment.ready_for_pickup(order, actor=current_user)
        return redirect(url_for("orders.manage_order", order_id=order.id, ready=1))

    return _step(
        order_id, ready, _("Ready for pickup: the shopper has been emailed the pickup code.")
    )


@bp.route("/manage/orders/<int:order_id>/out-for-delivery", methods=["POST"])
@role_required(Role.MANAGER)
def manage_out_for_delivery(order_id: int):
    return _step(
        order_id,
        lambda order: fulfilment.out_for_delivery(order, actor=current_user),
        _("Out for delivery."),
    )


def _payment(form) -> fulfilment.Payment | None:
    if not form.paid_with.data:
        return None
    return fulfilment.Payment(PaidWith(form.paid_with.data), form.reference.data or "")


@bp.route("/manage/orders/<int:order_id>/paid", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def manage_take_payment(order_id: int):
    order = _order(order_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _render_order(order, status=400, payment_form=form)
    try:
        fulfilment.take_payment(order, _payment(form), actor=current_user)
    except OrderError as exc:
        form_error(form, exc)
        return _render_order(order, status=400, payment_form=form)
    flash(_("Payment of %(total)s recorded.", total=format_rupiah(order.total)), "success")
    return _back(order)


def _complete(order_id: int, handing_over: bool):
    order = _order(order_id)
    form = CompleteForm(unpaid=not order.is_paid)
    if not form.validate_on_submit():
        return _render_order(order, status=400, complete_form=form)
    try:
        if handing_over:
            fulfilment.hand_over(
                order,
                form.code.data or "",
                form.collector_name.data or "",
                actor=current_user,
                payment=_payment(form),
            )
        else:
            fulfilment.complete_delivery(order, actor=current_user, payment=_payment(form))
    except OrderError as exc:
        form_error(form, exc)
        return _render_order(order, status=400, complete_form=form)
    flash(_("Order %(number)s is completed.", number=order.number), "success")
    return _back(order)


@bp.route("/manage/orders/<int:order_id>/hand-over", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def manage_hand_over(order_id: int):
    return _complete(order_id, handing_over=True)


@bp.route("/manage/orders/<int:order_id>/delivered", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def manage_delivered(order_id: int):
    return _complete(order_id, handing_over=False)


@bp.route("/manage/orders/<int:order_id>/cancel", methods=["POST"])
@role_required(Role.MANAGER)
@no_store
def manage_cancel(order_id: int):
    order = _order(order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_order(order, status=400, cancel_form=form)
    try:
        fulfilment.cancel(order, actor=current_user, reason=form.reason.data)
    except OrderError as exc:
        form_error(form, exc)
        return _render_order(order, status=400, cancel_form=form)
    flash(_("Order %(number)s is cancelled; its stock is back on sale.", number=order.number))
    return _back(order)


@bp.route("/manage/orders/<int:order_id>/refund", methods=["GET", "POST"])
@role_required(Role.MANAGER)
@no_store
def manage_refund(order_id: int):
    order = _order(order_id)
    form = RefundForm(order=order)
    if request.method == "GET":
        form.token.data = uuid.uuid4().hex
    quantities: dict[int, int] = {}
    status = 200
    if form.validate_on_submit():
        try:
            quantities = line_quantities(request.form, order)
            record = refunds.refund(
                order,
                method=form.method.data,
                reason=form.reason.data,
                actor=current_user,
                idempotency_key=form.token.data,
                lines=quantities,
                full=form.scope.data == "full",
                restock=form.restock.data,
                transfer=form.transfer(),
            )
        except QuantityError as exc:
            flash(str(exc), "error")
            status = 400
        except OrderError as exc:
            form_error(form, exc)
            status = 400
        else:
            flash(
                _(
                    "%(amount)s refunded; the shopper has been emailed.",
                    amount=format_rupiah(record.amount),
                ),
                "success",
            )
            return _back(order)
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "orders/manage/refund.html",
            order=order,
            form=form,
            quantities=quantities or {},
            posted=request.form if request.method == "POST" else {},
            status_label=services.status_label,
        ),
        status,
    )


@bp.route("/manage/payments/reconciliation", methods=["GET", "POST"])
@role_required(Role.MANAGER)
@no_store
def manage_reconciliation():
    """Gateway transactions against the shop's records for a range: from the gateway's status
    API (GET with a range) or from an uploaded settlement file (POST). Reads only."""
    if not gateway_enabled():
        abort(404)
    posted = request.method == "POST"
    form = ReconcileForm(formdata=request.form if posted else request.args)
    if posted:
        form.file.data = request.files.get("file")
    report, status = None, 200
    if posted or request.args.get("start"):
        try:
            settlement = None
            upload = form.file.data
            if posted:
                if not upload or not upload.filename:
                    raise OrderError(_("Choose the settlement file."), field="file")
                settlement = reconciliation.read_settlement_file(upload.read(2_000_000))
            report = reconciliation.reconcile(form.start.data, form.end.data, settlement=settlement)
        except OrderError as exc:
            form_error(form, exc, default="start")
            status = 400
        except PaymentError as exc:
            flash_error(exc)
            status = 502
    elif not form.start.data:
        form.start.data = form.end.data = today_wib()
    return (
        render_template(
            "orders/manage/reconciliation.html",
            form=form,
            report=report,
            problems=reconciliation.PROBLEMS,
        ),
        status,
    )
