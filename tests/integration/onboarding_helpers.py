"""Shared steps for the onboarding tests: an applicant filling the wizard, a manager deciding."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from storefront.auth.models import Role
from storefront.categories import Category
from storefront.extensions import db
from storefront.vendors.models import Vendor
from tests.factories import PASSWORD, CategoryFactory, UserFactory

NIK = "3603015505900001"  # Kab. Tangerang, a woman born 15 May 1990
NIB = "9120001234567"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def png_bytes(color=(200, 80, 20), size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def food_category() -> Category:
    return db.session.scalar(select(Category).where(Category.is_food.is_(True))) or CategoryFactory(
        slug="makanan-minuman", name="Makanan & Minuman", is_food=True
    )


def applicant(client, email="nyai@example.com", name="Siti Nurhayati"):
    user = UserFactory(email=email, name=name, role=Role.SHOPPER.value)
    assert client.login(email, PASSWORD).status_code == 302
    return user


def fill_owner(client, **overrides):
    data = {
        "name": "Siti Nurhayati",
        "nik": NIK,
        "phone": "0812 1000 0001",
        "email": "nyai@example.com",
    }
    data.update(overrides)
    return client.post_form("/partner/apply/owner", data)


def fill_business(client, category_ids=(), **overrides):
    data = {
        "name": "Dapur Nyai Cikupa",
        "legal_form": "perorangan",
        "nib": NIB,
        "npwp": "",
        "address": "Jl. Raya Serang Km 17, Talaga",
        "location": "kabupaten-tangerang|Cikupa",
        "incubator_cohort": "Inkubator Bisnis Kab. Tangerang 2024",
        "categories": [str(c) for c in category_ids],
        "story": "Keripik singkong rumahan sejak 2015.",
    }
    data.update(overrides)
    return client.post_form("/partner/apply/business", data)


def upload_document(client, kind="nib", number=NIB, content=PDF, name="nib.pdf", **extra):
    data = {"kind": kind, "number": number, "file": (io.BytesIO(content), name)}
    data.update(extra)
    data["csrf_token"] = client.csrf_token("/partner/apply/documents")
    return client.post("/partner/apply/documents", data=data, content_type="multipart/form-data")


def fill_bank(client, **overrides):
    data = {"bank_code": "014", "account": "123-456-7890", "holder": "Siti Nurhayati"}
    data.update(overrides)
    return client.post_form("/partner/apply/bank", data)


def submit(client):
    return client.post_form("/partner/apply/submit", {"personal_data": "y", "terms": "y"})


def complete_application(client) -> Vendor:
    category = food_category()
    assert fill_owner(client).status_code == 302
    assert fill_business(client, [category.id]).status_code == 302
    assert upload_document(client).status_code == 302
    assert fill_bank(client).status_code == 302
    assert submit(client).status_code == 302
    db.session.rollback()
    return db.session.scalar(select(Vendor).where(Vendor.nib == NIB))


def manager(app, email="manajer@example.com", role=Role.MANAGER):
    from tests.conftest import Client

    UserFactory(email=email, name="Manajer Gerai", role=role.value)
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client
