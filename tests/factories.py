"""Small factories for test data, writing through the real models and session."""

from __future__ import annotations

import factory

from storefront.auth.models import Role, User
from storefront.catalog.models import Product, ProductStatus
from storefront.categories import Category
from storefront.database import utcnow
from storefront.extensions import db
from storefront.vendors.models import Vendor, VendorStatus

PASSWORD = "correct-horse-battery"


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = User

    name = factory.Sequence(lambda n: f"Pembeli {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.SHOPPER.value
    active = True
    password_hash = factory.LazyFunction(lambda: _hash(PASSWORD))
    # Most tests are about people whose address is confirmed; pass None for one who is not.
    email_verified_at = factory.LazyFunction(utcnow)


def _hash(password: str) -> str:
    # Hashing is deliberately slow; tests share one hash of the common password.
    if password not in _HASHES:
        user = User()
        user.set_password(password)
        _HASHES[password] = user.password_hash
    return _HASHES[password]


_HASHES: dict[str, str] = {}


class CategoryFactory(Base):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"kategori-{n}")
    name = factory.Sequence(lambda n: f"Kategori {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class VendorFactory(Base):
    class Meta:
        model = Vendor

    slug = factory.Sequence(lambda n: f"umkm-{n}")
    name = factory.Sequence(lambda n: f"UMKM {n}")
    status = VendorStatus.APPROVED.value
    kecamatan = "Cikupa"


class ProductFactory(Base):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    category = factory.SubFactory(CategoryFactory)
    code = factory.Sequence(lambda n: f"T{n:06d}")
    slug = factory.Sequence(lambda n: f"produk-{n}")
    name = factory.Sequence(lambda n: f"Produk {n}")
    price = 15000
    status = ProductStatus.APPROVED.value
