"""The words of the reports, in one place so the screen, CSV and XLSX say the same."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {"online": _l("Online"), "counter": _l("Counter")}
WINDOW_LABELS = {"today": _l("Today"), "week": _l("7 days"), "month": _l("30 days")}
METHOD_LABELS = {
    "cash": _l("Cash"),
    "qris": "QRIS",
    "debit": _l("Debit card"),
    "card": _l("Card (online)"),
    "stripe": _l("Card (online)"),
    "ewallet": _l("E-wallet (online)"),
    "va": _l("Virtual account (bank transfer)"),
}
