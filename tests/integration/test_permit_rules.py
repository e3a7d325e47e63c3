"""Which products need which permits, as the regulations and real vendors meet them (issue 14).

Sources are cited in storefront/catalog/permits.py and docs/decisions.md.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.catalog import products as listings
from storefront.catalog.models import PermitKind, PermitReminder, Product, ProductStatus
from storefront.catalog.permits import check_permits, refresh_permit_status, requirements
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.indonesia.identifiers import InvalidIdentifier
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.integration.test_product_listings import add_permit, new_product, vendor_client

HALAL = "ID36110000123450925"


@pytest.fixture
def food(ctx):
    return CategoryFactory(slug="makanan-minuman", name="Makanan & Minuman", is_food=True)


@pytest.fixture
def footwear(ctx):
    return CategoryFactory(slug="alas-kaki", name="Alas Kaki", is_food=False)


def product_in(category, **fields) -> Product:
    product = ProductFactory(category=category, status=ProductStatus.DRAFT.value, **fields)
    db.session.refresh(product, ["category", "permits"])
    return product


# --- what a product needs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "food_safety", "halal"),
    [
        ({}, True, True),  # keripik in a bag: P-IRT or BPOM, and halal
        ({"shelf_life_days": 3}, False, True),  # kue basah: no P-IRT, halal still
        ({"shelf_life_days": 7}, True, True),  # a week is no longer "under 7 days"
        ({"food_type": "ready_to_eat"}, False, True),  # nasi uduk, packed in front of you
        ({"food_type": "fresh"}, False, False),  # bananas from Cikupa: halal-exempt
        ({"food_type": "fresh", "animal_derived": True}, False, True),  # fresh eggs, meat
    ],
)
def test_food_needs_what_the_rules_ask(food, fields, food_safety, halal):
    needed = requirements(product_in(food, **fields))
    assert (needed.food_safety, needed.halal) == (food_safety, halal)


def test_kue_basah_is_complete_with_a_halal_certificate_and_no_pirt(food):
    kue = product_in(food, name="Kue Lapis Legit Pandan", shelf_life_days=3)
    refresh_permit_status(kue)
    assert not kue.permits_complete
    listings.set_permit(
        kue,
        kind=PermitKind.HALAL,
        number=HALAL,
        issued_on=None,
        expires_on=None,
        today=today_wib(),
    )
    assert kue.permits_complete and kue.permits_valid_until is None


def test_leather_sandals_need_halal_or_a_declaration(footwear):
    sandal = product_in(footwear, name="Sandal Kulit Pria", animal_derived=True)
    refresh_permit_status(sandal)
    assert requirements(sandal).halal and not requirements(sandal).food_safety
    assert not sandal.permits_complete
    listings.set_permit(
        sandal,
        kind=PermitKind.HALAL,
        number=HALAL,
        issued_on=None,
        expires_on=None,
        today=today_wib(),
    )
    assert sandal.permits_complete
    plain = product_in(footwear, name="Sandal Karet Anyaman")
    refresh_permit_status(plain)
    assert plain.permits_complete  # no animal material, no permits


def test_vendor_form_asks_about_animal_material_and_refuses_to_submit_without_halal(
    app, ctx, footwear
):
    client, _vendor = vendor_client(app)
    response, product = new_product(
        client, footwear, name="Sepatu Kulit Domba", animal_derived="y", shelf_life_days=""
    )
    assert response.status_code == 302
    assert product.animal_derived
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert 'name="animal_derived"' in page and 'name="kind"' in page  # the permit form shows
    refused = client.post_form(f"/vendor/products/{product.id}/submit", follow_redirects=True)
    assert "sertifikat halal" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.DRAFT
    assert add_permit(client, product, "halal", HALAL).status_code == 302
    assert client.post_form(f"/vendor/products/{product.id}/submit").status_code == 302
    db.session.rollback()
    assert db.session.get(Product, product.id).status == ProductStatus.SUBMITTED


# --- non-halal ------------------------------------------------------------------------------


def test_non_halal_needs_the_ingredient_named(app, ctx, food):
    client, _vendor = vendor_client(app)
    response, product = new_product(client, food, name="Bakcang Babi", non_halal="y")
    assert response.status_code == 200 and product is None
    assert "Sebutkan bahan yang tidak halal" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_halal_certificate_and_non_halal_declaration_exclude_each_other(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food, name="Kecap Manis")
    assert add_permit(client, product, "halal", HALAL).status_code == 302
    edited = client.post_form(
        f"/vendor/products/{product.id}",
        {
            "name": "Kecap Manis",
            "category_id": str(food.id),
            "description": "Kecap manis kedelai hitam.",
            "price": "18.000",
            "unit": "botol",
            "non_halal": "y",
            "non_halal_ingredient": "angciu",
            "food_type": "packaged",
        },
    )
    assert edited.status_code == 400
    assert "sertifikat halal" in edited.get_data(as_text=True)
    db.session.rollback()
    assert not db.session.get(Product, product.id).non_halal

    _response, babi = new_product(
        client, food, name="Sate Babi", non_halal="y", non_halal_ingredient="daging babi"
    )
    refused = add_permit(client, babi, "halal", HALAL)
    assert refused.status_code == 400
    assert "tidak halal" in refused.get_data(as_text=True)
    assert db.session.get(Product, babi.id).permits == []


def test_tidak_halal_badge_on_cards_and_in_the_cart(app, ctx, food, client):
    product = ProductFactory(
        category=food,
        name="Bakcang Babi Cina Benteng",
        non_halal=True,
        non_halal_ingredient="daging babi",
        price=25_000,
    )
    from tests.stock_helpers import receive

    receive(product, 10, expires_on=today_wib() + timedelta(days=30))
    listing = client.get("/search?q=bakcang").get_data(as_text=True)
    assert "Tidak halal" in listing
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    cart = client.get("/cart").get_data(as_text=True)
    assert "Tidak halal: daging babi" in cart


# --- P-IRT through the vendor's form -----------------------------------------------------------


def test_pirt_needs_its_printed_date_and_is_shown_as_printed(app, ctx, food):
    client, _vendor = vendor_client(app)
    _response, product = new_product(client, food)
    yy = (today_wib().year + 2) % 100
    number = f"2093603010123-{yy:02d}"
    missing = add_permit(client, product, "pirt", number, expires_on="")
    assert missing.status_code == 400 and "berlaku sampai" in missing.get_data(as_text=True)
    wrong_year = add_permit(client, product, "pirt", number, expires_on=f"20{yy - 1}-06-30")
    assert wrong_year.status_code == 400
    assert db.session.get(Product, product.id).permits == []

    assert add_permit(client, product, "pirt", number, expires_on=f"20{yy}-03-10").status_code
    product = db.session.get(Product, product.id)
    assert product.permits[0].expires_on == date(2000 + yy, 3, 10)
    page = client.get(f"/vendor/products/{product.id}").get_data(as_text=True)
    assert f"P-IRT No. 2093603010123-{yy:02d}" in page


def test_a_pirt_lapsed_on_its_printed_date_hides_the_product(app, ctx, food, outbox):
    """Issued 10 Mar 2021, lapsed 10 Mar 2026: not on sale until the end of 2026 any more."""
    product = ProductFactory(category=food, name="Keripik Tempe Sagu")
    with time_machine.travel("2026-01-05 09:00 +0700", tick=False):
        listings.set_permit(
            product,
            kind=PermitKind.PIRT,
            number="P-IRT No. 2093603010123-26",
            issued_on=date(2021, 3, 10),
            expires_on=date(2026, 3, 10),
            today=today_wib(),
        )
        listings.set_permit(
            product,
            kind=PermitKind.HALAL,
            number=HALAL,
            issued_on=None,
            expires_on=None,
            today=today_wib(),
        )
        product.status = ProductStatus.APPROVED.value
        db.session.commit()
    assert product.permits_valid_until == date(2026, 3, 10)
    with time_machine.travel("2026-03-11 00:05 +0700", tick=False):
        result = app.test_cli_runner().invoke(args=["check-permits"])
    assert "Hidden 1 product" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Product, product.id).hidden


# --- halal and BPOM expiry ---------------------------------------------------------------------


def test_an_old_halal_certificate_may_carry_its_printed_expiry(food):
    product = product_in(food, name="Dodol Betawi", shelf_life_days=3)
    today = today_wib()
    listings.set_permit(
        product,
        kind=PermitKind.HALAL,
        number=HALAL,
        issued_on=date(2022, 9, 1),
        expires_on=today + timedelta(days=40),
        today=today,
    )
    assert product.permits_complete
    assert product.permits_valid_until == today + timedelta(days=40)
    with pytest.raises(listings.ListingError, match="sudah habis"):
        listings.set_permit(
            product,
            kind=PermitKind.HALAL,
            number=HALAL,
            issued_on=date(2020, 9, 1),
            expires_on=today - timedelta(days=1),
            today=today,
        )


def test_bpom_takes_the_printed_expiry_before_issue_plus_five_years(food):
    product = product_in(food, name="Kopi Robusta Bubuk")
    today = today_wib()
    printed = today + timedelta(days=400)
    permit = listings.set_permit(
        product,
        kind=PermitKind.BPOM,
        number="MD 240935001200027",
        issued_on=today - timedelta(days=1000),
        expires_on=printed,
        today=today,
    )
    assert permit.expires_on == printed
    permit = listings.set_permit(
        product,
        kind=PermitKind.BPOM,
        number="MD 240935001200027",
        issued_on=date(2023, 2, 1),
        expires_on=None,
        today=today,
    )
    assert permit.expires_on == date(2028, 2, 1)


def test_a_pirt_number_typed_wrong_is_refused_with_the_reason(food):
    product = product_in(food)
    with pytest.raises(InvalidIdentifier, match="packaging code"):
        listings.set_permit(
            product,
            kind=PermitKind.PIRT,
            number="0093603010123-28",
            issued_on=None,
            expires_on=date(2028, 1, 31),
            today=date(2026, 1, 1),
        )


# --- reminders and the digest ----------------------------------------------------------------


def listed_with_pirt(food, name: str, valid_until: date) -> Product:
    product = ProductFactory(category=food, name=name)
    product.permits_complete = True
    from storefront.catalog.models import ProductPermit

    product.permits.append(
        ProductPermit(
            kind=PermitKind.PIRT.value,
            number=f"2093603010123{valid_until.year % 100:02d}",
            expires_on=valid_until,
        )
    )
    product.permits.append(ProductPermit(kind=PermitKind.HALAL.value, number=HALAL))
    refresh_permit_status(product)
    db.session.commit()
    return product


def reminders_sent() -> list[tuple[int, int]]:
    return sorted(
        db.session.execute(select(PermitReminder.permit_id, PermitReminder.days_before)).all()
    )


def test_reminders_go_at_90_30_and_7_days_once_each(app, ctx, food, outbox):
    day = date(2027, 1, 4)
    lapses = day + timedelta(days=95)
    product = listed_with_pirt(food, "Sambal Roa", lapses)
    owner = UserFactory(email="roa@example.com", role="vendor", locale="en")
    product.vendor.owner_email = owner.email
    db.session.commit()
    permit_id = product.permits[0].id
    runner = app.test_cli_runner()

    def run(on: date, *args) -> str:
        with time_machine.travel(f"{on.isoformat()} 00:05 +0700", tick=False):
            result = runner.invoke(args=["check-permits", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "Reminders due: 0" in run(day)  # 95 days left: nothing yet
    assert len(outbox()) == 0
    assert "Reminders due: 1" in run(lapses - timedelta(days=90))
    assert reminders_sent() == [(permit_id, 90)]
    mail = outbox()[-1]
    assert mail["To"] == "roa@example.com"
    body = mail.get_content()
    assert "Sambal Roa" in body and "P-IRT No. 2093603010123-27" in body
    assert "90 days left" in body  # the owner reads English
    assert "Reminders due: 0" in run(lapses - timedelta(days=90))  # same day again: nothing
    assert "Reminders due: 0" in run(lapses - timedelta(days=60))
    assert "Reminders due: 1" in run(lapses - timedelta(days=30))
    assert "Reminders due: 1" in run(lapses - timedelta(days=7))
    assert "Reminders due: 0" in run(lapses - timedelta(days=6))
    assert reminders_sent() == [(permit_id, 7), (permit_id, 30), (permit_id, 90)]
    assert len(outbox()) == 3


def test_a_permit_first_seen_late_gets_one_email_for_the_most_urgent_threshold(
    app, ctx, food, outbox
):
    today = today_wib()
    product = listed_with_pirt(food, "Keripik Pisang", today + timedelta(days=20))
    product.vendor.owner_email = "pisang@example.com"
    db.session.commit()
    with app.test_request_context():
        check = check_permits(today)
    assert [r.days_left for r in check.reminders] == [20]
    assert reminders_sent() == [(product.permits[0].id, 30), (product.permits[0].id, 90)]


def test_a_renewed_permit_is_reminded_about_again(app, ctx, food):
    today = today_wib()
    product = listed_with_pirt(food, "Kopi Tubruk", today + timedelta(days=5))
    assert len(check_permits(today).reminders) == 1
    db.session.commit()
    permit = product.permits[0]
    renewed = today + timedelta(days=5 + 365 * 5)
    permit.expires_on = renewed.replace(year=renewed.year)
    permit.number = f"2093603010123{renewed.year % 100:02d}"
    db.session.commit()
    later = renewed - timedelta(days=30)
    assert [r.permit.id for r in check_permits(later).reminders] == [permit.id]


def test_managers_get_the_weekly_digest_on_mondays_or_when_asked(app, ctx, food, outbox):
    boss = UserFactory(email="bu.rina@example.com", role="manager", name="Bu Rina")
    listed_with_pirt(food, "Sambal Bawang", date(2027, 2, 20))
    gone = listed_with_pirt(food, "Rengginang Terasi", date(2027, 1, 31))
    runner = app.test_cli_runner()
    with time_machine.travel("2027-02-02 00:05 +0700", tick=False):  # a Tuesday
        result = runner.invoke(args=["check-permits"])
    assert "Hidden 1 product" in result.output and "Digest" not in result.output
    assert all(m["To"] != boss.email for m in outbox())
    with time_machine.travel("2027-02-08 00:05 +0700", tick=False):  # a Monday
        result = runner.invoke(args=["check-permits"])
    assert "Digest: 1 lapsing within 90 days, 1 hidden." in result.output
    digest = [m for m in outbox() if m["To"] == boss.email]
    assert len(digest) == 1
    body = digest[0].get_content()
    assert "Sambal Bawang" in body and gone.name in body
    with time_machine.travel("2027-02-09 00:05 +0700", tick=False):
        result = runner.invoke(args=["check-permits", "--digest"])
    assert "Digest:" in result.output
    assert len([m for m in outbox() if m["To"] == boss.email]) == 2


def test_check_permits_on_the_demo_hides_and_mails(app, ctx, outbox):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["check-permits", "--digest"])
    assert result.exit_code == 0, result.output
    assert "Hidden 1 product" in result.output and "GTG0008" in result.output
    assert "Reminders due: 2 permit(s)" in result.output
    assert "GTG0006" in result.output and "GTG0007" in result.output
    hidden = db.session.scalar(select(Product).where(Product.code == "GTG0008"))
    assert hidden.hidden and hidden.hidden_reason == "permit_expired"
    recipients = {m["To"] for m in outbox()}
    assert "kopi.gunungkaler@example.com" in recipients  # hidden + 90-day reminder
    assert "sambal.burini@example.com" in recipients  # 30-day reminder
    assert {"admin@example.com", "manajer@example.com"} <= recipients  # the digest
    sent = len(outbox())
    again = runner.invoke(args=["check-permits"])
    assert "Reminders due: 0" in again.output and "No product had a lapsed permit" in again.output
    assert len(outbox()) == sent


def test_manager_cannot_approve_both_halal_and_non_halal(app, ctx, food):
    product = product_in(food, name="Lapchiong", shelf_life_days=5)
    listings.set_permit(
        product,
        kind=PermitKind.HALAL,
        number=HALAL,
        issued_on=None,
        expires_on=None,
        today=today_wib(),
    )
    product.non_halal = True  # as an old row written before the rule might be
    product.status = ProductStatus.SUBMITTED.value
    db.session.commit()
    with pytest.raises(listings.ListingError):
        listings.approve(product, UserFactory(role="manager"))


def test_the_partner_page_summarises_the_permit_rules_in_both_languages(app, client):
    page = client.get("/partner").get_data(as_text=True)
    assert "Izin untuk produk Anda" in page
    assert "tanggal “berlaku sampai”" in page and "kue basah" in page
    assert "sandal kulit" in page and "90, 30 dan 7 hari" in page
    client.set_cookie("lang", "en")
    english = client.get("/partner").get_data(as_text=True)
    assert "Permits for your products" in english
    assert "leather sandals" in english and "90, 30 and 7 days" in english
