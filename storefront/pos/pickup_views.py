"""The till's pickup desk: find an online pickup order, check its code and name, take the
payment into the open shift, hand it over. HTTP only; the rules live in pos/pickups.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.forms import form_error
from storefront.money import format_rupiah
from storefront.orders.services import OrderError
from storefront.pos import bp, pickups, services
from storefront.pos.forms import PickupForm
from storefront.pos.services import PosError
from storefront.security import no_store

COUNTER_STAFF = (Role.CASHIER, Role.MANAGER)


@bp.route("/pickups", methods=["GET"])
@role_required(*COUNTER_STAFF)
@no_store
def pickups_ready():
    query = request.args.get("q", "").strip()[:80]
    return render_template(
        "pos/pickups.html",
        orders=pickups.ready_orders(query),
        query=query,
        shift=services.open_shift_of(current_user.id),
    )


@bp.route("/pickups/<int:order_id>", methods=["GET", "POST"])
@role_required(*COUNTER_STAFF)
@no_store
def pickup_hand_over(order_id: int):
    order = pickups.ready_order(order_id) or abort(404)
    shift = services.open_shift_of(current_user.id)
    form = PickupForm()
    status = 200
    if form.validate_on_submit():
        try:
            taken = pickups.hand_over(
                shift,
                current_user,
                order,
                form.code.data,
                form.collector_name.data,
                pickups.PickupPaymentInput(
                    method=form.method.data or "",
                    tendered=form.tendered.data,
                    reference=form.reference.data or "",
                ),
            )
        except (PosError, OrderError) as exc:
            form_error(form, exc, default="code")
            status = 400
        else:
            if taken is not None and taken.change:
                flash(
                    _(
                        "Order %(number)s handed over. Give %(change)s change.",
                        number=order.number,
                        change=format_rupiah(taken.change),
                    ),
                    "success",
                )
            else:
                flash(_("Order %(number)s handed over.", number=order.number), "success")
            return redirect(url_for("pos.pickups_ready"))
    elif request.method == "POST":
        status = 400
    return (
        render_template("pos/pickup.html", order=order, form=form, shift=shift),
        status,
    )
