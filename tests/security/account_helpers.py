"""Shared steps for the account-security tests: people with accounts, vendors, links in mail."""

from __future__ import annotations

import re

from storefront.auth.models import Role, User
from storefront.extensions import db
from storefront.vendors.models import MemberRole, Vendor, VendorMember
from tests.conftest import Client
from tests.factories import PASSWORD, UserFactory, VendorFactory

LOGIN = "/account/login"
REGISTER = "/account/register"


def page(response) -> str:
    return response.get_data(as_text=True)


def fresh(obj):
    """The row as the app left it after a request (the test's session caches otherwise)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def browser(app, lang: str | None = None) -> Client:
    """Another person's browser."""
    client = Client(app.test_client())
    if lang:
        client.set_cookie("lang", lang)
    return client


def signed_in(client: Client, email: str, password: str = PASSWORD, **extra) -> Client:
    data = {"email": email, "password": password, **extra}
    response = client.post_form(LOGIN, data)
    assert response.status_code == 302, f"could not sign in as {email}"
    return client


def make_vendor(
    owner_email: str = "owner@example.com", owner_name: str = "Siti Nurhayati", **fields
) -> tuple[Vendor, User]:
    vendor = VendorFactory(**fields)
    owner = UserFactory(email=owner_email, name=owner_name, role=Role.VENDOR.value)
    db.session.add(VendorMember(vendor_id=vendor.id, user_id=owner.id, role=MemberRole.OWNER.value))
    db.session.commit()
    return vendor, owner


def register(client: Client, **overrides):
    data = {
        "name": "Budi Santoso",
        "email": "budi@example.com",
        "phone": "0812-3456-7890",
        "password": "rahasia-sekali",
        "confirm": "rahasia-sekali",
    }
    data.update(overrides)
    return client.post_form(REGISTER, data)


def mail_body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def link_in(mail, path_prefix: str) -> str:
    """The path (and query) of the first link in `mail` under `path_prefix`."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", mail_body(mail))
    assert match, f"no {path_prefix} link in: {mail_body(mail)}"
    return match.group(1)


def mails_to(outbox, address: str) -> list:
    return [m for m in outbox() if m["To"] == address]
