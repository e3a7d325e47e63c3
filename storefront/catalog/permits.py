"""Which goods may be sold (DESIGN invariant 8), and the daily permit check.

What a product needs (sources in docs/decisions.md, "Indonesian rules, right"):

- **Food safety** (P-IRT or BPOM MD/ML): packaged processed food. Not needed for food with a
  shelf life under 7 days (kue basah), ready-to-eat food or food packed in front of the buyer,
  nor for fresh, unprocessed produce (PP 86/2019 on food safety: these need no izin edar).
- **Halal** (a BPJPH certificate or an explicit non-halal declaration naming the ingredient):
  all food and drink from 17 October 2026 (UU 33/2014 as amended, PP 42/2024), except fresh
  produce from plants, which is halal by nature (UU 33/2014 Pasal 20); and, from the same day,
  goods made from or with animal-derived material (leather sandals, shoes, bags, belts,
  clothing parts), whatever their category (PP 39/2021 on the staged obligation).

The result is kept on the product (`permits_complete`, `permits_valid_until`) so the shop can
filter in SQL; it is recomputed whenever a permit or a field it depends on changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.catalog.models import (
    FoodType,
    PermitKind,
    PermitReminder,
    Product,
    ProductPermit,
    ProductStatus,
)
from storefront.extensions import db
from storefront.settings.services import get_setting

# PP 86/2019: food that keeps under 7 days at room temperature needs no izin edar.
SHORT_SHELF_LIFE_DAYS = 7


@dataclass(frozen=True)
class Requirements:
    food_safety: bool  # a P-IRT or BPOM registration
    halal: bool  # a halal certificate, or the vendor's non-halal declaration

    @property
    def any(self) -> bool:
        return self.food_safety or self.halal


def requirements(product: Product) -> Requirements:
    food = bool(product.category and product.category.is_food)
    food_type = product.food_type or FoodType.PACKAGED.value
    short_life = (
        product.shelf_life_days is not None and product.shelf_life_days < SHORT_SHELF_LIFE_DAYS
    )
    food_safety = food and food_type == FoodType.PACKAGED and not short_life
    plant_produce = food and food_type == FoodType.FRESH and not product.animal_derived
    halal = (food and not plant_produce) or bool(product.animal_derived)
    return Requirements(food_safety=food_safety, halal=halal)


def needs_permits(product: Product) -> bool:
    return requirements(product).any


def non_halal_label(product: Product) -> str:
    """ "Tidak halal: babi" — the declaration as shoppers see it on cards, cart, page and the
    marketing kit."""
    if product.non_halal_ingredient:
        return _("Not halal: %(ingredient)s", ingredient=product.non_halal_ingredient)
    # Declared before the ingredient was asked for.
    return _("Non-halal: contains non-halal ingredients")


def halal_conflict(product: Product) -> bool:
    """A halal certificate and a non-halal declaration cannot both be true."""
    return product.non_halal and any(p.kind == PermitKind.HALAL for p in product.permits)


def refresh_permit_status(product: Product) -> None:
    needed = requirements(product)
    by_kind = {p.kind: p for p in product.permits}
    safety = [by_kind[k] for k in (PermitKind.PIRT, PermitKind.BPOM) if k in by_kind]
    halal = by_kind.get(PermitKind.HALAL)
    product.permits_complete = (
        (not needed.food_safety or bool(safety))
        and (not needed.halal or halal is not None or product.non_halal)
        and not halal_conflict(product)
    )
    limits = []
    # Any one valid food-safety permit is enough, so the product is sellable until the last of
    # them lapses; permits a product does not need never hide it.
    if needed.food_safety and safety and all(p.expires_on for p in safety):
        limits.append(max(p.expires_on for p in safety))
    # A halal certificate has no expiry since PP 42/2024, except an old one with a printed date.
    if needed.halal and halal is not None and halal.expires_on is not None:
        limits.append(halal.expires_on)
    product.permits_valid_until = min(limits) if limits else None


def permits_expired(product: Product, today: date) -> bool:
    return product.permits_valid_until is not None and product.permits_valid_until < today


# --- the daily check ------------------------------------------------------------------------


def reminder_days() -> list[int]:
    """The setting `permit_reminder_days` ("90,30,7"), largest first."""
    days = {int(part) for part in get_setting("permit_reminder_days").split(",") if part.strip()}
    return sorted((d for d in days if d > 0), reverse=True)


@dataclass(frozen=True)
class Reminder:
    permit: ProductPermit
    product: Product
    days_left: int


@dataclass
class PermitCheck:
    """What one run of the check did and must tell people, once it is committed."""

    today: date
    hidden: list[Product] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    # The managers' weekly digest: what lapses within the first reminder window, and what is
    # hidden because a permit lapsed. None when no digest is due.
    digest: Digest | None = None


@dataclass(frozen=True)
class Digest:
    lapsing: list[Reminder]
    hidden: list[Product]
    horizon_days: int


def _listed():
    return select(Product).where(
        Product.status.in_([ProductStatus.APPROVED.value, ProductStatus.SUBMITTED.value])
    )


def check_permits(today: date, *, digest: bool = False) -> PermitCheck:
    """Hide listed products whose required permits lapsed, choose the reminders due (each
    permit once per threshold and expiry date, recorded in `permit_reminders`) and, with
    `digest`, gather the managers' digest. Flushes only: the caller commits, then sends
    (`catalog.permit_mail.send_permit_mail`)."""
    result = PermitCheck(today)
    lapsed = (
        _listed()
        .options(joinedload(Product.vendor))
        .where(
            Product.status == ProductStatus.APPROVED.value,
            Product.hidden.is_(False),
            Product.permits_valid_until < today,
        )
        .order_by(Product.id)
    )
    for product in db.session.scalars(lapsed):
        product.hidden = True
        product.hidden_reason = "permit_expired"
        result.hidden.append(product)

    thresholds = reminder_days()
    if thresholds:
        result.reminders = _due_reminders(today, thresholds)
    if digest:
        horizon = thresholds[0] if thresholds else 30
        result.digest = Digest(
            lapsing=_lapsing(today, horizon),
            hidden=list(
                db.session.scalars(
                    select(Product)
                    .options(joinedload(Product.vendor))
                    .where(Product.hidden.is_(True), Product.hidden_reason == "permit_expired")
                    .order_by(Product.permits_valid_until, Product.id)
                )
            ),
            horizon_days=horizon,
        )
    db.session.flush()
    return result


def _lapsing(today: date, horizon_days: int) -> list[Reminder]:
    """Permits of listed products lapsing within `horizon_days`, soonest first."""
    rows = db.session.execute(
        select(ProductPermit, Product)
        .join(Product, Product.id == ProductPermit.product_id)
        .options(joinedload(Product.vendor))
        .where(
            Product.status.in_([ProductStatus.APPROVED.value, ProductStatus.SUBMITTED.value]),
            ProductPermit.expires_on.is_not(None),
            ProductPermit.expires_on >= today,
            ProductPermit.expires_on <= today + timedelta(days=horizon_days),
        )
        .order_by(ProductPermit.expires_on, ProductPermit.id)
    ).all()
    return [
        Reminder(permit, product, (permit.expires_on - today).days)
        for permit, product in rows
        if _permit_counts(product, permit)
    ]


def _permit_counts(product: Product, permit: ProductPermit) -> bool:
    needed = requirements(product)
    if permit.kind == PermitKind.HALAL:
        return needed.halal
    return needed.food_safety


def _due_reminders(today: date, thresholds: list[int]) -> list[Reminder]:
    """The most urgent threshold each lapsing permit has crossed and not been reminded of.

    A permit first seen 25 days before it lapses gets the 30-day reminder only, and the 90-day
    one is recorded as sent with it: one email, not two on the same morning.
    """
    candidates = _lapsing(today, thresholds[0])
    if not candidates:
        return []
    sent = {
        (permit_id, expires_on, days)
        for permit_id, expires_on, days in db.session.execute(
            select(
                PermitReminder.permit_id, PermitReminder.expires_on, PermitReminder.days_before
            ).where(PermitReminder.permit_id.in_([c.permit.id for c in candidates]))
        )
    }
    due = []
    for candidate in candidates:
        permit = candidate.permit
        crossed = [d for d in thresholds if candidate.days_left <= d]
        new = [d for d in crossed if (permit.id, permit.expires_on, d) not in sent]
        if not new:
            continue
        for days in new:
            db.session.add(
                PermitReminder(permit_id=permit.id, expires_on=permit.expires_on, days_before=days)
            )
        # Only worth an email if the most urgent crossed threshold is new.
        if min(crossed) in new:
            due.append(candidate)
    return due
