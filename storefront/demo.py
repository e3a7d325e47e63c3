"""Demo data for `flask seed-demo`: the outlet's four communities, a handful of Tangerang UMKM
vendors and their products. Every row is found by a stable key first, so running it again
adds only what is missing."""

from __future__ import annotations

import hashlib
import io
import textwrap
from datetime import date, timedelta

from PIL import Image, ImageDraw, ImageFont
from slugify import slugify
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from storefront.auth.models import Role, User
from storefront.auth.services import create_user, mark_email_verified
from storefront.catalog import products as listings
from storefront.catalog.models import PermitKind, Product, ProductPermit, ProductStatus
from storefront.catalog.permits import refresh_permit_status
from storefront.categories import Category
from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.demo_variants import VARIANT_PRODUCTS, add_options, stock_variants
from storefront.extensions import db
from storefront.incubator.models import Cohort, CohortMember, MentorAssignment, PermitApplication
from storefront.phones import normalise_phone
from storefront.settings.services import get_setting, set_setting
from storefront.vendors.models import MemberRole, Vendor, VendorMember, VendorStatus

DEMO_PASSWORD = "gerai-demo-2026"  # nosec B105 # public demo sign-in; seed-demo refuses production

CATEGORIES = [
    # slug, Indonesian name, English name, food?, description
    (
        "makanan-minuman",
        "Makanan & Minuman",
        "Food & Drink",
        True,
        "Keripik, sambal, kopi dan olahan pangan UMKM Tangerang.",
    ),
    (
        "kerajinan",
        "Kerajinan",
        "Crafts",
        False,
        "Anyaman, gerabah dan kerajinan tangan pengrajin lokal.",
    ),
    (
        "busana-batik",
        "Busana & Batik",
        "Clothing & Batik",
        False,
        "Batik tulis dan cap motif khas Tangerang.",
    ),
    ("alas-kaki", "Alas Kaki", "Footwear", False, "Sandal dan sepatu buatan perajin Tangerang."),
]

VENDORS = [
    {
        "slug": "dapur-nyai-cikupa",
        "name": "Dapur Nyai Cikupa",
        "kecamatan": "Cikupa",
        "whatsapp": "081210000001",
        "owner": ("Siti Nurhayati", "nyai.cikupa@example.com"),
        "story": "Usaha rumahan sejak 2015 yang mengolah singkong dan pisang dari petani "
        "Cikupa menjadi keripik renyah tanpa pengawet. Lulusan inkubator bisnis "
        "Kabupaten Tangerang angkatan 2023.",
    },
    {
        "slug": "sambal-bu-rini",
        "name": "Sambal Bu Rini",
        "kecamatan": "Pasar Kemis",
        "whatsapp": "081210000002",
        "owner": ("Rini Marlina", "sambal.burini@example.com"),
        "story": "Sambal racikan keluarga dari Pasar Kemis, dimasak dalam wajan besar tiap "
        "pagi dengan cabai segar dan tanpa bahan pengawet buatan.",
    },
    {
        "slug": "kopi-gunung-kaler",
        "name": "Kopi Gunung Kaler",
        "kecamatan": "Gunung Kaler",
        "whatsapp": "081210000003",
        "owner": ("Ahmad Fauzi", "kopi.gunungkaler@example.com"),
        "story": "Robusta pilihan yang disangrai dalam jumlah kecil oleh pemuda Gunung "
        "Kaler, dari biji petik merah hingga kemasan.",
    },
    {
        "slug": "batik-kembang-cisadane",
        "name": "Batik Kembang Cisadane",
        "kecamatan": "Legok",
        "whatsapp": "081210000004",
        "owner": ("Dewi Lestari", "batik.cisadane@example.com"),
        "story": "Perajin batik tulis dan cap yang mengangkat motif sungai Cisadane, "
        "perahu naga dan flora khas Tangerang.",
    },
    {
        "slug": "anyaman-pandan-kresek",
        "name": "Anyaman Pandan Kresek",
        "kecamatan": "Kresek",
        "whatsapp": "081210000005",
        "owner": ("Maman Suparman", "anyaman.kresek@example.com"),
        "story": "Kelompok ibu-ibu perajin di Kresek yang menganyam pandan dan bambu "
        "menjadi tas, tikar dan keranjang.",
    },
    {
        "slug": "sandal-kulit-balaraja",
        "name": "Sandal Kulit Balaraja",
        "kecamatan": "Balaraja",
        "whatsapp": "081210000006",
        "owner": ("Hendra Gunawan", "sandal.balaraja@example.com"),
        "story": "Sandal kulit sapi asli dijahit tangan di bengkel kecil Balaraja.",
    },
]

PRODUCTS = [
    # vendor slug, category slug, code, name, price, unit, net content, description
    (
        "dapur-nyai-cikupa",
        "makanan-minuman",
        "GTG0001",
        "Keripik Singkong Pedas Level 5",
        15000,
        "bungkus",
        "200 g",
        "Keripik singkong tipis dengan bumbu cabai pedas level 5.",
    ),
    (
        "dapur-nyai-cikupa",
        "makanan-minuman",
        "GTG0002",
        "Keripik Singkong Original",
        13000,
        "bungkus",
        "200 g",
        "Keripik singkong gurih dengan garam dan bawang putih.",
    ),
    (
        "dapur-nyai-cikupa",
        "makanan-minuman",
        "GTG0003",
        "Keripik Pisang Manis",
        18000,
        "bungkus",
        "250 g",
        "Keripik pisang kepok dengan balutan gula aren.",
    ),
    (
        "sambal-bu-rini",
        "makanan-minuman",
        "GTG0004",
        "Sambal Cumi Asin",
        35000,
        "botol",
        "150 g",
        "Sambal bawang dengan potongan cumi asin, cocok untuk nasi hangat.",
    ),
    (
        "sambal-bu-rini",
        "makanan-minuman",
        "GTG0005",
        "Sambal Bawang Pedas",
        25000,
        "botol",
        "150 g",
        "Sambal bawang goreng dengan cabai rawit merah.",
    ),
    (
        "sambal-bu-rini",
        "makanan-minuman",
        "GTG0006",
        "Sambal Roa",
        40000,
        "botol",
        "150 g",
        "Sambal ikan roa asap, pedas gurih.",
    ),
    (
        "kopi-gunung-kaler",
        "makanan-minuman",
        "GTG0007",
        "Kopi Robusta Bubuk",
        45000,
        "bungkus",
        "250 g",
        "Robusta sangrai medium, digiling halus untuk kopi tubruk.",
    ),
    (
        "kopi-gunung-kaler",
        "makanan-minuman",
        "GTG0008",
        "Kopi Robusta Biji Sangrai",
        85000,
        "bungkus",
        "500 g",
        "Biji robusta sangrai medium-dark untuk espresso dan V60.",
    ),
    (
        "batik-kembang-cisadane",
        "busana-batik",
        "GTG0009",
        "Kain Batik Tulis Motif Cisadane",
        450000,
        "lembar",
        "2 m",
        "Kain batik tulis pewarna alam, motif aliran sungai Cisadane.",
    ),
    (
        "batik-kembang-cisadane",
        "busana-batik",
        "GTG0010",
        "Kemeja Batik Cap Perahu Naga",
        225000,
        "pcs",
        "",
        "Kemeja lengan pendek batik cap, tersedia ukuran M–XL.",
    ),
    (
        "anyaman-pandan-kresek",
        "kerajinan",
        "GTG0011",
        "Tas Anyaman Pandan",
        120000,
        "pcs",
        "",
        "Tas jinjing anyaman pandan dengan lapisan kain di dalam.",
    ),
    (
        "anyaman-pandan-kresek",
        "kerajinan",
        "GTG0012",
        "Keranjang Bambu Serbaguna",
        65000,
        "pcs",
        "",
        "Keranjang bambu untuk buah, roti atau hantaran.",
    ),
    (
        "sandal-kulit-balaraja",
        "alas-kaki",
        "GTG0013",
        "Sandal Kulit Pria Cokelat",
        175000,
        "pasang",
        "",
        "Sandal kulit sapi jahit tangan, sol karet anti-slip.",
    ),
    (
        "sandal-kulit-balaraja",
        "alas-kaki",
        "GTG0014",
        "Sandal Kulit Wanita Tali Silang",
        165000,
        "pasang",
        "",
        "Sandal kulit model tali silang, nyaman untuk sehari-hari.",
    ),
    # With sizes and colours (storefront/demo_variants.py adds the options and stock).
    (
        "sandal-kulit-balaraja",
        "alas-kaki",
        "GTG0015",
        "Sandal Kulit",
        185000,
        "pasang",
        "",
        "Sandal kulit sapi jahit tangan, sol karet, ukuran 38 sampai 43. Lihat panduan ukuran.",
    ),
    (
        "batik-kembang-cisadane",
        "busana-batik",
        "GTG0016",
        "Kemeja Batik Motif Kembang Mangu",
        235000,
        "pcs",
        "",
        "Kemeja lengan pendek batik cap motif Kembang Mangu khas Tangerang, biru atau merah.",
    ),
]

STAFF = [
    (Role.ADMIN, "Admin Gerai", "admin@example.com"),
    (Role.MANAGER, "Manajer Gerai", "manajer@example.com"),
    (Role.CASHIER, "Kasir Gerai", "kasir@example.com"),
    (Role.MENTOR, "Dewi Lestari", "mentor@example.com"),
    (Role.SHOPPER, "Budi Santoso", "pembeli@example.com"),
]

DEMO_LOGINS = {
    "password": DEMO_PASSWORD,
    "accounts": [(role.value, email) for role, _, email in STAFF]
    + [("vendor", VENDORS[0]["owner"][1])],
}


# Demo permits that give `flask check-permits` something to do: one lapsing within 30 days
# (a 30-day reminder), one within 90 (a 90-day reminder), one lapsed yesterday (hidden).
PERMIT_SCENARIOS = {"GTG0006": 25, "GTG0007": 80, "GTG0008": -1}


def _add_permits(product: Product, index: int, today: date) -> None:
    """Food: a P-IRT issued in Kabupaten Tangerang (3603), valid five years from its issue date
    (the "berlaku sampai" printed on it, whose year ends the number), and a halal certificate,
    so demo food is sellable under the 2026 halal rule. Leather sandals: a halal certificate
    (animal-derived material since 17 October 2026)."""
    if product.category.is_food:
        days_left = PERMIT_SCENARIOS.get(product.code, 365 * 4)
        valid_until = today + timedelta(days=days_left)
        product.permits.append(
            ProductPermit(
                kind=PermitKind.PIRT.value,
                number=f"2{index % 10}13603{index:02d}{index:04d}{valid_until.year % 100:02d}",
                issued_on=valid_until.replace(year=valid_until.year - 5),
                expires_on=valid_until,
            )
        )
    if product.category.is_food or product.animal_derived:
        product.permits.append(
            ProductPermit(kind=PermitKind.HALAL.value, number=f"ID36110000{index:05d}0925")
        )


def _stock_shelves(vendors: dict[str, Vendor], *, staff_id: int) -> int:
    """One demo delivery per vendor, through the real ledger, for products with no stock yet.
    Food gets an expiry date (the first product of each vendor a near one, to show warnings)."""
    from storefront.stock import ledger
    from storefront.stock.models import Batch, IntakeReceipt

    today = date.today()  # noqa: DTZ011 (demo dates are rough)
    added = 0
    for number, vendor in enumerate(vendors.values(), start=1):
        products = db.session.scalars(
            select(Product)
            .where(Product.vendor_id == vendor.id, ~Product.id.in_(select(Batch.product_id)))
            .order_by(Product.id)
        ).all()
        if not products:
            continue
        receipt = IntakeReceipt(
            number=f"NT-DEMO-{number:04d}",
            vendor_id=vendor.id,
            received_by_id=staff_id,
            submission_key=f"demo-{vendor.slug}",
            delivered_by=vendor.owner_name or vendor.name,
            note="Demo",
        )
        db.session.add(receipt)
        db.session.flush()
        for index, product in enumerate(products):
            food = product.category.is_food
            batch = Batch(
                product_id=product.id,
                vendor_id=vendor.id,
                receipt_id=receipt.id,
                code=f"{today:%y%m}-{product.code[-2:]}",
                expires_on=today + timedelta(days=20 if index == 0 else 150) if food else None,
                received_quantity=3 if index == 0 else 24,
                unit_price=product.price,
            )
            ledger.receive_batch(batch, actor_id=staff_id)
            added += 1
    return added


def _user(name: str, email: str, role: Role) -> tuple[User, bool]:
    """Demo addresses are example.com ones nobody can receive mail at: they count as
    confirmed, also on a database seeded before email verification existed."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        mark_email_verified(user)
        return user, False
    user = create_user(name=name, email=email, password=DEMO_PASSWORD, role=role, verified=True)
    return user, True


def seed_demo_data(*, skip_if_seeded: bool = False) -> dict[str, int] | None:
    """Add whatever demo rows are missing (the caller's unit of work commits them). Returns
    counts of what was added."""
    if skip_if_seeded and get_setting("demo_seeded_at"):
        return None
    added = {"users": 0, "vendors": 0, "products": 0, "categories": 0, "batches": 0}

    for role, name, email in STAFF:
        added["users"] += _user(name, email, role)[1]

    categories = {}
    for position, (slug, name, name_en, is_food, description) in enumerate(CATEGORIES):
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(
                slug=slug,
                name=name,
                name_en=name_en,
                is_food=is_food,
                description=description,
                position=position,
            )
            db.session.add(category)
            added["categories"] += 1
        categories[slug] = category

    vendors = {}
    for data in VENDORS:
        vendor = db.session.scalar(select(Vendor).where(Vendor.slug == data["slug"]))
        if vendor is None:
            vendor = Vendor(
                slug=data["slug"],
                name=data["name"],
                status=VendorStatus.APPROVED.value,
                story=data["story"],
                kecamatan=data["kecamatan"],
                city="kabupaten-tangerang",
                owner_name=data["owner"][0],
                owner_email=data["owner"][1],
                owner_phone=normalise_phone(data["whatsapp"]),
                decided_at=utcnow(),
                whatsapp=normalise_phone(data["whatsapp"]),
            )
            db.session.add(vendor)
            added["vendors"] += 1
        owner_name, owner_email = data["owner"]
        owner, created = _user(owner_name, owner_email, Role.VENDOR)
        added["users"] += created
        db.session.flush()
        if created:
            db.session.add(
                VendorMember(vendor_id=vendor.id, user_id=owner.id, role=MemberRole.OWNER.value)
            )
        vendors[data["slug"]] = vendor

    db.session.flush()
    for index, row in enumerate(PRODUCTS, start=1):
        vendor_slug, category_slug, code, name, price, unit, net, description = row
        if db.session.scalar(select(Product.id).where(Product.code == code)) is not None:
            continue
        product = Product(
            vendor_id=vendors[vendor_slug].id,
            code=code,
            slug=slugify(f"{name}-{code}"),
            name=name,
            price=price,
            unit=unit,
            net_content=net,
            description=description,
            status=ProductStatus.APPROVED.value,
        )
        product.category = categories[category_slug]
        # Leather sandals: animal-derived material, so halal certificate or declaration.
        product.animal_derived = category_slug == "alas-kaki"
        _add_permits(product, index, today_wib())
        refresh_permit_status(product)
        db.session.add(product)
        added["products"] += 1
        if code in VARIANT_PRODUCTS:
            db.session.flush()
            add_options(product)

    db.session.flush()
    added["cohorts"] = _demo_incubator(vendors)
    added["photos"] = _demo_photos()
    staff_id = _user(*STAFF[1][1:], Role.MANAGER)[0].id
    added["batches"] = stock_variants(staff_id=staff_id, today=today_wib())
    added["batches"] += _stock_shelves(vendors, staff_id=staff_id)
    set_setting("demo_seeded_at", utcnow().isoformat())
    added["orders"] = _demo_orders()
    return added


def _demo_incubator(vendors: dict[str, Vendor]) -> int:
    """The incubator's mentor follows the first vendor, who is in this year's cohort, and a
    BPOM registration for its first food product is on the permit board."""
    mentor = db.session.scalar(select(User).where(User.email == "mentor@example.com"))
    vendor = vendors[VENDORS[0]["slug"]]
    if db.session.get(MentorAssignment, (vendor.id, mentor.id)) is None:
        db.session.add(MentorAssignment(vendor_id=vendor.id, mentor_id=mentor.id))
    name = "Inkubator Bisnis Angkatan 2026"
    if db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        return 0
    today = today_wib()
    cohort = Cohort(name=name, starts_on=today.replace(day=1), mentor_id=mentor.id)
    cohort.members.append(CohortMember(vendor_id=vendor.id, joined_on=cohort.starts_on))
    db.session.add(cohort)
    product = db.session.scalar(
        select(Product)
        .join(Category, Category.id == Product.category_id)
        .where(Product.vendor_id == vendor.id, Category.is_food.is_(True))
        .order_by(Product.id)
    )
    if product is not None:
        db.session.add(
            PermitApplication(
                vendor_id=vendor.id,
                product_id=product.id,
                kind=PermitKind.BPOM.value,
                mentor_id=mentor.id,
                next_step="Kumpulkan hasil uji laboratorium dan denah ruang produksi.",
                due_on=today + timedelta(days=30),
            )
        )
    return 1


# --- product photos ------------------------------------------------------------------------------
# Drawn at seed time so the demo shop looks like a shop: one picture per product, coloured by a
# hash of its code, with its name on a label and a shape for its category. Stored through the
# same upload path as a vendor's photo (re-encoded WebP variants under UPLOAD_DIR/public).

PHOTO_SIZE = 900
PHOTO_PALETTE = [
    ((15, 118, 110), (204, 251, 241)),
    ((180, 83, 9), (254, 243, 199)),
    ((157, 23, 77), (252, 231, 243)),
    ((29, 78, 216), (219, 234, 254)),
    ((77, 124, 15), (236, 252, 203)),
    ((124, 58, 237), (237, 233, 254)),
    ((194, 65, 12), (255, 237, 213)),
]


def _demo_photos() -> int:
    """A photo for every demo product that has none."""
    products = db.session.scalars(
        select(Product).where(Product.code.like("GTG%")).order_by(Product.code)
    ).all()
    added = 0
    for product in products:
        if product.photos:
            continue
        image = _product_picture(product.name, product.code, product.category.slug)
        listings.add_photo(
            product,
            FileStorage(
                io.BytesIO(image), filename=f"{product.code}.png", content_type="image/png"
            ),
        )
        added += 1
    return added


def _product_picture(name: str, code: str, category: str) -> bytes:
    dark, light = PHOTO_PALETTE[
        int(hashlib.sha256(code.encode()).hexdigest(), 16) % len(PHOTO_PALETTE)
    ]
    size = PHOTO_SIZE
    image = Image.new("RGB", (size, size), light)
    draw = ImageDraw.Draw(image)
    # A soft band of the darker colour behind the "packet".
    draw.rectangle((0, int(size * 0.62), size, size), fill=_mix(dark, light, 0.25))
    centre = size // 2
    if category.startswith("makanan"):
        # A standing pouch, the way keripik and sambal are packed.
        draw.rounded_rectangle((220, 150, 680, 760), radius=40, fill=dark)
        draw.polygon(
            [(220, 150), (680, 150), (640, 110), (260, 110)], fill=_mix(dark, (0, 0, 0), 0.2)
        )
    elif category.startswith("kerajinan"):
        # A woven basket: rows of alternating weave.
        for row in range(6):
            for col in range(6):
                colour = dark if (row + col) % 2 else _mix(dark, light, 0.4)
                draw.rectangle(
                    (210 + col * 80, 240 + row * 80, 290 + col * 80, 320 + row * 80), fill=colour
                )
    elif "batik" in category:
        draw.rectangle((180, 150, 720, 760), fill=dark)
        for y in range(190, 740, 90):
            for x in range(220, 700, 90):
                draw.ellipse((x, y, x + 50, y + 50), outline=light, width=6)
    else:
        draw.ellipse((centre - 260, 180, centre + 260, 700), fill=dark)
    label_box = (150, 330, 750, 560)
    draw.rounded_rectangle(label_box, radius=24, fill=(255, 255, 255))
    font = ImageFont.load_default(size=54)
    lines = textwrap.wrap(name, width=16)[:3]
    y = centre - 10 - 31 * len(lines)
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text((centre - width / 2, y), line, fill=dark, font=font)
        y += 64
    small = ImageFont.load_default(size=30)
    draw.text((40, size - 60), code, fill=(255, 255, 255), font=small)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _mix(a, b, share: float):
    return tuple(round(x * (1 - share) + y * share) for x, y in zip(a, b, strict=True))


def _demo_orders() -> int:
    """A few online orders at different steps, so the manager's order queue is not empty."""
    from storefront.orders import services as orders
    from storefront.orders.models import Order, OrderStatus, PaidWith

    if db.session.scalar(select(Order.id).limit(1)) is not None:
        return 0
    shopper = db.session.scalar(select(User).where(User.email == "pembeli@example.com"))
    manager = db.session.scalar(select(User).where(User.email == "manajer@example.com"))
    # Products without sizes or colours (code -> their one variant), as before sizes came.
    products = {
        p.code: p.default_variant.id
        for p in db.session.scalars(
            select(Product)
            .where(Product.code.not_in(list(VARIANT_PRODUCTS)))
            .order_by(Product.id.desc())
            .limit(6)
        )
        if p.default_variant is not None
    }
    codes = list(products)
    wanted = [
        ({codes[0]: 2, codes[1]: 1}, "pickup", None, None),
        ({codes[2]: 1}, "delivery", "Cikupa", "Jl. Raya Serang Km 17 No. 8, RT 01/RW 02, Talaga"),
        ({codes[3]: 3}, "pickup", None, None),
    ]
    placed = []
    for quantities, fulfilment, kecamatan, address in wanted:
        details = orders.CheckoutDetails(
            name=shopper.name,
            email=shopper.email,
            phone="+6281298765432",
            fulfilment=fulfilment,
            payment_method="outlet",
            kecamatan=kecamatan,
            address=address,
            user_id=shopper.id,
        )
        try:
            placed.append(
                orders.place_order(
                    {products[c]: q for c, q in quantities.items()}, details, card_enabled=False
                )
            )
        except orders.OrderError:
            continue  # not enough demo stock on the shelf; the queue simply has fewer orders
    if len(placed) == 3:
        # The second one is packed and waiting for the courier; the third is paid and ready.
        orders.transition(placed[1], OrderStatus.PACKED, actor=manager)
        orders.mark_paid(placed[2], paid_with=PaidWith.QRIS, amount=placed[2].total, actor=manager)
        orders.transition(placed[2], OrderStatus.PACKED, actor=manager)
        orders.transition(placed[2], OrderStatus.READY_FOR_PICKUP, actor=manager)
    return len(placed)
