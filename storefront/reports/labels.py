"""The words of the reports, in one place so the screen, CSV and XLSX say the same."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {"online": _l("Online"), "counter": _l("Counter")}
WINDOW_LABELS = {"today": _l("Today"), "week": _l("7 days"), "month": _l("30 days")}
METHOD_LABELS = {
    "cash": _l("Cash"),
    "qris": "QRIS",
    "debit": _l("Debit card"),
    # "card" in the takings: every online payment that is not QRIS (card, e-wallet, virtual
    # account); one short column, so the table still fits a desktop without scrolling.
    "card": _l("Other online"),
    "stripe": _l("Card (online)"),
}
