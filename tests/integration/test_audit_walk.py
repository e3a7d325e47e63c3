"""Every staff action is in the audit log (DESIGN invariant 10).

The walk finds every POST route only staff may use (cashier, manager, admin) in the URL map,
as tests/security/test_route_access.py finds routes, and performs a valid POST of each on the
busy demo. When the shop's tables changed, an audit entry must have been written in the same
request. A route that does not change the shop's state is listed in NO_SHOP_STATE with the
reason, and the walk checks that it really changes nothing. A new staff POST route with
neither a recipe below nor a reason there fails the walk by name.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.access import allowed_roles
from storefront.auth.models import Role, User
from storefront.auth.services import create_user, mark_email_verified
from storefront.catalog import products as listings
from storefront.catalog import variants
from storefront.catalog.models import Product
from storefront.categories import Category
from storefront.clock import today_wib
from storefront.demo import DEMO_PASSWORD
from storefront.extensions import db
from storefront.incubator.models import Cohort, PermitApplication
from storefront.manager_inbox import ManagerNotification
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.payments.models import GatewayPayment
from storefront.pos import services as pos
from storefront.pos.models import Shift
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from storefront.stock.ledger import only_variant_id
from storefront.stock.models import Batch, Markdown, StockCount, StockLevel
from storefront.vendors.models import Vendor
from tests.conftest import Client
from tests.fake_gateway import gateway_config
from tests.integration.busy_demo import BusyDemo, _application
from tests.security.test_route_access import endpoints

STAFF = {Role.CASHIER, Role.MENTOR, Role.MANAGER, Role.ADMIN}

# Staff POST routes that leave the shop's tables as they were, and why.
NO_SHOP_STATE: dict[str, str] = {
    "pos.scan": "adds to the running sale, kept in the cashier's session until it is paid",
    "pos.add_line": "changes the running sale in the cashier's session",
    "pos.set_quantity": "changes the running sale in the cashier's session",
    "pos.remove_line": "changes the running sale in the cashier's session",
    "pos.clear": "empties the running sale in the cashier's session",
    "manage.resend_owner_confirmation": "sends the confirmation email again",
    "manage.reveal": "shows a number in full: audited, though it changes nothing",
    "admin.send_reset_link": "emails a link to choose a password: audited, changes nothing",
    "settlements.settlement_payouts_csv": "a download (audited: it holds account numbers)",
    "manage.mark_notifications_read": "marks the manager's own notifications read, not the shop",
    "manage.open_notification": "marks one notification read for this manager and opens it",
    "orders.manage_reconciliation": "compares an uploaded settlement file; reads only",
    "worker.resend_message": "queues a message again (the outbox is a record): audited",
}
# Tables that hold one person's own view of the shop, not the shop's state.
PERSONAL_TABLES = {"manager_notification_reads"}
# What the shop said and when its jobs ran, not its state: the outbox is a record of messages
# (as the audit log is of changes); a message sent again is audited (tests/integration/test_outbox).
RECORD_TABLES = {"outbox_messages", "job_runs"}


@dataclass
class Walk:
    app: object
    demo: BusyDemo
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        if who not in self.clients:
            emails = {
                "cashier": "kasir@example.com",
                "manager": "manajer@example.com",
                "admin": "admin@example.com",
                "mentor": "mentor@example.com",
            }
            client = Client(self.app.test_client())
            assert client.login(emails[who], DEMO_PASSWORD).status_code == 302
            self.clients[who] = client
        return self.clients[who]

    def url(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _order(demo: BusyDemo, *, delivery: bool = False) -> Order:
    """A new pay-at-the-outlet order for the shopper."""
    shopper = _user("pembeli@example.com")
    details = orders.CheckoutDetails(
        name=shopper.name,
        email=shopper.email,
        phone="+6281298765432",
        fulfilment="delivery" if delivery else "pickup",
        payment_method="outlet",
        kecamatan="Cikupa" if delivery else None,
        address="Jl. Raya Serang Km 20" if delivery else None,
        user_id=shopper.id,
    )
    order = orders.place_order({only_variant_id(demo.product_id): 1}, details, card_enabled=False)
    db.session.commit()
    return order


def _order_in(status: OrderStatus, delivery: bool = False) -> Order:
    return db.session.scalar(
        select(Order)
        .where(
            Order.status == status.value, Order.fulfilment == ("delivery" if delivery else "pickup")
        )
        .order_by(Order.id.desc())
    )


def _submitted_product(demo: BusyDemo) -> Product:
    vendor = db.session.get(Vendor, demo.vendor_id)
    owner = _user(vendor.owner_email)
    craft = db.session.scalar(select(Category).where(Category.is_food.is_(False)))
    product = listings.create_product(
        vendor,
        owner,
        listings.ProductDetails(
            name=f"Tas Anyaman Pandan {uuid.uuid4().hex[:4]}",
            category_id=craft.id,
            description="Tas anyaman pandan buatan tangan.",
            price=85000,
            unit="buah",
            net_content="1 buah",
            ingredients="",
            allergens="",
            storage="",
            shelf_life_days=None,
            non_halal=False,
        ),
    )
    listings.submit(product, owner)
    db.session.commit()
    return product


def _waiting_variant(demo: BusyDemo):
    """An approved product whose new size has a price no approved size has: it waits."""
    product = _submitted_product(demo)
    variants.set_options(product, [variants.OptionSpec.parse("Ukuran", "S, M")])
    manager = db.session.scalar(select(User).where(User.role == Role.MANAGER.value))
    listings.approve(product, manager)
    variant = product.active_variants[-1]
    variants.update_variant(variant, sku=variant.sku, price_delta=5000)
    db.session.commit()
    assert variant.review == "pending"
    return product, variant


def _variant_ids(w: Walk) -> dict[str, int]:
    product, variant = _waiting_variant(w.demo)
    return {"product_id": product.id, "variant_id": variant.id}


def _variant_rejection(w: Walk) -> tuple[str, str, dict[str, str]]:
    ids = _variant_ids(w)
    reason = {f"reject{ids['variant_id']}-comment": "Selisih harganya terlalu besar."}
    return "manager", w.url("manage.reject_variant", **ids), reason


def _applicant(nib_end: str) -> Vendor:
    user = create_user(
        name=f"Pelamar {nib_end}",
        email=f"pelamar{nib_end}@example.com",
        password=DEMO_PASSWORD,
    )
    mark_email_verified(user)
    db.session.flush()
    vendor, _document = _application(user, "912000123400" + nib_end, send=True)
    db.session.commit()
    return vendor


def _draft_statement() -> Settlement:
    return db.session.scalar(
        select(Settlement).where(Settlement.status == "draft").order_by(Settlement.id)
    )


def _open_count(w: Walk) -> StockCount:
    return db.session.scalar(
        select(StockCount).where(StockCount.status == "open").order_by(StockCount.id.desc())
    )


def _batch_with_stock(w: Walk) -> Batch:
    return db.session.scalar(
        select(Batch)
        .join(StockLevel, StockLevel.batch_id == Batch.id)
        .where(StockLevel.on_hand - StockLevel.reserved > 1, Batch.vendor_id == w.demo.vendor_id)
        .order_by(Batch.id)
    )


def _cashier_sale(w: Walk) -> None:
    """A line in the cashier's running sale (session only)."""
    client = w.client("cashier")
    client.post_form(w.url("pos.add_line", product_id=w.demo.product_id), {})


Recipe = Callable[[Walk], tuple[str, str, dict]]

_GATEWAY: dict = {}


def _with_gateway(w: Walk):
    """The counter's dynamic QRIS needs the payment gateway: a local fake, started once."""
    if "fake" not in _GATEWAY:
        from tests.fake_gateway import FakeGatewayServer

        _GATEWAY["fake"] = FakeGatewayServer().start()
    fake = _GATEWAY["fake"]
    w.app.config.update(gateway_config(fake))
    return fake


def _qris_start(w: Walk):
    _with_gateway(w)
    _cashier_sale(w)
    return "cashier", w.url("pos.qris_start"), {}


def _qris_waiting(w: Walk) -> GatewayPayment:
    _qris_start(w)
    w.client("cashier").post_form(w.url("pos.qris_start"), {})
    db.session.expire_all()
    return db.session.scalar(select(GatewayPayment).order_by(GatewayPayment.id.desc()))


def _qris_complete(w: Walk):
    payment = _qris_waiting(w)
    body = _with_gateway(w).pay(payment.reference, send=False)
    w.client("cashier").post(
        "/payments/midtrans/notification", data=json.dumps(body), content_type="application/json"
    )
    return "cashier", w.url("pos.qris_complete"), {}


def _qris_cancel(w: Walk):
    _qris_waiting(w)
    return "cashier", w.url("pos.qris_cancel"), {}


def _pay_order(w: Walk):
    order = _order(w.demo)
    return "manager", w.url("orders.manage_take_payment", order_id=order.id), {"paid_with": "cash"}


def _pack(w: Walk):
    order = _order(w.demo)
    return "manager", w.url("orders.manage_pack", order_id=order.id), {}


def _ready(w: Walk):
    order = _order_in(OrderStatus.PACKED)
    return "manager", w.url("orders.manage_ready", order_id=order.id), {}


def _hand_over(w: Walk):
    order = _order_in(OrderStatus.READY_FOR_PICKUP)
    return (
        "manager",
        w.url("orders.manage_hand_over", order_id=order.id),
        {
            "code": order.pickup_code,
            "collector_name": order.contact_name,
            "paid_with": "cash",
        },
    )


def _pickup_at_the_till(w: Walk):
    order = _order(w.demo)
    for step in ("orders.manage_pack", "orders.manage_ready"):
        w.client("manager").post_form(w.url(step, order_id=order.id), {})
    cashier = _user("kasir@example.com")
    if pos.open_shift_of(cashier.id) is None:
        w.client("cashier").post_form(w.url("pos.open_shift"), {"opening_float": "0"})
    return (
        "cashier",
        w.url("pos.pickup_hand_over", order_id=order.id),
        {
            "code": order.pickup_code,
            "collector_name": order.contact_name,
            "method": "cash",
            "tendered": str(order.total),
        },
    )


def _out_for_delivery(w: Walk):
    order = _order(w.demo, delivery=True)
    order_page = w.url("orders.manage_pack", order_id=order.id)
    w.client("manager").post_form(order_page, {})  # packed first (its own audit entry)
    return "manager", w.url("orders.manage_out_for_delivery", order_id=order.id), {}


def _delivered(w: Walk):
    order = _order_in(OrderStatus.OUT_FOR_DELIVERY, delivery=True)
    return "manager", w.url("orders.manage_delivered", order_id=order.id), {"paid_with": "cash"}


def _cancel(w: Walk):
    order = _order(w.demo)
    return (
        "manager",
        w.url("orders.manage_cancel", order_id=order.id),
        {"reason": "Pembeli tidak jadi datang"},
    )


def _refund(w: Walk):
    return (
        "manager",
        w.url("orders.manage_refund", order_id=w.demo.order_id),
        {
            "scope": "full",
            "method": "cash",
            "reason": "Pembeli kecewa",
            "token": uuid.uuid4().hex,
        },
    )


def _void(w: Walk):
    _cashier_sale(w)
    w.client("cashier").post_form(w.url("pos.pay"), {"cash": "100000"})
    shift = db.session.scalar(select(Shift).where(Shift.closed_at.is_(None)))
    sale = max(shift.sales, key=lambda s: s.id)
    return (
        "cashier",
        w.url("pos.void", sale_id=sale.id),
        {
            "reason": "Salah scan",
            "approver_email": "manajer@example.com",
            "approver_password": DEMO_PASSWORD,
        },
    )


def _pay_at_counter(w: Walk):
    _cashier_sale(w)
    return "cashier", w.url("pos.pay"), {"cash": "100000"}


def _close_shift(w: Walk):
    db.session.expire_all()
    shift = db.session.scalar(select(Shift).where(Shift.closed_at.is_(None)))
    expected = pos.summarise(shift).expected_cash
    return "cashier", w.url("pos.close_shift"), {"counted_cash": str(expected), "note": "Pas"}


def _new_vendor(w: Walk):
    craft = db.session.scalar(select(Category).where(Category.is_food.is_(False)))
    return (
        "manager",
        w.url("manage.new_vendor"),
        {
            "name": "Anyaman Bu Eni",
            "owner_name": "Eni Suryani",
            "owner_phone": "081234567001",
            "owner_email": "eni.anyaman@example.com",
            "nib": "9120001234501",
            "location": "kabupaten-tangerang|Cikupa",
            "categories": str(craft.id),
            "commission_rule": "own",
            "commission_percent": "20",
            "settlement_period": "monthly",
        },
    )


def _resend(w: Walk):
    vendor = db.session.scalar(select(Vendor).where(Vendor.pending_owner_id.is_not(None)))
    return "manager", w.url("manage.resend_owner_confirmation", vendor_id=vendor.id), {}


def _answer(w: Walk):
    statement = db.session.get(Settlement, w.demo.statement_id)
    owner = _user(db.session.get(Vendor, w.demo.vendor_id).owner_email)
    comment = settlements.add_comment(statement, "Kapan dibayar?", "comment", author=owner)
    db.session.commit()
    return (
        "manager",
        w.url("settlements.settlement_answer", comment_id=comment.id),
        {"answer": "Minggu ini."},
    )


def _ended_draft() -> Settlement:
    """A draft whose period is over (last month's, made here): only those can close."""
    last_month = today_wib().replace(day=1) - timedelta(days=1)
    settlements.generate_month(last_month.year, last_month.month)
    db.session.commit()
    return db.session.scalar(
        select(Settlement)
        .where(Settlement.status == "draft", Settlement.period_end < today_wib())
        .order_by(Settlement.period_start, Settlement.id)
    )


def _advance(w: Walk):
    """An advance of Rp1 on the running statement with the most due so far."""
    statement = max(
        (s for s in db.session.scalars(select(Settlement).where(Settlement.status == "draft"))),
        key=lambda s: s.due,
    )
    return (
        "manager",
        w.url("settlements.settlement_advance", settlement_id=statement.id),
        {"amount": "1", "paid_on": today_wib().isoformat(), "reference": "PANJAR-WALK"},
    )


def _settlement_pay(w: Walk):
    statement = _ended_draft()
    w.client("manager").post_form(
        w.url("settlements.settlement_close", settlement_id=statement.id), {}
    )
    db.session.expire_all()
    statement = db.session.get(Settlement, statement.id)
    return (
        "manager",
        w.url("settlements.settlement_pay", settlement_id=statement.id),
        {
            "paid_on": today_wib().isoformat(),
            "reference": "TRF-WALK-0001",
            "amount": str(statement.net_payable),
            "confirmed": "y",
            "note": "Transfer",
        },
    )


def _intake(w: Walk):
    return (
        "manager",
        w.url("stock.intake_submit"),
        {
            "vendor_id": str(w.demo.vendor_id),
            "submission_key": uuid.uuid4().hex,
            "action": "confirm",
            "lines-0-product": str(w.demo.product_id),
            "lines-0-quantity": "6",
            "lines-0-batch_code": "WALK-01",
            "lines-0-expires_on": today_wib().replace(year=today_wib().year + 1).isoformat(),
        },
    )


def _count_line(w: Walk):
    count = _open_count(w)
    line = count.lines[-1]
    return (
        "manager",
        w.url("stock.count_line", count_id=count.id, line_id=line.id),
        {"counted": str(line.expected)},
    )


def _post_count(w: Walk):
    count = _open_count(w)
    manager = w.client("manager")
    for line in count.lines:
        manager.post_form(
            w.url("stock.count_line", count_id=count.id, line_id=line.id),
            {"counted": str(line.expected)},
        )
    return (
        "manager",
        w.url("stock.post_count", count_id=count.id),
        {"reason": "Sesuai", "responsible": "outlet"},
    )


def _cancel_count(w: Walk):
    w.client("manager").post_form(w.url("stock.start_count"), {"scope": "all"})
    return "manager", w.url("stock.cancel_count", count_id=_open_count(w).id), {}


def _return(w: Walk):
    batch = _batch_with_stock(w)
    return (
        "manager",
        w.url("stock.new_return", vendor_id=w.demo.vendor_id),
        {
            "reason": "unsold",
            f"qty-{batch.id}": "1",
        },
    )


def _write_off(w: Walk):
    batch = _batch_with_stock(w)
    return (
        "manager",
        w.url("stock.new_write_off", batch_id=batch.id),
        {
            "quantity": "1",
            "kind": "damage_loss",
            "reason": "Jatuh dari rak",
            "responsible": "outlet",
        },
    )


def _markdown(w: Walk):
    return (
        "manager",
        w.url("stock.new_markdown", batch_id=w.demo.markdown_batch_id),
        {
            "percent": "40",
            "bearer": "split",
            "vendor_part": "50",
            "agreed_by": "Bu Siti",
            "agreed_at": (today_wib() - timedelta(days=1)).isoformat() + "T09:00",
            "agreed_via": "phone",
        },
    )


def _end_markdown(w: Walk):
    active = db.session.scalar(select(func.max(Markdown.id)).where(Markdown.ended_at.is_(None)))
    return ("manager", w.url("stock.end_markdown", markdown_id=active), {})


def _demo_application(w: Walk, *, status: str = "not_started") -> PermitApplication:
    """The halal application of the demo vendor's product, in `status`."""
    application = db.session.scalar(
        select(PermitApplication).where(
            PermitApplication.product_id == w.demo.product_id, PermitApplication.kind == "halal"
        )
    )
    if application is None:
        application = PermitApplication(
            vendor_id=w.demo.vendor_id,
            product_id=w.demo.product_id,
            kind="halal",
            route="self_declare",
        )
        db.session.add(application)
    application.status = status
    db.session.commit()
    return application


def _demo_cohort() -> Cohort:
    return db.session.scalar(select(Cohort).order_by(Cohort.id))


def _other_vendor(w: Walk) -> Vendor:
    return db.session.scalar(
        select(Vendor)
        .where(Vendor.status == "approved", Vendor.id != w.demo.vendor_id)
        .order_by(Vendor.id)
    )


def _any_notification() -> int:
    return db.session.scalar(select(func.max(ManagerNotification.id)))


def _staff_member(w: Walk) -> User:
    return _user("kasir.pagi@example.com")


# In the order they run: each finds the rows it needs as the walk left them.
RECIPES: dict[str, Recipe] = {
    "pos.scan": lambda w: ("cashier", w.url("pos.scan"), {"code": "keripik"}),
    "pos.add_line": lambda w: (
        "cashier",
        w.url("pos.add_line", product_id=w.demo.product_id),
        {},
    ),
    "pos.set_quantity": lambda w: (
        "cashier",
        w.url("pos.set_quantity", product_id=w.demo.product_id),
        {"quantity": "2"},
    ),
    "pos.remove_line": lambda w: (
        "cashier",
        w.url("pos.remove_line", product_id=w.demo.product_id),
        {},
    ),
    "pos.clear": lambda w: ("cashier", w.url("pos.clear"), {}),
    "pos.pay": _pay_at_counter,
    "pos.qris_start": _qris_start,
    "pos.qris_complete": _qris_complete,
    "pos.qris_cancel": _qris_cancel,
    "pos.void": _void,
    "pos.close_shift": _close_shift,
    "pos.open_shift": lambda w: ("cashier", w.url("pos.open_shift"), {"opening_float": "150000"}),
    "orders.manage_take_payment": _pay_order,
    "orders.manage_pack": _pack,
    "orders.manage_ready": _ready,
    "orders.manage_hand_over": _hand_over,
    "pos.pickup_hand_over": _pickup_at_the_till,
    "orders.manage_out_for_delivery": _out_for_delivery,
    "orders.manage_delivered": _delivered,
    "orders.manage_cancel": _cancel,
    "orders.manage_refund": _refund,
    "manage.approve_product": lambda w: (
        "manager",
        w.url("manage.approve_product", product_id=_submitted_product(w.demo).id),
        {},
    ),
    "manage.approve_variant": lambda w: (
        "manager",
        w.url("manage.approve_variant", **_variant_ids(w)),
        {},
    ),
    "manage.reject_variant": _variant_rejection,
    "manage.reject_product": lambda w: (
        "manager",
        w.url("manage.reject_product", product_id=_submitted_product(w.demo).id),
        {"comment": "Fotonya kurang jelas."},
    ),
    "manage.approve_vendor": lambda w: (
        "manager",
        w.url("manage.approve_vendor", vendor_id=_applicant("1").id),
        {"commission_rule": "own", "commission_percent": "20", "settlement_period": "monthly"},
    ),
    "manage.reject_vendor": lambda w: (
        "manager",
        w.url("manage.reject_vendor", vendor_id=_applicant("2").id),
        {"comment": "Belum ada izin usaha."},
    ),
    "manage.request_vendor_changes": lambda w: (
        "manager",
        w.url("manage.request_vendor_changes", vendor_id=_applicant("3").id),
        {"comment": "Foto KTP buram."},
    ),
    "manage.reveal": lambda w: (
        "admin",
        w.url("manage.reveal", vendor_id=w.demo.vendor_id, field="owner_nik"),
        {},
    ),
    "manage.new_vendor": _new_vendor,
    "manage.resend_owner_confirmation": _resend,
    "settlements.settlement_generate": lambda w: (
        "manager",
        w.url("settlements.settlement_generate"),
        {"month": f"{today_wib():%Y-%m}"},
    ),
    "settlements.settlement_close": lambda w: (
        "manager",
        w.url("settlements.settlement_close", settlement_id=_ended_draft().id),
        {},
    ),
    "settlements.settlement_advance": _advance,
    "settlements.settlement_pay": _settlement_pay,
    "settlements.settlement_delete": lambda w: (
        "manager",
        w.url("settlements.settlement_delete", settlement_id=_draft_statement().id),
        {},
    ),
    "settlements.settlement_answer": _answer,
    "settlements.category_commission": lambda w: (
        "manager",
        w.url(
            "settlements.category_commission",
            category_id=db.session.get(Product, w.demo.product_id).category_id,
        ),
        {"percent": "22.5"},
    ),
    "settlements.vendor_commission": lambda w: (
        "manager",
        w.url("settlements.vendor_commission", vendor_id=w.demo.vendor_id),
        {"percent": "21"},
    ),
    "settlements.settlement_payouts_csv": lambda w: (
        "admin",
        w.url("settlements.settlement_payouts_csv"),
        {},
    ),
    "stock.intake_submit": _intake,
    "stock.count_line": _count_line,
    "stock.post_count": _post_count,
    "stock.start_count": lambda w: ("manager", w.url("stock.start_count"), {"scope": "all"}),
    "stock.cancel_count": _cancel_count,
    "stock.new_return": _return,
    "stock.new_write_off": _write_off,
    "stock.new_markdown": _markdown,
    "stock.end_markdown": _end_markdown,
    "manage.open_notification": lambda w: (
        "manager",
        w.url("manage.open_notification", notification_id=_any_notification()),
        {},
    ),
    "manage.mark_notifications_read": lambda w: (
        "manager",
        w.url("manage.mark_notifications_read"),
        {},
    ),
    "incubator.new_application": lambda w: (
        "mentor",
        w.url("incubator.new_application"),
        {"product_id": str(w.demo.product_id), "kind": "pirt", "next_step": "Urus SPP-IRT"},
    ),
    "incubator.move_application": lambda w: (
        "mentor",
        w.url("incubator.move_application", application_id=_demo_application(w).id),
        {"status": "documents"},
    ),
    "incubator.plan_application": lambda w: (
        "manager",
        w.url("incubator.plan_application", application_id=_demo_application(w).id),
        {"next_step": "Daftar di ptsp.halal.go.id", "due_on": "2026-12-31", "mentor_id": ""},
    ),
    "incubator.issue_application": lambda w: (
        "manager",
        w.url(
            "incubator.issue_application",
            application_id=_demo_application(w, status="submitted").id,
        ),
        {"number": "ID36110000999990925"},
    ),
    "incubator.add_note": lambda w: (
        "mentor",
        w.url("incubator.add_note", vendor_id=w.demo.vendor_id),
        {"noted_on": today_wib().isoformat(), "body": "Label perlu tanggal kedaluwarsa."},
    ),
    "incubator.assign_vendors": lambda w: (
        "admin",
        w.url("incubator.assign_vendors", user_id=_user("mentor@example.com").id),
        {"vendor_ids": [str(w.demo.vendor_id), str(_other_vendor(w).id)]},
    ),
    "incubator.create_cohort": lambda w: (
        "manager",
        w.url("incubator.create_cohort"),
        {"name": "Angkatan Uji", "starts_on": today_wib().isoformat()},
    ),
    "incubator.add_member": lambda w: (
        "manager",
        w.url("incubator.add_member", cohort_id=_demo_cohort().id),
        {"vendor_id": str(_other_vendor(w).id)},
    ),
    "incubator.remove_member": lambda w: (
        "manager",
        w.url(
            "incubator.remove_member", cohort_id=_demo_cohort().id, vendor_id=_other_vendor(w).id
        ),
        {},
    ),
    "admin.save_group": lambda w: (
        "admin",
        w.url("admin.save_group", group="terms"),
        {"commission_default_bp": "21", "settlement_period": "monthly", "minimum_payout": "50000"},
    ),
    "admin.new_user": lambda w: (
        "admin",
        w.url("admin.new_user"),
        {
            "name": "Kasir Sore",
            "email": "kasir.sore@example.com",
            "role": "cashier",
            "locale": "id",
        },
    ),
    "admin.change_role": lambda w: (
        "admin",
        w.url("admin.change_role", user_id=_staff_member(w).id),
        {"role": "manager"},
    ),
    "admin.send_reset_link": lambda w: (
        "admin",
        w.url("admin.send_reset_link", user_id=_staff_member(w).id),
        {},
    ),
    "admin.deactivate_user": lambda w: (
        "admin",
        w.url("admin.deactivate_user", user_id=_staff_member(w).id),
        {},
    ),
    "admin.reactivate_user": lambda w: (
        "admin",
        w.url("admin.reactivate_user", user_id=_staff_member(w).id),
        {},
    ),
}


def staff_post_routes(app) -> list[str]:
    found = []
    for rule, view in endpoints(app):
        declared = allowed_roles(view)
        if "POST" in rule.methods and isinstance(declared, set) and declared <= STAFF:
            found.append(rule.endpoint)
    return sorted(set(found))


def shop_state() -> dict[str, str]:
    """A digest of every table's rows (audit log and personal tables left out)."""
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entries" or table.name in PERSONAL_TABLES | RECORD_TABLES:
            continue
        order = [column for column in table.primary_key.columns] or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def audit_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_every_staff_post_route_has_a_recipe_or_a_reason(app):
    routes = staff_post_routes(app)
    missing = [r for r in routes if r not in RECIPES and r not in NO_SHOP_STATE]
    assert not missing, (
        "add a recipe to RECIPES in tests/integration/test_audit_walk.py (a valid POST on the "
        "busy demo), or a reason to NO_SHOP_STATE, for: " + ", ".join(missing)
    )
    stale = sorted(set(RECIPES) - set(routes))
    assert not stale, f"recipes for routes that are gone: {stale}"


def test_every_staff_post_that_changes_the_shop_writes_an_audit_entry(busy_shop):
    app, demo = busy_shop
    walk = Walk(app, demo)
    failures = []
    with app.test_request_context():
        for endpoint, recipe in RECIPES.items():
            db.session.expire_all()
            who, url, data = recipe(walk)
            client = walk.client(who)
            db.session.commit()
            db.session.expire_all()
            before, entries = shop_state(), audit_entries()
            response = client.post_form(url, data)
            db.session.expire_all()
            changed = [t for t, d in shop_state().items() if before[t] != d]
            written = audit_entries() - entries
            where = f"POST {url} ({endpoint}) as {who} answered {response.status_code}"
            if endpoint in NO_SHOP_STATE:
                if changed:
                    failures.append(f"{where}: listed as changing nothing, but changed {changed}")
            elif not changed:
                failures.append(f"{where}: changed nothing; give the recipe valid data")
            elif not written:
                failures.append(f"{where}: changed {changed} without an audit entry")
        db.session.remove()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("endpoint", sorted(NO_SHOP_STATE))
def test_each_reason_names_a_staff_route(app, endpoint):
    assert endpoint in staff_post_routes(app)
