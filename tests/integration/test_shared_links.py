"""Per-link figures: the visits, add-to-carts and orders each shared link (a campaign, or a short
code) brought, per product and vendor, counted in daily numbers without anything of the
visitor's; the "came from" lives in the visitor's session only."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from storefront.catalog import interest
from storefront.catalog.interest import LinkDailyCount, VendorLinkDailyCount
from storefront.catalog.models import ProductStatus
from storefront.catalog.share_links import (
    CAME_FROM_KEY,
    Campaign,
    campaign_from,
    parse_short_code,
    short_code,
)
from storefront.clock import today_wib
from storefront.extensions import db
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory
from tests.integration.order_helpers import manager
from tests.integration.test_checkout import CHECKOUT
from tests.security.account_helpers import make_vendor
from tests.stock_helpers import receive

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}
WHATSAPP = Campaign("whatsapp", "promosi")


@pytest.fixture
def goods(ctx):
    mine, _owner = make_vendor("owner@example.com", name="Dapur Nyai", slug="dapur-nyai")
    theirs, _other = make_vendor("other@example.com", name="Kopi Pak Darto", slug="kopi-darto")
    sambal = ProductFactory(vendor=mine, name="Sambal Roa", slug="sambal-roa", price=30000)
    keripik = ProductFactory(vendor=mine, name="Keripik Balado", slug="keripik", price=18000)
    kopi = ProductFactory(vendor=theirs, name="Kopi Robusta", slug="kopi", price=45000)
    for product in (sambal, keripik, kopi):
        receive(product, 10)
    db.session.commit()
    return sambal, keripik, kopi


def link_counts(product, campaign: Campaign = WHATSAPP) -> tuple[int, int, int]:
    db.session.expire_all()
    row = db.session.get(
        LinkDailyCount, (product.id, today_wib(), campaign.source, campaign.campaign)
    )
    return (row.visits, row.add_to_carts, row.orders) if row else (0, 0, 0)


def arrive(shopper: Client, product, query="utm_source=whatsapp&utm_campaign=promosi"):
    """What a browser does on a shared link: open the page, then its beacon reports the view."""
    assert shopper.get(f"/product/{product.slug}?{query}").status_code == 200
    response = shopper.post(f"/product/{product.id}/seen?{query}", headers=SAME_SITE)
    assert response.status_code == 204
    return response


def test_the_counter_tables_hold_no_personal_data():
    assert {c.name for c in inspect(LinkDailyCount).columns} == {
        *("product_id", "day", "source", "campaign", "visits", "add_to_carts", "orders"),
    }
    assert {c.name for c in inspect(VendorLinkDailyCount).columns} == {
        "vendor_id",
        "day",
        "source",
        "campaign",
        "visits",
    }


def test_a_visit_cart_and_order_by_a_shared_link_are_counted_for_that_link(app, goods):
    sambal, keripik, kopi = goods
    shopper = Client(app.test_client())
    beacon = arrive(shopper, sambal)
    assert "Set-Cookie" in beacon.headers  # the session remembers the link, nothing else
    with shopper.raw.session_transaction() as session:
        assert session[CAME_FROM_KEY] == {"v": sambal.vendor_id, "s": "whatsapp", "c": "promosi"}
    assert link_counts(sambal) == (1, 0, 0)

    shopper.post("/cart/add", data={"product_id": sambal.id, "quantity": "2"})
    shopper.post("/cart/add", data={"product_id": keripik.id, "quantity": "1"})
    shopper.post("/cart/add", data={"product_id": kopi.id, "quantity": "1"})  # not that vendor's
    assert link_counts(sambal) == (1, 1, 0)
    assert link_counts(keripik) == (0, 1, 0)
    assert link_counts(kopi) == (0, 0, 0)

    assert shopper.post_form("/checkout", CHECKOUT).status_code == 302
    assert link_counts(sambal) == (1, 1, 1)
    assert link_counts(keripik) == (0, 1, 1)
    assert link_counts(kopi) == (0, 0, 0)

    # The link brought one order; the shopper's next one is their own.
    shopper.post("/cart/add", data={"product_id": sambal.id, "quantity": "1"})
    shopper.post_form("/checkout", CHECKOUT)
    assert link_counts(sambal) == (1, 1, 1)


def test_a_visit_without_a_campaign_counts_a_view_but_no_link(app, goods):
    sambal, _keripik, _kopi = goods
    shopper = Client(app.test_client())
    response = shopper.post(f"/product/{sambal.id}/seen", headers=SAME_SITE)
    assert response.status_code == 204 and "Set-Cookie" not in response.headers
    shopper.post("/cart/add", data={"product_id": sambal.id, "quantity": "1"})
    assert db.session.scalars(select(LinkDailyCount)).all() == []
    assert interest.totals([sambal.id], today_wib(), today_wib()) == {sambal.id: (1, 1)}


def test_unknown_sources_and_odd_campaign_names_are_folded_not_stored_as_typed():
    assert campaign_from({"utm_source": "WhatsApp", "utm_campaign": "Lebaran-2027"}) == Campaign(
        "whatsapp", "lebaran-2027"
    )
    assert campaign_from({"utm_source": "x" * 500, "utm_campaign": "<script>"}) == Campaign(
        "other", "promosi"
    )
    assert campaign_from({"utm_campaign": "promosi"}) is None
    assert campaign_from({}) is None


def test_a_short_code_leads_to_the_page_with_its_campaign(app, goods):
    sambal, _keripik, _kopi = goods
    shopper = Client(app.test_client())
    code = short_code("product", sambal.id, "status")
    assert parse_short_code(code).id == sambal.id
    response = shopper.get(f"/s/{code}")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/product/sambal-roa?utm_source=status&utm_campaign=promosi"
    )
    vendor_code = short_code("vendor", sambal.vendor_id, "poster")
    assert shopper.get(f"/s/{vendor_code}").headers["Location"] == (
        "/vendors/dapur-nyai?utm_source=poster&utm_campaign=promosi"
    )


@pytest.mark.parametrize("code", ["", "zzz", "p1", "p1z", "x1w", "p01w", "p0w", "pAw", "p1w/x"])
def test_a_bad_short_code_is_a_404(app, goods, code):
    shopper = Client(app.test_client())
    assert shopper.get(f"/s/{code}").status_code == 404


def test_a_short_code_for_an_unlisted_product_or_unknown_vendor_is_a_404(app, goods):
    sambal, _keripik, _kopi = goods
    sambal.status = ProductStatus.DRAFT.value
    db.session.commit()
    shopper = Client(app.test_client())
    assert shopper.get(f"/s/{short_code('product', sambal.id, 'whatsapp')}").status_code == 404
    assert shopper.get(f"/s/{short_code('product', 999999, 'whatsapp')}").status_code == 404
    assert shopper.get(f"/s/{short_code('vendor', 999999, 'poster')}").status_code == 404


def test_the_vendor_page_counts_visits_by_a_shared_link_only(app, goods):
    sambal, keripik, _kopi = goods
    shopper = Client(app.test_client())
    page = shopper.get("/vendors/dapur-nyai?utm_source=poster&utm_campaign=promosi")
    assert 'data-campaign-only="1"' in page.get_data(as_text=True)
    assert shopper.post("/vendors/dapur-nyai/seen", headers=SAME_SITE).status_code == 404
    response = shopper.post(
        "/vendors/dapur-nyai/seen?utm_source=poster&utm_campaign=promosi", headers=SAME_SITE
    )
    assert response.status_code == 204
    cross = shopper.post(
        "/vendors/dapur-nyai/seen?utm_source=poster", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    db.session.expire_all()
    [row] = db.session.scalars(select(VendorLinkDailyCount)).all()
    assert (row.vendor_id, row.source, row.campaign, row.visits) == (
        sambal.vendor_id,
        "poster",
        "promosi",
        1,
    )
    # What the poster's visitors buy is the poster's, per product.
    shopper.post("/cart/add", data={"product_id": keripik.id, "quantity": "1"})
    assert link_counts(keripik, Campaign("poster", "promosi")) == (0, 1, 0)
    per_link, _per_product = interest.link_figures(sambal.vendor_id, today_wib(), today_wib())
    assert [(r.campaign.source, r.visits, r.add_to_carts) for r in per_link] == [("poster", 1, 1)]


def test_vendors_see_their_own_links_and_managers_see_each_vendors(app, goods):
    sambal, _keripik, kopi = goods
    arrive(Client(app.test_client()), sambal)
    arrive(Client(app.test_client()), sambal)
    arrive(Client(app.test_client()), kopi, "utm_source=facebook&utm_campaign=kopi-pagi")

    owner = Client(app.test_client())
    assert owner.login("owner@example.com", PASSWORD).status_code == 302
    insights = owner.get("/vendor/insights").get_data(as_text=True)
    section = insights.split('id="links-heading"')[1].split("</section>")[0]
    assert "WhatsApp" in section and '<td data-label="Kunjungan" class="num">2</td>' in section
    assert "kopi-pagi" not in section and "Facebook" not in section
    kit_page = owner.get("/vendor/marketing").get_data(as_text=True)
    assert "Sambal Roa" in kit_page.split('id="links-heading"')[1]
    assert "kopi-pagi" not in kit_page

    manager(email="bu.rina@example.com")
    staff = Client(app.test_client())
    staff.login("bu.rina@example.com", PASSWORD)
    theirs = staff.get(f"/manage/vendors/{kopi.vendor_id}/marketing").get_data(as_text=True)
    assert "kopi-pagi" in theirs and "Facebook" in theirs
