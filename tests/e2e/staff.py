"""Signing staff in for a browser test, with the pages in English (the tests read English)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def sign_in(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="EN").click()
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
