"""Every model in one import, for Alembic autogenerate and `db.create_all()`."""

from storefront.audit import AuditEntry
from storefront.auth.models import User
from storefront.catalog import search_index  # noqa: F401  (the search index's DDL hooks)
from storefront.catalog.interest import LinkDailyCount, ProductDailyCount, VendorLinkDailyCount
from storefront.catalog.models import (
    PriceChange,
    Product,
    ProductPermit,
    ProductPhoto,
    ProductStatusChange,
)
from storefront.categories import Category
from storefront.incubator.models import (
    Cohort,
    CohortMember,
    MentorAssignment,
    MentoringNote,
    PermitApplication,
    PermitApplicationChange,
)
from storefront.manager_inbox import ManagerNotification, ManagerNotificationRead
from storefront.orders.models import (
    CartItem,
    Order,
    OrderEvent,
    OrderLine,
    Refund,
    RefundLine,
)
from storefront.outbox import OutboxMessage
from storefront.payments.models import PaymentEvent
from storefront.pos.models import CounterPayment, CounterSale, CounterSaleLine, Shift
from storefront.settings.models import Setting
from storefront.settlements.models import (
    Settlement,
    SettlementComment,
    SettlementLine,
    SettlementStatusChange,
)
from storefront.stock.models import (
    Batch,
    IntakeReceipt,
    Markdown,
    Reservation,
    ReservationLine,
    ReturnNote,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    StockWriteOff,
)
from storefront.vendors.models import (
    Consent,
    Vendor,
    VendorDocument,
    VendorInvitation,
    VendorMember,
    VendorPhoto,
    VendorStatusChange,
)
from storefront.worker.models import JobRun

__all__ = [
    "AuditEntry",
    "Batch",
    "CartItem",
    "Category",
    "Cohort",
    "CohortMember",
    "Consent",
    "CounterPayment",
    "CounterSale",
    "CounterSaleLine",
    "IntakeReceipt",
    "JobRun",
    "LinkDailyCount",
    "ManagerNotification",
    "ManagerNotificationRead",
    "Markdown",
    "MentorAssignment",
    "MentoringNote",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "PaymentEvent",
    "PermitApplication",
    "PermitApplicationChange",
    "PriceChange",
    "Product",
    "ProductDailyCount",
    "ProductPermit",
    "ProductPhoto",
    "ProductStatusChange",
    "Refund",
    "RefundLine",
    "Reservation",
    "ReservationLine",
    "ReturnNote",
    "Setting",
    "Settlement",
    "SettlementComment",
    "SettlementLine",
    "SettlementStatusChange",
    "Shift",
    "StockCount",
    "StockCountLine",
    "StockLevel",
    "StockMovement",
    "StockWriteOff",
    "User",
    "Vendor",
    "VendorDocument",
    "VendorInvitation",
    "VendorLinkDailyCount",
    "VendorMember",
    "VendorPhoto",
    "VendorStatusChange",
]
