"""UMKM vendors: onboarding, review and the vendor portal."""
