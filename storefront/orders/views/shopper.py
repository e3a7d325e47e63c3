"""The shopper's side of ordering: cart, checkout, order pages, history and guest lookup."""

from __future__ import annotations

import contextlib
import secrets

from flask import (
    abort,
    current_app,
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
from sqlalchemy.orm import selectinload

from storefront.auth.access import ANY_ACCOUNT, public, role_required
from storefront.auth.sessions import keep_at_sign_in
from storefront.catalog import interest, share_links
from storefront.catalog.models import Product
from storefront.database import after_commit, commit_now, ensure_write_lock
from storefront.errors import render_error
from storefront.extensions import csrf, db, limiter
from storefront.forms import flash_error, form_error
from storefront.i18n import current_language
from storefront.navigation import page_number
from storefront.orders import bp, cart, gateway_events, notify, services
from storefront.orders.delivery import delivery_fees
from storefront.orders.forms import CheckoutForm, OrderLookupForm
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.payments.gateway import (
    CHANNEL_LABELS,
    Channel,
    channel_kind,
    gateway,
    gateway_enabled,
)
from storefront.payments.providers import PaymentError, card_payments_enabled, provider
from storefront.payments.qr import qr_svg
from storefront.phones import normalise_phone
from storefront.security import is_cross_site_request, no_store

# Orders placed in this browser, so a guest can come back to them without the email link.
MY_ORDERS = "my_orders"
# Signing in starts a new session (auth/sessions.py); a guest's cart and orders come along.
keep_at_sign_in(cart.SESSION_KEY, MY_ORDERS, share_links.CAME_FROM_KEY)


@bp.app_context_processor
def _cart_badge():
    return {"cart_item_count": cart.item_count}


# --- cart ----------------------------------------------------------------------------------


@bp.route("/cart", endpoint="cart")
@public
def cart_page():
    view = cart.current()
    for message in view.adjustments:
        flash(message, "warning")
    return render_template("orders/cart.html", cart=view)


# Adding to one's own cart is harmless, and a CSRF token on product pages would make them
# uncacheable for anonymous shoppers (docs/decisions.md); the other cart actions keep theirs.
# Instead, a request the browser marks as sent by another site's page is refused.
@bp.route("/cart/add", methods=["POST"])
@csrf.exempt
@public
def add_to_cart():
    if is_cross_site_request():
        return render_error(
            403,
            message=_(
                "The cart can only be changed from this shop's own pages. Open the product in "
                "the shop and add it to the cart there."
            ),
        )
    product_id = request.form.get("product_id", "")
    try:
        variant, in_cart = cart.add(
            product_id, request.form.get("quantity", "1"), request.form.get("variant_id")
        )
    except cart.CartError as error:
        flash_error(error)
        product = db.session.get(Product, int(product_id)) if str(product_id).isdigit() else None
        if product is not None and error.field in ("quantity", "variant_id"):
            return redirect(url_for("shop.product", slug=product.slug))
        return redirect(url_for("orders.cart"))
    product = variant.product
    interest.count_add_to_cart(product.id)  # a daily number, nothing of the shopper's
    came_from = share_links.came_from(session.get(share_links.CAME_FROM_KEY))
    if came_from is not None and came_from[0] == product.vendor_id:
        interest.count_link_add_to_cart(product.id, came_from[1])
    flash(
        _(
            "%(product)s is in your cart (%(count)d).",
            product=variant.display_name(),
            count=in_cart,
        )
    )
    return redirect(url_for("orders.cart"))


def _variant_id_from_form() -> int:
    value = request.form.get("variant_id", "")
    if not value.isdigit():
        abort(400)
    return int(value)


@bp.route("/cart/update", methods=["POST"])
@public
def update_cart():
    try:
        cart.set_quantity(_variant_id_from_form(), request.form.get("quantity", ""))
    except cart.CartError as error:
        flash_error(error)
    return redirect(url_for("orders.cart"))


@bp.route("/cart/remove", methods=["POST"])
@public
def remove_from_cart():
    cart.remove(_variant_id_from_form())
    flash(_("Removed from your cart."))
    return redirect(url_for("orders.cart"))


# --- checkout ------------------------------------------------------------------------------


def _checkout_form(view: cart.CartView) -> tuple[CheckoutForm, bool]:
    form = CheckoutForm()
    # Whether this order reaches the card minimum depends on the delivery fee, known only once
    # the shopper chose a kecamatan: place_order applies the one rule (services.card_minimum).
    card_offered = card_payments_enabled()
    form.set_choices(
        card_offered=card_offered,
        gateway_offered=gateway_enabled(),
        pickup_note=_("Pay at the outlet when collecting, or to our courier (cash, QRIS, debit)"),
    )
    if request.method == "GET" and current_user.is_authenticated:
        form.name.data = form.name.data or current_user.name
        form.email.data = form.email.data or current_user.email
        form.phone.data = form.phone.data or getattr(current_user, "phone", None)
        form.message_channel.data = current_user.message_channel
    return form, card_offered


@bp.route("/checkout", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], scope="checkout")
@public
@no_store
def checkout():
    view = cart.current()
    for message in view.adjustments:
        flash(message, "warning")
    if not view.lines or (view.adjustments and request.method == "POST"):
        # Something sold out since the shopper last looked: they see the adjusted cart first
        # and decide again, rather than getting fewer goods than they asked for.
        if not view.adjustments:
            flash(_("Your cart is empty."), "info")
        return redirect(url_for("orders.cart"))
    form, card_offered = _checkout_form(view)
    if form.validate_on_submit():
        chosen = form.payment_method.data
        via_gateway = chosen in set(Channel)
        details = services.CheckoutDetails(
            name=form.name.data,
            email=form.email.data,
            phone=normalise_phone(form.phone.data),
            fulfilment=form.fulfilment.data,
            payment_method=PaymentMethod.GATEWAY.value if via_gateway else chosen,
            channel=chosen if via_gateway else "",
            kecamatan=form.kecamatan.data or None,
            address=form.address.data,
            note=form.note.data or "",
            locale=current_language(),
            user_id=current_user.id if current_user.is_authenticated else None,
            message_channel=form.message_channel.data or "email",
        )
        quantities = view.quantities()
        try:
            order = services.place_order(
                quantities, details, card_enabled=card_offered, gateway_enabled=gateway_enabled()
            )
        except services.SoldOut as error:
            flash_error(error)
            cart.current()  # lowers the cart to what is left, with its own messages next time
            return redirect(url_for("orders.cart"))
        except services.OrderError as error:
            form_error(form, error)
        else:
            cart.clear()
            _count_shared_link_order(order)
            session.setdefault(MY_ORDERS, [])
            session[MY_ORDERS] = [order.number, *session[MY_ORDERS]][:20]
            if order.payment_method == PaymentMethod.STRIPE:
                return _start_card_payment(order)
            if order.payment_method == PaymentMethod.GATEWAY:
                gateway_events.prepare(order, details.channel)
                return _start_gateway_payment(order)
            notify.order_placed(order)
            return redirect(_order_url(order))
    return render_template(
        "orders/checkout.html",
        form=form,
        cart=view,
        card_offered=card_offered,
        card_minimum=services.card_minimum(),
        fees=delivery_fees(),
    )


def _count_shared_link_order(order: Order) -> None:
    """The order came by the shared link this browser last arrived by: count it once for each
    of that vendor's products in it, and forget the link (the next order is the shopper's)."""
    came_from = share_links.came_from(session.pop(share_links.CAME_FROM_KEY, None))
    if came_from is None:
        return
    vendor_id, campaign = came_from
    for product_id in sorted(
        {line.product_id for line in order.lines if line.vendor_id == vendor_id}
    ):
        interest.count_link_order(product_id, campaign)


def _start_card_payment(order: Order):
    # Two units of work (docs/decisions.md): the order is stored before Stripe makes its
    # payment page under the order's number, and no lock is held while Stripe answers.
    commit_now()
    try:
        start = provider().start_checkout(
            order,
            success_url=notify.order_link(order, paid="1"),
            cancel_url=notify.order_link(order),
        )
    except PaymentError as error:
        ensure_write_lock()
        services.cancel(order, reason=str(error.message))
        flash(
            _(
                "Card payment is not possible right now (%(reason)s). Please try again or "
                "choose pay at the outlet.",
                reason=error.message,
            ),
            "error",
        )
        return redirect(url_for("orders.order_page", number=order.number, key=order.access_key))
    ensure_write_lock()  # start_checkout noted the page's id on the order
    return redirect(start.redirect_url, code=303)


def _start_gateway_payment(order: Order):
    """Two units of work, as for cards: the order and its payment are stored before the
    gateway is asked, and no lock is held while it answers. When the gateway cannot be reached
    the order keeps its goods: the shopper tries again or chooses to pay at the outlet."""
    commit_now()
    payment = gateway_events.payment_of(order)
    try:
        answer = gateway_events.charge(order, payment)
    except PaymentError as error:
        flash(
            _(
                "Online payment is not possible right now (%(reason)s). Try again, or pay at "
                "the outlet instead.",
                reason=error.message,
            ),
            "error",
        )
        return redirect(_order_url(order))
    payment = gateway_events.store_charge(payment, answer)
    # The order's link (and the VA number, which can be paid for hours) in the shopper's inbox.
    notify.order_placed(order, payment)
    return redirect(_order_url(order), code=303)


# --- the shopper's orders ------------------------------------------------------------------


def _order_url(order: Order, **kwargs) -> str:
    return url_for("orders.order_page", number=order.number, key=order.access_key, **kwargs)


def _has_key(order: Order) -> bool:
    key = request.args.get("key", "")
    return bool(key) and secrets.compare_digest(key, order.access_key)


def _owns(order: Order) -> bool:
    return current_user.is_authenticated and services.is_users_order(order, current_user)


def _may_see(order: Order) -> bool:
    if _owns(order) or (current_user.is_authenticated and current_user.has_role("manager")):
        return True
    if order.number in session.get(MY_ORDERS, []):
        return True
    return _has_key(order)


def _visible_order(number: str) -> Order:
    """The order behind the URL, or 404 — also for orders that exist but are someone else's,
    so a guessed number tells nothing."""
    order = services.order_by_number(number)
    if order is None or not _may_see(order):
        abort(404)
    return services.refresh(order)


@bp.route("/orders/<number>")
@public
@no_store
def order_page(number: str):
    order = _visible_order(number)
    waiting_for_card = (
        order.payment_method == PaymentMethod.STRIPE
        and order.status == OrderStatus.PENDING_PAYMENT
        and order.paid_at is None
    )
    payment = (
        gateway_events.payment_of(order) if order.payment_method == PaymentMethod.GATEWAY else None
    )
    waiting_for_gateway = (
        payment is not None and order.status == OrderStatus.PENDING_PAYMENT and not order.is_paid
    )
    return render_template(
        "orders/order.html",
        order=order,
        status_label=services.status_label,
        waiting_for_card=waiting_for_card,
        payment=payment,
        waiting_for_gateway=waiting_for_gateway,
        gateway_kind=channel_kind(payment.channel) if payment else "",
        channel_label=CHANNEL_LABELS.get(payment.channel, "") if payment else "",
        qr_svg=qr_svg(payment.qr_string) if waiting_for_gateway and payment.qr_string else "",
        fake_bank_app=_fake_bank_app(payment) if waiting_for_gateway else "",
        just_paid=request.args.get("paid") == "1",
        cancellable=order.paid_at is None and order.status in services.OPEN_UNPAID,
        # The code hands the goods over: only the account that ordered, or whoever holds the
        # order's secret link (from the confirmation email), sees it.
        show_pickup_code=_owns(order) or _has_key(order),
    )


def _fake_bank_app(payment) -> str:
    """In development with the fake gateway: the page that plays the shopper's bank app."""
    if current_app.config.get("PAYMENT_GATEWAY") != "fake":
        return ""
    return f"{current_app.config['MIDTRANS_API_BASE']}/app/{payment.reference}"


@bp.route("/orders/<number>/payment-status")
@public
@no_store
def payment_status(number: str):
    """A small answer for the order page's live status (fetched every few seconds)."""
    order = _visible_order(number)
    payment = gateway_events.payment_of(order)
    return jsonify(
        status=order.status,
        paid=order.is_paid,
        payment=payment.status if payment is not None else None,
    )


@bp.route("/orders/<number>/pay-at-outlet", methods=["POST"])
@public
def pay_at_outlet(number: str):
    order = _visible_order(number)
    try:
        gateway_events.switch_to_outlet(
            order, actor=current_user if current_user.is_authenticated else None
        )
    except services.OrderError as error:
        flash_error(error)
        return redirect(_order_url(order))
    notify.order_placed(order)
    flash(_("You will pay at the outlet. We hold the goods for you."), "success")
    return redirect(_order_url(order))


@bp.route("/orders/<number>/pay", methods=["POST"])
@public
def pay_order(number: str):
    order = _visible_order(number)
    if order.payment_method == PaymentMethod.GATEWAY and order.status == "pending_payment":
        payment = gateway_events.payment_of(order)
        if payment is not None and not payment.transaction_id and not order.is_paid:
            return _start_gateway_payment(order)
    if not (order.payment_method == PaymentMethod.STRIPE and order.status == "pending_payment"):
        flash(_("This order cannot be paid online any more."), "error")
        return redirect(_order_url(order))
    return _start_card_payment(order)


@bp.route("/orders/<number>/cancel", methods=["POST"])
@public
def cancel_order(number: str):
    order = _visible_order(number)
    try:
        services.cancel(
            order,
            actor=current_user if current_user.is_authenticated else None,
            reason=_("Cancelled by the shopper."),
        )
    except services.OrderError as error:
        flash_error(error)
        return redirect(_order_url(order))
    if order.provider_session_id and card_payments_enabled():
        after_commit(lambda: _close_payment_page(order))
    payment = gateway_events.payment_of(order)
    if payment is not None and payment.transaction_id and gateway_enabled():
        reference = payment.reference
        after_commit(lambda: _close_gateway_payment(reference))
    notify.order_cancelled(order)
    flash(_("Your order %(number)s is cancelled.", number=order.number))
    return redirect(_order_url(order))


def _close_payment_page(order: Order) -> None:
    """After the cancellation is committed. The page expires by itself anyway; the order is
    cancelled either way."""
    with contextlib.suppress(PaymentError):
        provider().expire_checkout(order)


def _close_gateway_payment(reference: str) -> None:
    """After the cancellation: the QR code or VA number stops taking money (it would expire by
    itself with the hold anyway)."""
    with contextlib.suppress(PaymentError):
        gateway().expire(reference)


@bp.route("/account/orders")
@role_required(*ANY_ACCOUNT)
def my_orders():
    page = db.paginate(
        db.select(Order)
        .options(selectinload(Order.lines))
        .where(services.belongs_to(current_user))
        .order_by(Order.created_at.desc(), Order.id.desc()),
        page=page_number(),
        per_page=20,
        error_out=False,
    )
    return render_template("orders/my_orders.html", page=page, status_label=services.status_label)


def _lookup_email_key() -> str:
    return "order-lookup-email:" + (request.form.get("email") or "").strip().lower()


@bp.route("/orders/find", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], scope="order-lookup")
@limiter.limit(
    "5 per hour", methods=["POST"], key_func=_lookup_email_key, scope="order-lookup-email"
)
@public
def find_order():
    """Emails the order's link to the address on the order; never opens the order here.

    Order numbers are sequential per day, so number + email must not be a key to the order
    (its pickup code, name, phone, the cancel button). Whether or not such an order exists,
    the visitor gets the same answer, so the form cannot be used to test who ordered what.
    """
    form = OrderLookupForm()
    if form.validate_on_submit():
        order = services.find_guest_order(form.number.data, form.email.data)
        if order is not None:
            notify.order_link_requested(order)
        flash(
            _(
                "If an order with that number and email exists, we have emailed its link to "
                "that address. Check your inbox (and the spam folder)."
            ),
            "info",
        )
        return redirect(url_for("orders.find_order"))
    return render_template("orders/find.html", form=form)
