"""A shopper opens the shop on a phone, switches language, registers, confirms the address from
the email, signs out and in."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _confirmation_link(app) -> str:
    [mail] = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    ]
    assert mail["Subject"] == "Confirm your email address at Gerai Tangerang Gemilang"
    return re.search(r"http://[^/\s]+(/account/verify/\S+)", mail.get_body().get_content())[1]


def test_home_in_indonesian_then_english_then_register_logout_login(page, app):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bangga produk lokal")

    page.get_by_role("link", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Proudly local")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Full name").fill("Dewi Anggraini")
    page.get_by_label("Email").fill("Dewi@Example.com")
    page.get_by_label("Phone / WhatsApp (optional)").fill("0812 7777 8888")
    page.get_by_label("Password", exact=True).fill("sandi-rahasia-1")
    page.get_by_label("Repeat password").fill("sandi-rahasia-1")
    page.get_by_role("button", name="Create account").click()
    expect(
        page.get_by_text("Check your email: we sent a message to dewi@example.com.")
    ).to_be_visible()

    # The language choice survived registration, and the email speaks it too.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    link = _confirmation_link(app)
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("dewi@example.com")
    page.get_by_label("Password").fill("sandi-rahasia-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Your email address is confirmed. Thank you!")).to_be_visible()
    expect(page.get_by_text("Your email address is not confirmed yet.")).to_have_count(0)

    page.locator("details.account-menu summary").click()
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_text("dewi@example.com")).to_be_visible()
    expect(page.get_by_text("0812-7777-8888")).to_be_visible()

    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("dewi@example.com")
    page.get_by_label("Password").fill("salah-sandinya")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Email or password is not right. Please try again.")).to_be_visible()

    page.get_by_label("Password").fill("sandi-rahasia-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Welcome back, Dewi Anggraini.")).to_be_visible()
