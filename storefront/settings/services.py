"""Read and write shop settings. A setting not stored yet has the default below."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.settings.models import Setting

DEFAULTS: dict[str, str] = {
    "outlet_name": "Gerai Tangerang Gemilang",
    "outlet_address": (
        "Jl. Raya Serang Km 18,5, Desa Talaga, Kec. Cikupa, Kabupaten Tangerang, Banten"
    ),
    "opening_hours_id": "Senin–Sabtu 09.00–17.00 WIB · Minggu & hari libur tutup",
    "opening_hours_en": "Monday–Saturday 09:00–17:00 WIB · closed Sundays and public holidays",
    "whatsapp": "+6281110001234",
    "outlet_email": "halo@geraitangerang.local",
    # Consignment terms (basis points: 2000 = 20 %).
    "commission_default_bp": "2000",
    "settlement_period": "monthly",
    "minimum_payout": "50000",  # rupiah; smaller balances carry to the next statement
    # Batches expiring within this many days are listed for managers and vendors.
    "expiry_warning_days": "30",
    # Online orders only take batches with at least this many days left before their expiry
    # date; closer ones are sold at the counter, where the buyer sees the date (issue 14).
    "online_min_shelf_life_days": "3",
    # Intake warns when goods arrive with less than this share (%) of their shelf life left.
    "intake_min_shelf_life_percent": "50",
    # A price change by more than this share (%) of the old price asks the vendor to confirm.
    "price_change_confirm_percent": "50",
    # Days before a permit lapses on which its vendor is reminded (comma-separated).
    "permit_reminder_days": "90,30,7",
    "demo_seeded_at": "",
    # Online orders hold their stock this long before the reservation is released.
    "reservation_minutes_card": "30",
    "reservation_hours_outlet": "48",
    # Stripe refuses charges under about USD 0.50; below this total only pay-at-outlet is offered.
    "card_minimum_total": "10000",
    # Comma-separated Stripe payment method types (card; qris and gopay for eligible accounts).
    "stripe_payment_method_types": "card",
    # Local delivery: one zone per line, "fee: kecamatan, kecamatan, ..." (Kab./Kota Tangerang).
    "delivery_zones": (
        "10000: Cikupa, Panongan, Balaraja, Curug, Tigaraksa, Pasar Kemis, Jayanti, Legok\n"
        "15000: Cisoka, Solear, Sindang Jaya, Sepatan, Sepatan Timur, Rajeg, Kelapa Dua, "
        "Pagedangan, Cisauk, Kresek, Jambe, Sukamulya\n"
        "25000: Kronjo, Gunung Kaler, Mekar Baru, Kemiri, Mauk, Sukadiri, Pakuhaji, Teluknaga, "
        "Kosambi, Tangerang, Jatiuwung, Batuceper, Benda, Cipondoh, "
        "Ciledug, Karawaci, Periuk, Cibodas, Neglasari, Pinang, Karang Tengah, Larangan"
    ),
}


class UnknownSetting(KeyError):
    pass


def get_setting(key: str) -> str:
    if key not in DEFAULTS:
        raise UnknownSetting(key)
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def get_settings(*keys: str) -> dict[str, str]:
    """Several settings in one query (the page layout needs a handful on every page)."""
    for key in keys:
        if key not in DEFAULTS:
            raise UnknownSetting(key)
    stored = {
        row.key: row.value
        for row in db.session.scalars(select(Setting).where(Setting.key.in_(keys)))
    }
    return {key: stored.get(key, DEFAULTS[key]) for key in keys}


def set_setting(key: str, value: str) -> None:
    """Store a setting; the caller commits."""
    if key not in DEFAULTS:
        raise UnknownSetting(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
