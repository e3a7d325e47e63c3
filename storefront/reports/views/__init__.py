"""Report pages: manager.py (the reports), vendor.py (a vendor's insights)."""
