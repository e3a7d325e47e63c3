"""Every model in one import, for Alembic autogenerate and `db.create_all()`."""

from storefront.auth.models import User
from storefront.catalog.models import Category, Product
from storefront.settings.models import Setting
from storefront.vendors.models import Vendor, VendorMember

__all__ = ["Category", "Product", "Setting", "User", "Vendor", "VendorMember"]
