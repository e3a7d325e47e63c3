"""Every GET page answers without a server error, for every role, in Indonesian and in English.

The walk discovers the routes from `app.url_map`, so a new page is walked the day it is added. A
route with URL parameters needs its values in URL_VALUES (filled from the busy demo's rows) or a
reason in CANNOT_FILL; otherwise the test fails and names it. Indonesian pages are also searched
for English source strings shown as they are although a translation exists (a string translated
before the locale was known, a lazy string turned into text at import time...).
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Blueprint, url_for

from storefront.auth.access import allowed_roles, public
from storefront.catalog.share_links import short_code
from storefront.demo import DEMO_PASSWORD
from storefront.reports.tables import KINDS as REPORT_KINDS
from tests.conftest import Client, make_app
from tests.integration.busy_demo import BusyDemo, Visitor

LANGUAGES = ("id", "en")
CATALOGUE = Path(__file__).resolve().parents[2] / "storefront/translations/id/LC_MESSAGES"

# Values for each route's URL parameters: one dict per page to walk. A callable gets the busy
# demo and the visitor, so a value can depend on who asks (their own order, their statement).
KIT_FILES = ("square.png", "story.png", "poster.pdf")
URL_VALUES: dict[str, Callable[[BusyDemo, Visitor], list[dict]]] = {
    "auth.reset_password_page": lambda d, v: [{"token": d.reset_token}],
    # The shopper's own link; anyone else is told it is another account's.
    "auth.verify_email": lambda d, v: [{"token": d.verify_token}],
    "shop.category": lambda d, v: [{"slug": d.category_slug}],
    "shop.product": lambda d, v: [{"slug": d.product_slug}],
    "shop.vendor_page": lambda d, v: [{"slug": d.vendor_slug}],
    "media": lambda d, v: [{"relative": d.media_path}],
    "shop.set_language": lambda d, v: [],  # walked per language in `_walk`
    # The link from the confirmation email opens the order for anyone who has it.
    "orders.order_page": lambda d, v: [{"number": d.order_number, "key": d.order_key}],
    "orders.payment_status": lambda d, v: [{"number": d.order_number, "key": d.order_key}],
    "orders.manage_order": lambda d, v: [{"order_id": d.order_id}],
    "orders.manage_refund": lambda d, v: [{"order_id": d.order_id}],
    "pos.receipt": lambda d, v: [{"sale_id": d.sale_id}, {"sale_id": d.voided_sale_id}],
    "pos.receipt_pdf": lambda d, v: [{"sale_id": d.sale_id}, {"sale_id": d.voided_sale_id}],
    "pos.void": lambda d, v: [{"sale_id": d.sale_id}, {"sale_id": d.voided_sale_id}],
    "pos.shift_report": lambda d, v: [{"shift_id": d.closed_shift_id}],
    # The demo order was collected: the page says it is not waiting for pickup.
    "pos.pickup_hand_over": lambda d, v: [{"order_id": d.order_id}],
    "manage.product_detail": lambda d, v: [{"product_id": d.product_id}],
    "manage.product_permit_file": lambda d, v: [
        {"product_id": d.product_id, "permit_id": d.permit_id}
    ],
    "manage.vendor_detail": lambda d, v: [
        {"vendor_id": d.vendor_id},
        {"vendor_id": d.applicant_vendor_id},
    ],
    "manage.vendor_document": lambda d, v: [
        {"vendor_id": d.vendor_id, "document_id": d.document_id},
        {"vendor_id": d.applicant_vendor_id, "document_id": d.applicant_document_id},
    ],
    "settlements.settlement_detail": lambda d, v: [
        {"settlement_id": d.statement_id},
        {"settlement_id": d.draft_statement_id},
    ],
    "settlements.settlement_line": lambda d, v: [
        {"settlement_id": d.statement_id, "product_id": d.product_id}
    ],
    "settlements.settlement_proof": lambda d, v: [{"settlement_id": d.statement_id}],
    "settlements.settlement_csv": lambda d, v: [{"settlement_id": d.statement_id}],
    "settlements.settlement_pdf": lambda d, v: [
        {"settlement_id": d.statement_id},
        {"settlement_id": d.draft_statement_id},
    ],
    "stock.count": lambda d, v: [
        {"count_id": d.open_count_id},
        {"count_id": d.posted_count_id},
    ],
    "stock.count_differences": lambda d, v: [{"count_id": d.open_count_id}],
    "stock.count_report": lambda d, v: [
        {"count_id": d.open_count_id},
        {"count_id": d.posted_count_id},
    ],
    "stock.intake_receipt": lambda d, v: [{"receipt_id": d.receipt_id}],
    "stock.intake_receipt_pdf": lambda d, v: [{"receipt_id": d.receipt_id}],
    "stock.intake_labels_pdf": lambda d, v: [{"receipt_id": d.receipt_id}],
    "stock.return_note": lambda d, v: [{"note_id": d.return_note_id}],
    "stock.new_return": lambda d, v: [{"vendor_id": d.vendor_id}],
    "stock.write_off": lambda d, v: [{"write_off_id": d.write_off_id}],
    "stock.new_write_off": lambda d, v: [{"batch_id": d.batch_id}],
    "stock.new_markdown": lambda d, v: [{"batch_id": d.markdown_batch_id}],
    "stock.price_change_labels_pdf": lambda d, v: [{"change_id": d.price_change_id}],
    "settlements.vendor_statement": lambda d, v: [{"settlement_id": d.statement_id}],
    "settlements.vendor_statement_csv": lambda d, v: [{"settlement_id": d.statement_id}],
    "settlements.vendor_statement_pdf": lambda d, v: [{"settlement_id": d.statement_id}],
    "vendors.apply_step": lambda d, v: [
        {"step": step} for step in ("owner", "business", "documents", "bank", "submit")
    ],
    # The shopper's own application document; the vendor's team sees their vendor's document.
    "vendors.document_file": lambda d, v: [
        {
            "document_id": d.draft_document_id
            if v.role is not None and v.role.value == "shopper"
            else d.document_id
        }
    ],
    "vendors.accept_invitation": lambda d, v: [{"token": d.invitation_token}],
    "catalog.edit_product": lambda d, v: [{"product_id": d.product_id}],
    "catalog.permit_file": lambda d, v: [{"product_id": d.product_id, "kind": d.permit_kind}],
    "admin.user_detail": lambda d, v: [{"user_id": d.cashier_user_id}],
    "incubator.application": lambda d, v: [{"application_id": d.application_id}],
    "incubator.vendor": lambda d, v: [{"vendor_id": d.vendor_id}],
    "incubator.assign_vendors": lambda d, v: [{"user_id": d.mentor_user_id}],
    "incubator.cohort": lambda d, v: [{"cohort_id": d.cohort_id}],
    "incubator.cohort_report_pdf": lambda d, v: [{"cohort_id": d.cohort_id}],
    "incubator.cohort_file": lambda d, v: [
        {"cohort_id": d.cohort_id, "fmt": fmt} for fmt in ("csv", "xlsx")
    ],
    "reports.report": lambda d, v: [{"kind": kind} for kind in REPORT_KINDS],
    "shop.short_link": lambda d, v: [{"code": short_code("product", d.product_id, "whatsapp")}],
    "marketing.product_kit": lambda d, v: [{"product_id": d.product_id}],
    "marketing.product_kit_file": lambda d, v: [
        {"product_id": d.product_id, "name": name} for name in KIT_FILES
    ],
    "marketing.vendor_kit_file": lambda d, v: [{"name": name} for name in KIT_FILES],
    "marketing.manage_product_kit": lambda d, v: [{"product_id": d.product_id}],
    "marketing.manage_product_kit_file": lambda d, v: [
        {"product_id": d.product_id, "name": name} for name in KIT_FILES
    ],
    "marketing.manage_vendor_kit": lambda d, v: [{"vendor_id": d.vendor_id}],
    "marketing.manage_vendor_kit_file": lambda d, v: [
        {"vendor_id": d.vendor_id, "name": name} for name in KIT_FILES
    ],
    "reports.report_file": lambda d, v: [
        {"kind": kind, "fmt": fmt} for kind in REPORT_KINDS for fmt in ("csv", "xlsx")
    ],
}

# Routes with parameters the walk cannot fill, each with the reason.
CANNOT_FILL: dict[str, str] = {
    "static": "static files are served by WhiteNoise, not rendered",
}

# Answers that say the fill is wrong (the page was not really walked), not that the page is.
NOT_WALKED = {404: "not found: the URL values do not lead to a page"}


@cache
def english_left_in_indonesian() -> frozenset[str]:
    """Source strings that must not appear as a whole on an Indonesian page: translated into
    something else, and not themselves the Indonesian of another string."""
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translations, sources = set(), set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or "%" in message.id:
            continue
        translations.add(message.string)
        if message.string and message.string != message.id and len(message.id) > 3:
            sources.add(message.id)
    return frozenset(sources - translations)


READ_ATTRIBUTES = frozenset({"placeholder", "title", "aria-label", "alt", "value"})


class VisibleText(HTMLParser):
    """Text nodes and the attributes people read (labels, placeholders, button values)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        kind = dict(attrs).get("type")
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                if name == "value" and kind not in ("submit", "button"):
                    continue
                self.texts.add(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.add(" ".join(data.split()))


def visible_texts(page: str) -> set[str]:
    parser = VisibleText()
    parser.feed(page)
    return {html.unescape(text) for text in parser.texts}


def pages_for(app, demo: BusyDemo, visitor: Visitor, lang: str) -> tuple[list, list[str]]:
    """(rule, url) of every GET page the visitor may open, and the routes nobody filled."""
    pages, unfilled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in CANNOT_FILL:
            continue
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if declared != "public" and (visitor.role is None or visitor.role not in declared):
            continue
        if rule.endpoint == "auth.logout":
            continue  # would end the session the walk relies on
        if rule.endpoint == "shop.set_language":
            values = [{"code": lang}]
        elif rule.arguments:
            fill = URL_VALUES.get(rule.endpoint)
            if fill is None:
                unfilled.append(f"{rule.rule} ({rule.endpoint})")
                continue
            values = fill(demo, visitor)
        else:
            values = [{}]
        with app.test_request_context():
            pages.extend((rule, url_for(rule.endpoint, **v)) for v in values)
    return pages, unfilled


def sign_in(app, demo: BusyDemo, visitor: Visitor) -> Client:
    client = Client(app.test_client())
    if visitor.email is not None:
        response = client.login(visitor.email, DEMO_PASSWORD)
        assert response.status_code == 302, f"{visitor.name} could not sign in"
    # Something in the cart, so the cart and checkout pages show their full forms.
    client.post("/cart/add", data={"product_id": str(demo.product_id), "quantity": "1"})
    return client


def _walk(app, demo: BusyDemo, visitor: Visitor) -> tuple[list[str], list[str], int]:
    client = sign_in(app, demo, visitor)
    english = english_left_in_indonesian()
    failures, unfilled_all, walked, seen_in_english = [], [], 0, 0
    for lang in LANGUAGES:
        pages, unfilled = pages_for(app, demo, visitor, lang)
        unfilled_all.extend(unfilled)
        for rule, url in pages:
            client.raw.set_cookie("lang", lang)
            where = f"{visitor.name}, {lang}: GET {url} ({rule.endpoint})"
            try:
                response = client.get(url)
            except Exception:  # TESTING propagates the view's exception instead of a 500 page
                failures.append(f"{where} raised:\n{traceback.format_exc(limit=-3)}")
                continue
            walked += 1
            body = response.get_data(as_text=response.mimetype == "text/html")
            response.close()  # a sent file stays open until then
            status = response.status_code
            if status >= 500:
                failures.append(f"{where} answered {status}")
            elif status in NOT_WALKED and rule.arguments:
                failures.append(f"{where} answered {status}, {NOT_WALKED[status]}")
            elif status == 200 and response.mimetype == "text/html":
                shown = visible_texts(body) & english
                if lang == "en":
                    seen_in_english += len(shown)
                elif shown:
                    failures.append(f"{where} shows English although translated: {sorted(shown)}")
    if not seen_in_english:  # the check must see source strings where they belong
        failures.append(f"{visitor.name}: no source string found on any English page")
    return failures, sorted(set(unfilled_all)), walked


VISITOR_NAMES = [
    "guest",
    "shopper",
    "vendor owner",
    "vendor staff",
    "cashier with an open shift",
    "cashier without a shift",
    "mentor",
    "manager",
    "admin",
]


@pytest.mark.parametrize("name", VISITOR_NAMES)
def test_every_page_renders_for_each_role_in_both_languages(busy_shop, name):
    app, demo = busy_shop
    visitor = next(v for v in demo.visitors if v.name == name)
    failures, unfilled, walked = _walk(app, demo, visitor)
    assert not unfilled, (
        "the page walk cannot fill the URL parameters of "
        + ", ".join(unfilled)
        + ": add them to URL_VALUES in tests/integration/test_every_page_renders.py "
        "(from a row of tests/integration/busy_demo.py), or to CANNOT_FILL with the reason"
    )
    assert not failures, f"{len(failures)} of {walked} pages failed:\n" + "\n".join(failures)
    assert walked >= 2 * len(LANGUAGES), "the walk visited almost nothing"


def test_the_walk_signs_in_as_every_kind_of_visitor(busy_shop):
    assert [v.name for v in busy_shop[1].visitors] == VISITOR_NAMES


def test_a_new_route_the_walk_cannot_fill_is_named(busy_shop, database_url, tmp_path):
    _, demo = busy_shop
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    bp = Blueprint("later", __name__)

    @bp.route("/coupons/<int:coupon_id>")
    @public
    def coupon(coupon_id: int):
        return "a page added after this test was written"

    app.register_blueprint(bp)
    _, unfilled = pages_for(app, demo, demo.visitors[0], "id")
    assert unfilled == ["/coupons/<int:coupon_id> (later.coupon)"]
