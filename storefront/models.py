"""Every model in one import, for Alembic autogenerate and `db.create_all()`."""

from storefront.auth.models import User
from storefront.catalog import search_index  # noqa: F401  (the search index's DDL hooks)
from storefront.catalog.models import (
    Category,
    PriceChange,
    Product,
    ProductPermit,
    ProductPhoto,
    ProductStatusChange,
)
from storefront.consignment.models import (
    Batch,
    IntakeReceipt,
    Reservation,
    ReservationLine,
    ReturnNote,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    StockWriteOff,
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
    "Batch",
    "Category",
    "Consent",
    "IntakeReceipt",
    "PriceChange",
    "Product",
    "ProductPermit",
    "ProductPhoto",
    "ProductStatusChange",
    "Reservation",
    "ReservationLine",
    "ReturnNote",
    "Setting",
    "StockCount",
    "StockCountLine",
    "StockLevel",
    "StockMovement",
    "StockWriteOff",
    "User",
    "Vendor",
    "VendorDocument",
    "VendorInvitation",
    "VendorMember",
    "VendorPhoto",
    "VendorStatusChange",
]
