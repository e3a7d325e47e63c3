"""The demo shop after a day of trade: `flask seed-demo` plus one of everything a page can list.

Rows are written through the services the views call, so the pages walked in
test_every_page_renders.py show what a real outlet would show them: an online order paid,
collected and partly refunded; a counter shift closed with a voided sale and a new shift open; a
return, an expiry write-off, a posted and an open stock count; a closed, paid and disputed
statement; a vendor team with staff and an open invitation; a shopper's draft partner application
and another applicant's sent one; a product photo. The demo vendor's NIB document and permit
certificate are the only rows set by hand: an approved vendor has no page to upload them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import time_machine
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from storefront.auth.models import Role, User
from storefront.auth.services import (
    create_user,
    make_reset_token,
    make_verification_token,
    mark_email_verified,
)
from storefront.catalog import products as listings
from storefront.catalog.models import Category, Product
from storefront.clock import start_of_day, today_wib
from storefront.database import unit_of_work, utcnow
from storefront.demo import DEMO_PASSWORD, seed_demo_data
from storefront.extensions import db
from storefront.incubator.models import Cohort, PermitApplication
from storefront.orders import refunds
from storefront.orders import services as orders
from storefront.orders.models import OrderStatus, PaidWith
from storefront.pos import selling
from storefront.pos import services as pos
from storefront.settlements import services as settlements
from storefront.stock import counts as stock_counts
from storefront.stock import markdowns, operations
from storefront.stock.models import Batch, IntakeReceipt, MovementKind, StockCount
from storefront.uploads import save_document
from storefront.vendors import services as vendors
from storefront.vendors import team
from storefront.vendors.models import DocumentKind, Vendor, VendorDocument

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NIB = "9120001234567"


@dataclass(frozen=True)
class Visitor:
    """Someone walking the shop: a role and the demo account they sign in with."""

    name: str
    role: Role | None
    email: str | None = None


@dataclass
class BusyDemo:
    """Ids, slugs and tokens of the rows the walk fills URLs with."""

    visitors: list[Visitor] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def _file(data: bytes, name: str, mime: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=mime)


def _png(color=(200, 80, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buffer, "PNG")
    return buffer.getvalue()


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _vendor(slug: str) -> Vendor:
    return db.session.scalar(select(Vendor).where(Vendor.slug == slug))


def _batch(product: Product) -> Batch:
    return db.session.scalar(select(Batch).where(Batch.product_id == product.id))


def _application(user: User, nib: str, *, send: bool) -> tuple[Vendor, VendorDocument]:
    """A partner application with the owner and the NIB certificate; `send` completes it."""
    vendor = vendors.start_application(user)
    owner = vendors.OwnerDetails(
        name=user.name, nik="3603015505900001", phone="081210000009", email=user.email
    )
    vendors.save_owner(vendor, owner)
    document = vendors.add_document(
        vendor,
        kind=DocumentKind.NIB,
        number=nib,
        issued_on=None,
        expires_on=None,
        file=_file(PDF, "nib.pdf", "application/pdf"),
        user=user,
        today=today_wib(),
    )
    if send:
        food = db.session.scalar(select(Category).where(Category.is_food.is_(True)))
        business = vendors.BusinessDetails(
            name=f"Kue Kering {user.name.split()[0]}",
            legal_form="perorangan",
            nib=nib,
            npwp=None,
            address="Jl. Raya Serang Km 20, Balaraja",
            city="kabupaten-tangerang",
            kecamatan="Balaraja",
            incubator_cohort=None,
            category_ids=[food.id],
            story="Kue kering rumahan untuk Lebaran dan hantaran.",
        )
        vendors.save_business(vendor, business)
        vendors.save_bank(vendor, "014", "1234567890", user.name)
        vendors.submit_application(vendor, user, personal_data=True, terms=True)
    return vendor, document


def build_busy_demo() -> BusyDemo:
    """Seed the demo and trade for a day, as one unit of work. Needs empty tables and a request
    context (emails sent along the way build links)."""
    with unit_of_work():
        return _trade_for_a_day()


def _trade_for_a_day() -> BusyDemo:
    seed_demo_data()
    demo = BusyDemo()
    v = demo.values
    manager = _user("manajer@example.com")
    shopper = _user("pembeli@example.com")
    cashier = _user("kasir@example.com")
    nyai = _vendor("dapur-nyai-cikupa")
    owner = _user(nyai.owner_email)
    products = db.session.scalars(
        select(Product).where(Product.vendor_id == nyai.id).order_by(Product.code)
    ).all()
    near_expiry, original, pisang = products  # 3, 24 and 24 units on the shelf
    today = today_wib()

    # Online: the shopper orders, pays at pickup, collects, and gets one packet refunded.
    details = orders.CheckoutDetails(
        name=shopper.name,
        email=shopper.email,
        phone="+6281298765432",
        fulfilment="pickup",
        payment_method="outlet",
        user_id=shopper.id,
    )
    order = orders.place_order({original.default_variant.id: 4}, details, card_enabled=False)
    orders.mark_paid(order, paid_with=PaidWith.CASH, amount=order.total, actor=manager)
    for status in (OrderStatus.PACKED, OrderStatus.READY_FOR_PICKUP, OrderStatus.COMPLETED):
        orders.transition(order, status, actor=manager)
    db.session.flush()
    refunds.refund(
        order,
        lines={order.lines[0].id: 1},
        method="cash",
        restock=True,
        reason="Kemasan sobek",
        actor=manager,
        idempotency_key="busy-demo-refund",
    )
    v.update(order_id=order.id, order_number=order.number, order_key=order.access_key)

    # The counter: a shift with a sale and a voided sale, closed; then a new shift with a sale.
    def ring(shift, lines, cash):
        sale = selling.RunningSale()
        for product, quantity in lines:
            selling.add(sale, product.id, quantity)
        return selling.ring_up(shift, cashier, sale, selling.PaymentInput(cash_tendered=cash))

    shift = pos.open_shift(cashier, 200_000)
    ring(shift, [(original, 3), (pisang, 2)], 100_000)
    voided = ring(shift, [(pisang, 1)], 20_000)
    pos.void_sale(voided, manager, "Pembeli batal")
    db.session.flush()
    pos.close_shift(shift, cashier, pos.summarise(shift).expected_cash)
    open_shift = pos.open_shift(cashier, 150_000)
    sale = ring(open_shift, [(pisang, 1)], 20_000)
    v.update(closed_shift_id=shift.id, voided_sale_id=voided.id, sale_id=sale.id)

    # Stock work: a return note, an expiry write-off with its photo, a posted and an open count.
    note = operations.create_return(nyai, manager, {_batch(near_expiry).id: 1}, "near_expiry")
    write_off = operations.record_write_off(
        _batch(pisang),
        manager,
        quantity=1,
        kind=MovementKind.EXPIRY_WRITE_OFF,
        reason="Kemasan menggembung",
        responsible="vendor",
        photo=_file(_png(), "kemasan.png", "image/png"),
    )
    db.session.flush()
    posted = stock_counts.start_count(manager, "vendor", nyai.id)
    db.session.flush()
    line = posted.lines[0]
    stock_counts.record_counted(line, manager, line.expected - 1)
    db.session.flush()
    stock_counts.post_count(
        db.session.get(StockCount, posted.id), manager, "Satu bungkus hilang", "outlet"
    )
    db.session.flush()
    still_open = stock_counts.start_count(manager, "all")
    db.session.flush()
    stock_counts.record_counted(still_open.lines[0], manager, still_open.lines[0].expected)
    db.session.flush()
    # Shelf prices: the near-expiry batch marked down (the vendor bears it); pisang's price
    # changing tomorrow, its labels to reprint.
    markdown = markdowns.mark_down(
        _batch(near_expiry),
        manager,
        markdowns.MarkdownTerms(
            percent_bp=2500,
            bearer="vendor",
            agreed_by="Bu Siti",
            agreed_at=utcnow() - timedelta(hours=2),
            agreed_via="whatsapp",
        ),
    )
    change = listings.change_price(pisang, owner, pisang.price + 1000, today + timedelta(days=1))
    v.update(
        markdown_id=markdown.id,
        markdown_batch_id=markdown.batch_id,
        price_change_id=change.id,
    )
    receipt = db.session.scalar(select(IntakeReceipt).where(IntakeReceipt.vendor_id == nyai.id))
    v.update(
        receipt_id=receipt.id,
        return_note_id=note.id,
        write_off_id=write_off.id,
        batch_id=_batch(original).id,
        posted_count_id=posted.id,
        open_count_id=still_open.id,
    )

    # Files: a vendor document, a permit certificate and a product photo.
    stored = save_document(_file(PDF, "nib.pdf", "application/pdf"), folder=f"vendors/{nyai.id}")
    document = VendorDocument(
        vendor_id=nyai.id,
        kind=DocumentKind.NIB.value,
        number=NIB,
        file_path=stored.path,
        mime=stored.mime,
        original_name=stored.original_name,
        uploaded_by_id=owner.id,
    )
    db.session.add(document)
    permit = original.permits[0]
    certificate = save_document(_file(PDF, "pirt.pdf", "application/pdf"), folder="permits")
    permit.file_path, permit.mime = certificate.path, certificate.mime
    permit.original_name = certificate.original_name
    photo = listings.add_photo(original, _file(_png((90, 140, 60)), "keripik.png", "image/png"))
    db.session.flush()
    v.update(
        vendor_id=nyai.id,
        vendor_slug=nyai.slug,
        document_id=document.id,
        product_id=original.id,
        product_slug=original.slug,
        permit_id=permit.id,
        permit_kind=permit.kind,
        category_slug=original.category.slug,
        media_path=photo.image_key + "-" + photo.widths.split(",")[0] + ".webp",
    )

    # The month's statements: the vendor's closed, paid with a proof and disputed; others draft.
    statements = settlements.generate_month(today.year, today.month, actor=manager)
    db.session.flush()
    statement = next(s for s in statements if s.vendor_id == nyai.id)
    # A period closes only once it is over: the vendor's is closed and paid the day after it.
    with time_machine.travel(start_of_day(statement.period_end + timedelta(days=1)), tick=False):
        statement = settlements.close_settlement(statement, actor=manager)
        db.session.flush()
        proof = save_document(_file(PDF, "transfer.pdf", "application/pdf"), folder="payouts")
        payment = settlements.Payment(
            paid_on=statement.period_end + timedelta(days=1),
            reference="TRF-BUSY-0001",
            amount=statement.net_payable,
            holder_confirmed="SITI NURHAYATI",
            proof_key=proof.path,
            proof_mime=proof.mime,
        )
        statement = settlements.mark_paid(statement, payment, actor=manager)
        db.session.flush()
    comment = settlements.add_comment(statement, "Kok rusak dihitung?", "dispute", author=owner)
    db.session.flush()
    settlements.answer_comment(comment, "Terlihat di foto penghapusan stok.", actor=manager)
    db.session.flush()
    draft = next(s for s in statements if s.vendor_id != nyai.id)
    v.update(statement_id=statement.id, draft_statement_id=draft.id)

    # People: vendor staff, an open invitation, a cashier without a shift, a draft application.
    staff = create_user(name="Rina Staf", email="staf.nyai@example.com", password=DEMO_PASSWORD)
    mark_email_verified(staff)
    db.session.flush()
    invitation, _ = team.invite(nyai, owner, staff.email)
    team.accept(invitation, staff)
    _, v["invitation_token"] = team.invite(nyai, owner, "calon.staf@example.com")
    create_user(
        name="Kasir Pagi",
        email="kasir.pagi@example.com",
        password=DEMO_PASSWORD,
        role=Role.CASHIER,
    )
    draft, draft_document = _application(shopper, NIB[:-1] + "8", send=False)
    applicant = create_user(
        name="Tuti Handayani", email="tuti.kue@example.com", password=DEMO_PASSWORD
    )
    mark_email_verified(applicant)
    db.session.flush()
    sent, sent_document = _application(applicant, NIB[:-1] + "9", send=True)
    db.session.flush()
    v.update(
        draft_document_id=draft_document.id,
        applicant_vendor_id=sent.id,
        applicant_document_id=sent_document.id,
        reset_token=make_reset_token(shopper),
        cashier_user_id=cashier.id,
        verify_token=make_verification_token(shopper),
        # The demo's incubator rows: the mentor follows the demo vendor (storefront/demo.py).
        application_id=db.session.scalar(select(PermitApplication.id)),
        cohort_id=db.session.scalar(select(Cohort.id)),
        mentor_user_id=_user("mentor@example.com").id,
    )

    demo.visitors = [
        Visitor("guest", None),
        Visitor("shopper", Role.SHOPPER, shopper.email),
        Visitor("vendor owner", Role.VENDOR, owner.email),
        Visitor("vendor staff", Role.VENDOR, staff.email),
        Visitor("cashier with an open shift", Role.CASHIER, cashier.email),
        Visitor("cashier without a shift", Role.CASHIER, "kasir.pagi@example.com"),
        Visitor("mentor", Role.MENTOR, "mentor@example.com"),
        Visitor("manager", Role.MANAGER, manager.email),
        Visitor("admin", Role.ADMIN, "admin@example.com"),
    ]
    return demo
