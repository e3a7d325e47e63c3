"""Every model in one import, for Alembic autogenerate and `db.create_all()`."""

from storefront.auth.models import User
from storefront.catalog.models import (
    Category,
    PriceChange,
    Product,
    ProductPermit,
    ProductPhoto,
    ProductStatusChange,
)
from storefront.manage.models import AuditEntry
from storefront.settings.models import Setting
from storefront.vendors.models import (
    Consent,
    Vendor,
    VendorDocument,
    VendorInvitation,
    VendorMember,
    VendorPhoto,
    VendorStatusChange,
)

__all__ = [
    "AuditEntry",
    "Category",
    "Consent",
    "PriceChange",
    "Product",
    "ProductPermit",
    "ProductPhoto",
    "ProductStatusChange",
    "Setting",
    "User",
    "Vendor",
    "VendorDocument",
    "VendorInvitation",
    "VendorMember",
    "VendorPhoto",
    "VendorStatusChange",
]
