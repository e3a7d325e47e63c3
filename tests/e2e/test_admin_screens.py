"""The screens staff use every day, on the demo after a day of trade, at 390×844 and on a
desktop: the dashboard, a report, the settings, the audit log, a vendor's insights, and the
incubator's pages a mentor and a vendor read.

Each is photographed into test-artifacts/screens/ (look at them after a change), and checked
for what a person would notice: nothing scrolls sideways, the charts are drawn (the SVG images
load under the Content-Security-Policy), no script error, no CSP complaint in the console.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from storefront.demo import DEMO_PASSWORD
from storefront.extensions import db
from tests.e2e.conftest import ARTIFACTS
from tests.integration.busy_demo import build_busy_demo

pytestmark = pytest.mark.browser
SCREENS = ARTIFACTS / "screens"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}

# (name, who signs in, path, what must be on the page, charts drawn)
PAGES = [
    ("dashboard", "manajer@example.com", "/manage/", "Ringkasan gerai", 2),
    ("report-sales", "manajer@example.com", "/manage/reports/sales?by=category", "Penjualan", 0),
    ("report-takings", "manajer@example.com", "/manage/reports/takings", "Setoran harian", 0),
    ("settings", "admin@example.com", "/admin/settings", "Pengaturan toko", 0),
    ("users", "admin@example.com", "/admin/users", "Pengguna", 0),
    ("audit-log", "admin@example.com", "/admin/audit", "Log audit", 0),
    ("vendor-insights", "nyai.cikupa@example.com", "/vendor/insights", "Wawasan", 1),
    ("vendor-stock", "nyai.cikupa@example.com", "/vendor/stock", "Stok saya", 0),
    ("commission-rates", "manajer@example.com", "/manage/settlements/commission", "Tarif", 0),
    ("orders-to-refund", "manajer@example.com", "/manage/orders?tab=to_refund", "Pesanan", 0),
    ("till-pickups", "kasir@example.com", "/counter/pickups", "ambil di gerai", 0),
    ("vendor-mentoring", "nyai.cikupa@example.com", "/vendor/mentoring", "Pendampingan", 0),
    ("incubator-home", "mentor@example.com", "/incubator/", "Mitra dampingan Anda", 0),
    ("permit-board", "mentor@example.com", "/incubator/permits", "Papan izin", 0),
    ("incubator-vendor", "mentor@example.com", "/incubator/vendors/{vendor_id}", "Alur izin", 1),
    ("cohort-report", "mentor@example.com", "/incubator/cohorts/{cohort_id}", "Laporan program", 0),
]


@pytest.fixture
def busy(app):
    with app.test_request_context():
        demo = build_busy_demo()
        db.session.remove()
    return demo


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_staff_screens_fit_a_phone_and_a_desktop(page: Page, busy):
    """One walk over every screen (the busy demo is built once): each person signs in, each
    screen is checked and photographed at both sizes."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    SCREENS.mkdir(parents=True, exist_ok=True)
    signed_in_as = None
    for name, email, path, heading, charts in PAGES:
        if email != signed_in_as:
            page.context.clear_cookies()
            sign_in(page, email)
            signed_in_as = email
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(path.format(**busy.values))
            expect(page.locator("main")).to_contain_text(heading)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= viewport["width"], f"{name} scrolls sideways at {size}: {wide}px"
            drawn = page.evaluate(
                "Array.from(document.querySelectorAll('figure.chart img'))"
                ".filter(img => img.complete && img.naturalWidth > 0).length"
            )
            assert drawn == charts, f"{name}: {drawn} of {charts} charts drawn at {size}"
            page.screenshot(path=str(SCREENS / f"{name}-{size}.png"), full_page=True)
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_sign_out_item_is_readable_in_the_account_menu(page: Page, busy):
    sign_in(page, "manajer@example.com")
    for viewport in SIZES.values():
        page.set_viewport_size(viewport)
        page.goto("/manage/")
        page.locator("details.account-menu summary").click()
        button = page.get_by_role("button", name="Keluar")
        expect(button).to_be_visible()
        colour, background = button.evaluate(
            "b => [getComputedStyle(b).color, getComputedStyle(b.closest('ul')).backgroundColor]"
        )
        assert colour != background, "sign-out is drawn in the colour of its background"
        assert colour not in ("rgb(255, 255, 255)", "rgba(255, 255, 255, 1)")


def test_a_file_too_big_is_refused_before_it_is_sent(page: Page, busy):
    sign_in(page, "pembeli@example.com")  # has a draft partner application
    page.goto("/partner/apply/documents")
    page.locator("input[name=number]").fill("9120001234568")
    file_input = page.locator("input[type=file]")
    file_input.set_input_files(
        {"name": "nib-scan.pdf", "mimeType": "application/pdf", "buffer": b"0" * (6 * 1024 * 1024)}
    )
    note = page.locator(".upload-too-big")
    expect(note).to_contain_text("nib-scan.pdf berukuran 6,0 MB")
    assert file_input.evaluate("input => input.files.length") == 0
    expect(page.locator("input[name=number]")).to_have_value("9120001234568")
