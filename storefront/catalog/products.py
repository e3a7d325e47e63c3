"""Product listings: vendors create and edit them, managers review them.

A vendor only ever reaches its own products through `vendor_product` (scoped by vendor id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from slugify import slugify
from sqlalchemy import func, select

from storefront import audit, manager_inbox, states
from storefront.catalog import variants
from storefront.catalog.models import (
    FoodType,
    PermitKind,
    PriceChange,
    Product,
    ProductPermit,
    ProductPhoto,
    ProductStatus,
    ProductStatusChange,
)
from storefront.catalog.permits import (
    halal_conflict,
    refresh_permit_status,
    reminder_days,
    requirements,
)
from storefront.categories import Category
from storefront.clock import today_wib
from storefront.database import utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.indonesia import identifiers
from storefront.links import external_url
from storefront.manager_inbox import NotificationKind
from storefront.money import MAX_AMOUNT, format_rupiah
from storefront.settings.services import get_setting
from storefront.uploads import delete_after_commit, save_image
from storefront.vendors.emails import tell_owners

MAX_PHOTOS = 6

TRANSITIONS: dict[ProductStatus, set[ProductStatus]] = {
    ProductStatus.DRAFT: {ProductStatus.SUBMITTED},
    ProductStatus.SUBMITTED: {ProductStatus.APPROVED, ProductStatus.REJECTED, ProductStatus.DRAFT},
    ProductStatus.APPROVED: {ProductStatus.SUBMITTED},
    ProductStatus.REJECTED: {ProductStatus.SUBMITTED, ProductStatus.DRAFT},
}


class ListingError(DomainError):
    """A listing rule was broken; `message` is safe to show, `field` names the form field."""


class InvalidTransition(ListingError):
    pass


class PriceChangeUnconfirmed(ListingError):
    """A price that changes by more than the `price_change_confirm_percent` setting: Rp25.000
    typed as 250000, or as 25,000 read the English way. The vendor confirms it first."""

    def __init__(self, old: int, new: int):
        super().__init__(
            _l(
                "The price changes from %(old)s to %(new)s. If that is right, tick the box "
                "to confirm it.",
                old=format_rupiah(old),
                new=format_rupiah(new),
            ),
            field="price",
        )


def vendor_product(vendor_id: int, product_id: int) -> Product | None:
    return db.session.scalar(
        select(Product).where(Product.id == product_id, Product.vendor_id == vendor_id)
    )


def vendor_products(vendor_id: int, page: int = 1):
    statement = (
        select(Product)
        .where(Product.vendor_id == vendor_id)
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    return db.paginate(statement, page=page, per_page=25, error_out=False)


def transition(product: Product, to: ProductStatus, actor, comment: str = "") -> None:
    states.move(
        product,
        to,
        TRANSITIONS,
        history=lambda **row: ProductStatusChange(product_id=product.id, **row),
        actor=actor,
        comment=comment,
        refuse=lambda current, target: InvalidTransition(
            _l("This product cannot be moved to that state now.")
        ),
    )
    if to == ProductStatus.SUBMITTED:
        product.submitted_at = utcnow()


@dataclass
class ProductDetails:
    name: str
    category_id: int
    description: str
    price: int
    unit: str
    net_content: str
    ingredients: str
    allergens: str
    storage: str
    shelf_life_days: int | None
    non_halal: bool
    non_halal_ingredient: str = ""
    food_type: str = FoodType.PACKAGED.value
    animal_derived: bool = False
    size_guide: str = ""


# Fields whose change sends an approved product back to review; price is not one of them.
REVIEWED_FIELDS = (
    "name",
    "category_id",
    "description",
    "unit",
    "net_content",
    "ingredients",
    "allergens",
    "storage",
    "shelf_life_days",
    "non_halal",
    "non_halal_ingredient",
    "food_type",
    "animal_derived",
    "size_guide",
)


def _check_halal_declaration(details: ProductDetails) -> None:
    if details.food_type not in set(FoodType):
        raise ListingError(_l("Choose the type of food."), field="food_type")
    if details.non_halal and not details.non_halal_ingredient.strip():
        # Shoppers see "Tidak halal: <ingredient>" on the card, in the cart and on the page.
        raise ListingError(
            _l("Name the non-halal ingredient, e.g. babi (pork) or angciu (rice wine)."),
            field="non_halal_ingredient",
        )
    if not details.non_halal:
        details.non_halal_ingredient = ""


def price_change_needs_confirmation(old: int | None, new: int) -> bool:
    """More than the `price_change_confirm_percent` setting (50 %) up or down."""
    if not old or old == new:
        return False
    percent = int(get_setting("price_change_confirm_percent"))
    return abs(new - old) * 100 > old * percent


def _check_price(price: int) -> None:
    if price is None or price <= 0:
        raise ListingError(_l("The price must be more than Rp0."), field="price")
    if price > MAX_AMOUNT:
        raise ListingError(_l("At most %(amount)s.", amount=format_rupiah(MAX_AMOUNT)), "price")


def _unique_slug(name: str, product_id: int | None = None) -> str:
    base = slugify(name)[:100] or "produk"
    slug, n = base, 2
    while True:
        taken = db.session.scalar(select(Product.id).where(Product.slug == slug))
        if taken is None or taken == product_id:
            return slug
        slug, n = f"{base}-{n}", n + 1


def create_product(vendor, user, details: ProductDetails) -> Product:
    _check_price(details.price)
    _check_halal_declaration(details)
    category = db.session.get(Category, details.category_id)
    if category is None:
        raise ListingError(_l("Choose a category."), field="category_id")
    product = Product(
        vendor_id=vendor.id,
        code=f"tmp-{utcnow().timestamp()}",
        slug=_unique_slug(details.name),
        status=ProductStatus.DRAFT.value,
        **{field: getattr(details, field) for field in REVIEWED_FIELDS},
        price=details.price,
    )
    product.category = category
    db.session.add(product)
    db.session.flush()
    product.code = f"GTG{product.id:05d}"
    db.session.add(
        PriceChange(product_id=product.id, new_price=details.price, changed_by_id=user.id)
    )
    refresh_permit_status(product)
    return product


def update_product(
    product: Product,
    user,
    details: ProductDetails,
    *,
    price_confirmed: bool = False,
    price_from: date | None = None,
) -> bool:
    """Save the changes. Returns True when an approved product went back to review. A price
    change beyond the confirmation threshold raises PriceChangeUnconfirmed unless confirmed;
    one on goods already on the shelf takes effect from `price_from` (see `change_price`)."""
    _check_price(details.price)
    _check_halal_declaration(details)
    latest = latest_price(product)
    if not price_confirmed and price_change_needs_confirmation(latest, details.price):
        raise PriceChangeUnconfirmed(latest, details.price)
    if details.non_halal and any(p.kind == PermitKind.HALAL for p in product.permits):
        raise ListingError(
            _l(
                "This product has a halal certificate, so it cannot be declared non-halal. "
                "Delete the certificate first if the product is not halal."
            ),
            field="non_halal",
        )
    if db.session.get(Category, details.category_id) is None:
        raise ListingError(_l("Choose a category."), field="category_id")
    changed = [f for f in REVIEWED_FIELDS if getattr(product, f) != getattr(details, f)]
    for field in changed:
        setattr(product, field, getattr(details, field))
    if "name" in changed:
        product.slug = _unique_slug(details.name, product.id)
    if details.price != latest_price(product):
        change_price(product, user, details.price, price_from)
    db.session.flush()
    db.session.refresh(product, ["category"])
    refresh_permit_status(product)
    back_to_review = bool(changed) and product.status == ProductStatus.APPROVED
    if back_to_review:
        transition(product, ProductStatus.SUBMITTED, user, "edited by the vendor")
    return back_to_review


def latest_price(product: Product) -> int:
    """The price the vendor set last: the scheduled one when a change is waiting, else today's."""
    return product.upcoming_price[0] if product.upcoming_price else product.current_price


def price_notice_days() -> int:
    return int(get_setting("price_change_notice_days"))


def earliest_price_date(today: date | None = None) -> date:
    """The first WIB date a new price may take effect (setting `price_change_notice_days`)."""
    return (today or today_wib()) + timedelta(days=price_notice_days())


def _has_been_approved(product: Product) -> bool:
    """Only an approved product is received onto the shelf, so only its labels carry a price."""
    if product.status == ProductStatus.APPROVED:
        return True
    approved = select(ProductStatusChange.id).where(
        ProductStatusChange.product_id == product.id,
        ProductStatusChange.to_status == ProductStatus.APPROVED.value,
    )
    return db.session.scalar(approved.limit(1)) is not None


def change_price(product: Product, user, new_price: int, price_from: date | None) -> PriceChange:
    """Set a new price. Goods on the shelf carry labels with today's price, and the till must
    charge what the label says: so once the outlet has received the product, the new price
    takes effect from `price_from`, at least `price_change_notice_days` ahead, and until then
    the shop and the till charge today's price (`Product.price_on`: nothing has to run at
    midnight). Managers see the change with the batches whose labels to reprint
    (stock.price_labels). A product never approved changes at once: no label carries it."""
    _check_price(new_price)
    try:
        variants.check_product_price(product, new_price)
    except variants.VariantError as exc:
        raise ListingError(exc.message, field="price") from exc
    today = today_wib()
    # An earlier scheduled change that is in effect by now becomes the base price.
    product.price = product.current_price
    product.next_price = product.next_price_from = None
    old = product.price
    if new_price == old or not _has_been_approved(product):
        # Back to today's price (a waiting change withdrawn), or nothing on a shelf yet.
        effective_on = today
        product.price = new_price
    else:
        earliest = earliest_price_date(today)
        if price_from is None:
            raise ListingError(
                _l(
                    "Choose the date the new price takes effect: %(date)s at the earliest.",
                    date=format_date(earliest),
                ),
                field="price_from",
            )
        if price_from < today:
            raise ListingError(
                _l(
                    "A price change cannot be dated in the past. Choose %(date)s or later.",
                    date=format_date(earliest),
                ),
                field="price_from",
            )
        if price_from < earliest:
            raise ListingError(
                _l(
                    "The new price can take effect from %(date)s at the earliest, so the outlet "
                    "can reprint the shelf labels first.",
                    date=format_date(earliest),
                ),
                field="price_from",
            )
        effective_on = price_from
        product.next_price, product.next_price_from = new_price, price_from
    change = PriceChange(
        product_id=product.id,
        old_price=old,
        new_price=new_price,
        effective_on=effective_on,
        changed_by_id=user.id,
    )
    db.session.add(change)
    db.session.flush()
    if product.next_price_from is not None:
        manager_inbox.notify(
            NotificationKind.PRICE_CHANGE,
            change,
            f"{product.name}: {format_rupiah(old)} → {format_rupiah(new_price)}, "
            f"{price_from.strftime('%d/%m/%Y')}",
        )
    return change


def price_history(product: Product) -> list[PriceChange]:
    return list(
        db.session.scalars(
            select(PriceChange)
            .where(PriceChange.product_id == product.id)
            .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc())
        )
    )


def set_permit(
    product: Product,
    *,
    kind: PermitKind,
    number: str,
    issued_on: date | None,
    expires_on: date | None,
    stored_file=None,
    today: date,
) -> ProductPermit:
    """Add or replace the product's permit of this kind, after checking its number and dates.

    P-IRT: the "berlaku sampai" date printed on the SPP-IRT is required and must agree with the
    year in the number. BPOM: the expiry printed on the registration, else issue + 5 years
    (PerBPOM 23/2023). Halal: no expiry since PP 42/2024, but a certificate from the old
    four-year rule may carry one.
    """
    if issued_on is not None and issued_on > today:
        raise ListingError(_l("The issue date cannot be in the future."), field="issued_on")
    if kind == PermitKind.PIRT:
        if expires_on is None:
            raise ListingError(
                _l('Enter the "berlaku sampai" (valid until) date printed on the SPP-IRT.'),
                field="expires_on",
            )
        pirt = identifiers.parse_pirt(
            number, valid_until=expires_on, today=today, issued_on=issued_on
        )
        number, expires_on = pirt.number, pirt.expires_on
    elif kind == PermitKind.BPOM:
        number = identifiers.parse_bpom(number).number
        expires_on = identifiers.bpom_expiry(issued_on=issued_on, expires_on=expires_on)
        if expires_on is None:
            raise ListingError(
                _l("Enter the expiry date printed on the BPOM registration, or its issue date."),
                field="expires_on",
            )
    elif kind == PermitKind.HALAL:
        number = identifiers.parse_halal(number)
        if product.non_halal:
            raise ListingError(
                _l(
                    "This product is declared non-halal. Untick the declaration before adding "
                    "a halal certificate."
                ),
                field="number",
            )
    if expires_on is not None and expires_on < today:
        raise ListingError(
            _l("This permit expired on %(date)s. Enter a valid one.", date=expires_on),
            field="expires_on",
        )
    permit = next((p for p in product.permits if p.kind == kind), None)
    if permit is None:
        permit = ProductPermit(kind=kind.value, number=number)
        product.permits.append(permit)
    permit.number = number
    permit.issued_on = issued_on
    permit.expires_on = expires_on
    if stored_file is not None:
        permit.file_path = stored_file.path
        permit.mime = stored_file.mime
        permit.original_name = stored_file.original_name
    refresh_permit_status(product)
    if product.status == ProductStatus.APPROVED:
        transition(product, ProductStatus.SUBMITTED, None, "permit changed")
    return permit


def remove_permit(product: Product, kind: PermitKind) -> None:
    permit = next((p for p in product.permits if p.kind == kind), None)
    if permit is not None:
        product.permits.remove(permit)
        refresh_permit_status(product)


def submit(product: Product, user) -> None:
    db.session.refresh(product, ["category", "permits"])
    refresh_permit_status(product)
    if not product.permits_complete:
        raise ListingError(missing_permits_message(product), field="permits")
    transition(product, ProductStatus.SUBMITTED, user)
    product.review_comment = None
    manager_inbox.notify(NotificationKind.PRODUCT, product, product.name)


def missing_permits_message(product: Product):
    """What the product still needs, in the words a vendor understands."""
    if halal_conflict(product):
        return _l("A product cannot have both a halal certificate and a non-halal declaration.")
    needed = requirements(product)
    if needed.food_safety and needed.halal:
        return _l(
            "Packaged food and drink need a P-IRT or BPOM permit, and a halal certificate or a "
            "non-halal declaration, before they can be sent for review."
        )
    if needed.food_safety:
        return _l("Packaged food and drink need a P-IRT or BPOM permit.")
    return _l(
        "This product needs a halal certificate, or a non-halal declaration naming the "
        "ingredient, before it can be sent for review."
    )


def approve(product: Product, manager) -> None:
    db.session.refresh(product, ["category", "permits"])
    refresh_permit_status(product)
    if not product.permits_complete:
        raise ListingError(_l("The required permits are missing."), field="permits")
    transition(product, ProductStatus.APPROVED, manager)
    variants.approve_all(product)
    product.review_comment = None
    if product.hidden_reason == "permit_expired":
        # The renewed permit was just checked: list the product again.
        product.hidden = False
        product.hidden_reason = None
    audit.record(manager, "product.approve", product, after={"status": product.status})
    _tell_vendor(product, _l("Your product was approved"))


def review_reason(reason: str | None) -> str:
    """A manager's reason for a rejection, as the vendor reads it: required, never blank."""
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(_l("Give the vendor a reason."), field="comment")
    return reason


def reject(product: Product, manager, reason: str) -> None:
    reason = review_reason(reason)
    transition(product, ProductStatus.REJECTED, manager, reason)
    product.review_comment = reason
    audit.record(manager, "product.reject", product, after={"status": product.status})
    _tell_vendor(product, _l("Your product needs a change"))


def _tell_vendor(product: Product, subject) -> None:
    """The review's outcome, to the vendor's owners (each decision is its own event)."""
    tell_owners(
        product.vendor,
        "catalog/email/product_decision.txt",
        subject,
        event=f"product_{product.status}",
        key=None,
        whatsapp_params=[product.name],
        product=product,
        link=external_url("catalog.products"),
    )


def review_queue(status: str | None, page: int):
    statement = select(Product).join(Product.vendor)
    if status:
        statement = statement.where(Product.status == status)
    statement = statement.order_by(Product.submitted_at.desc().nulls_last(), Product.id.desc())
    return db.paginate(statement, page=page, per_page=25, error_out=False)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(Product.status, func.count()).group_by(Product.status))
    return {status: count for status, count in rows}


# --- photos --------------------------------------------------------------------------------


def add_photo(product: Product, file) -> ProductPhoto:
    if len(product.photos) >= MAX_PHOTOS:
        raise ListingError(
            _l("A product can have at most %(n)d photos.", n=MAX_PHOTOS), field="photo"
        )
    image = save_image(file, folder=f"products/{product.id}")
    photo = ProductPhoto(
        image_key=image.key,
        widths=",".join(str(w) for w in image.widths),
        width=image.width,
        height=image.height,
        position=len(product.photos),
    )
    product.photos.append(photo)
    return photo


def move_photo(product: Product, photo_id: int, offset: int) -> None:
    photos = list(product.photos)
    index = next((i for i, p in enumerate(photos) if p.id == photo_id), None)
    if index is None:
        raise ListingError(_l("Photo not found."))
    target = max(0, min(len(photos) - 1, index + offset))
    photos.insert(target, photos.pop(index))
    for position, photo in enumerate(photos):
        photo.position = position


def delete_photo(product: Product, photo_id: int) -> None:
    photo = next((p for p in product.photos if p.id == photo_id), None)
    if photo is None:
        raise ListingError(_l("Photo not found."))
    variant = photo.variant
    photo.variant = None
    product.photos.remove(photo)
    delete_after_commit(photo.image_key)
    for position, remaining in enumerate(product.photos):
        remaining.position = position
    db.session.flush()
    if variant is not None and variants.photo_removed(variant):
        variants.tell_managers(product, [variant])


def permit_alerts(vendor_id: int, today: date) -> tuple[list[Product], list[Product]]:
    """The vendor's products whose permits lapse within the first reminder window (90 days),
    and those already lapsed."""
    days = reminder_days()
    horizon = date.fromordinal(today.toordinal() + (days[0] if days else 30))
    products = db.session.scalars(
        select(Product)
        .where(
            Product.vendor_id == vendor_id,
            Product.permits_valid_until.is_not(None),
            Product.permits_valid_until <= horizon,
        )
        .order_by(Product.permits_valid_until, Product.id)
    ).all()
    expiring = [p for p in products if p.permits_valid_until >= today]
    expired = [p for p in products if p.permits_valid_until < today]
    return expiring, expired
