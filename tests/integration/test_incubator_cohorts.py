"""Cohorts: a badge on the maker page, and the programme report (page, CSV, XLSX, one-page
PDF) whose sales figures are the statements' figures; an empty cohort says so."""

from __future__ import annotations

import io
import re
import zlib
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from storefront.audit import AuditEntry
from storefront.clock import today_wib
from storefront.extensions import db
from storefront.incubator import cohorts
from storefront.incubator.cohorts import CohortError
from storefront.incubator.models import Cohort
from storefront.money import format_rupiah
from storefront.orders import fulfilment
from storefront.orders.models import PaidWith
from storefront.settlements import services as settlements
from storefront.settlements.models import Settlement
from tests.conftest import Client, act
from tests.factories import PASSWORD, UserFactory
from tests.integration.order_helpers import order_for, stocked_product
from tests.security.account_helpers import make_vendor


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages of an fpdf2 document (its content streams, inflated)."""
    assert data.startswith(b"%PDF")
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "".join(re.findall(r"\((.*?)\)\s*Tj", "\n".join(out)))


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def english(app) -> Client:
    """A browser that reads the pages in English (the shop's default is Indonesian)."""
    client = Client(app.test_client())
    client.raw.set_cookie("lang", "en")
    return client


def english_text(message) -> str:
    with force_locale("en"):
        return str(message)


@pytest.fixture
def programme(ctx):
    today = today_wib()
    early, _ = make_vendor("early@example.com", name="Dapur Nyai", slug="dapur-nyai")
    late, _ = make_vendor("late@example.com", name="Kopi Pak Darto", slug="kopi-darto")
    manager = UserFactory(email="manajer@example.com", name="Bu Rina", role="manager")
    mentor = UserFactory(email="mentor@example.com", name="Pak Budi", role="mentor")
    sambal, _ = stocked_product(vendor=early, name="Sambal Roa", price=30000)
    kopi, _ = stocked_product(vendor=late, name="Kopi Robusta", price=45000)
    for product, quantity in ((sambal, 2), (kopi, 3)):
        order = order_for({product: quantity})
        act(fulfilment.take_payment, order, fulfilment.Payment(PaidWith.CASH), actor=manager)
    act(settlements.generate_month, today.year, today.month, actor=manager)
    cohort = act(cohorts.create_cohort, manager, "Angkatan 2026", today.replace(day=1), mentor.id)
    cohort = db.session.get(Cohort, cohort.id)
    # Dapur Nyai joined this month: its statement is "since"; Kopi Pak Darto joins next month,
    # so this month's statement is "before".
    act(cohorts.add_member, manager, cohort, early.id, None)
    act(cohorts.add_member, manager, cohort, late.id, first_of_next_month(today))
    return dict(cohort=cohort, early=early, late=late, manager=manager, mentor=mentor)


def statement_gross(vendor) -> int:
    statement = db.session.scalar(select(Settlement).where(Settlement.vendor_id == vendor.id))
    return statement.gross_online + statement.gross_counter


def signed_in(app, email) -> Client:
    client = english(app)
    assert client.login(email, PASSWORD).status_code == 302
    return client


def test_the_report_figures_are_the_statements(programme):
    found = cohorts.report(db.session.get(Cohort, programme["cohort"].id))
    by_name = {m.vendor.name: m for m in found.members}
    early, late = by_name["Dapur Nyai"], by_name["Kopi Pak Darto"]
    assert early.sales_since == statement_gross(programme["early"]) == 60000
    assert early.sales_before == 0 and early.active_months == 1
    assert late.sales_before == statement_gross(programme["late"]) == 135000
    assert late.sales_since == 0 and late.active_months == 0
    assert early.products_listed == 1


def test_the_pdf_opens_and_shows_the_statements_figures(app, programme):
    manager = signed_in(app, "manajer@example.com")
    response = manager.get(f"/incubator/cohorts/{programme['cohort'].id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.count(b"/Type /Page\n") + response.data.count(b"/Type /Page ") >= 1
    assert b"/Count 1" in response.data  # one page
    text = pdf_text(response.data)
    for amount in (statement_gross(programme["early"]), statement_gross(programme["late"])):
        assert format_rupiah(amount) in text
    assert format_rupiah(60000 + 135000) not in text  # before and since are not mixed up
    assert "Angkatan 2026" in text


def test_the_page_csv_and_xlsx_agree(app, programme):
    mentor = signed_in(app, "mentor@example.com")  # the cohort's mentor reads its report
    cohort_id = programme["cohort"].id
    page = mentor.get(f"/incubator/cohorts/{cohort_id}").get_data(as_text=True)
    assert format_rupiah(60000) in page and format_rupiah(135000) in page
    csv = mentor.get(f"/incubator/cohorts/{cohort_id}/report.csv").get_data(as_text=True)
    assert "Dapur Nyai" in csv and "60000" in csv and "135000" in csv
    xlsx = mentor.get(f"/incubator/cohorts/{cohort_id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Dapur Nyai"][3] == 60000 and rows["Kopi Pak Darto"][2] == 135000


def test_an_empty_cohort_says_so_everywhere(app, programme):
    empty = act(cohorts.create_cohort, programme["manager"], "Angkatan Kosong", today_wib(), None)
    manager = signed_in(app, "manajer@example.com")
    page = manager.get(f"/incubator/cohorts/{empty.id}").get_data(as_text=True)
    assert "This cohort has no members yet" in page
    pdf = manager.get(f"/incubator/cohorts/{empty.id}/report.pdf")
    assert pdf.status_code == 200
    assert "This cohort has no members yet" in pdf_text(pdf.data)
    csv = manager.get(f"/incubator/cohorts/{empty.id}/report.csv")
    assert csv.status_code == 200


def test_the_maker_page_shows_the_cohort_badge(app, programme):
    shopper = english(app)
    page = shopper.get("/vendors/dapur-nyai").get_data(as_text=True)
    assert 'data-testid="cohort-badge"' in page and "Angkatan 2026" in page


def test_a_mentor_opens_only_their_cohorts(app, programme):
    other = UserFactory(email="mentor2@example.com", name="Bu Sri", role="mentor")
    db.session.commit()
    assert other.id
    response = signed_in(app, "mentor2@example.com").get(
        f"/incubator/cohorts/{programme['cohort'].id}"
    )
    assert response.status_code == 404
    # Mentors read reports; managers make cohorts.
    mentor = signed_in(app, "mentor@example.com")
    refused = mentor.post_form("/incubator/cohorts", {"name": "X", "starts_on": "2026-12-01"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("name", "starts_on", "message"),
    [("", "2026-12-01", "Give the cohort a name"), ("Baru", "", "Give the date")],
)
def test_a_bad_cohort_is_refused_with_a_message(app, programme, name, starts_on, message):
    manager = signed_in(app, "manajer@example.com")
    response = manager.post_form("/incubator/cohorts", {"name": name, "starts_on": starts_on})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is None


def test_the_same_name_or_member_twice_is_refused(programme):
    with pytest.raises(CohortError):
        act(cohorts.create_cohort, programme["manager"], "angkatan 2026", today_wib(), None)
    cohort = db.session.get(Cohort, programme["cohort"].id)
    with pytest.raises(CohortError):
        act(cohorts.add_member, programme["manager"], cohort, programme["early"].id, None)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("cohort.add_member") == 2 and actions.count("cohort.create") == 1
