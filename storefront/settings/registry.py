"""Every shop setting in one typed registry: its name, kind, default, label and help in both
languages (through the catalogues), and the rule a new value must pass.

Values are stored as text in `settings`, always in the canonical form a kind's `clean` returns
(`2000` for 20 %, `+6281110001234` for a WhatsApp number), so the code that reads them stays a
plain `int(get_setting(...))`. The admin settings screen is drawn from this registry: a new
setting is one entry here and appears there, validated and audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from storefront.indonesia.regions import CITIES, is_known_kecamatan
from storefront.money import (
    BASIS_POINTS,
    MAX_AMOUNT,
    InvalidAmount,
    InvalidPercent,
    format_percent,
    format_rupiah,
    parse_rupiah,
    percent_to_basis_points,
)
from storefront.phones import InvalidPhone, display_phone, normalise_phone


class InvalidSettingValue(ValueError):
    """A value a setting refuses; `message` is safe to show next to the field."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- kinds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How a setting is typed in, checked, stored and shown. `widget` tells the screen which
    input to draw: text, textarea, rupiah, percent, number, tel, email, select, checkboxes,
    zones."""

    @property
    def widget(self) -> str:
        return "text"

    @property
    def unit_text(self):
        """What a number is counted in, shown beside its input (Rp, %, days)."""
        return ""

    def clean(self, raw) -> str:
        raise NotImplementedError

    def shown(self, stored: str) -> str:
        """The stored value as a person reads it (the audit log, the summary)."""
        return stored

    def form_value(self, stored: str):
        """The stored value as the form's input shows it."""
        return stored


@dataclass(frozen=True)
class Text(Kind):
    max_length: int = 200
    multiline: bool = False

    @property
    def widget(self) -> str:
        return "textarea" if self.multiline else "text"

    def clean(self, raw) -> str:
        text = (raw or "").strip()
        if not self.multiline:
            text = " ".join(text.split())
        if not text:
            raise InvalidSettingValue(_l("This cannot be empty."))
        if len(text) > self.max_length:
            raise InvalidSettingValue(_l("At most %(n)d characters, please.", n=self.max_length))
        return text


@dataclass(frozen=True)
class Rupiah(Kind):
    minimum: int = 0

    @property
    def widget(self) -> str:
        return "rupiah"

    @property
    def unit_text(self):
        return "Rp"

    def clean(self, raw) -> str:
        try:
            amount = parse_rupiah(str(raw or ""))
        except InvalidAmount:
            raise InvalidSettingValue(
                _l("Type a whole rupiah amount, for example 50.000.")
            ) from None
        if amount < self.minimum or amount > MAX_AMOUNT:
            raise InvalidSettingValue(
                _l(
                    "Type an amount from %(low)s to %(high)s.",
                    low=format_rupiah(self.minimum),
                    high=format_rupiah(MAX_AMOUNT),
                )
            )
        return str(amount)

    def shown(self, stored: str) -> str:
        return format_rupiah(int(stored))

    def form_value(self, stored: str) -> str:
        return format_rupiah(int(stored)).removeprefix("Rp")


@dataclass(frozen=True)
class Percent(Kind):
    """Typed as a percentage (`20`, `22,5`), stored in basis points (`2000`, `2250`); the rule
    is money.percent_to_basis_points, the one the commission forms use."""

    maximum_bp: int = BASIS_POINTS

    @property
    def widget(self) -> str:
        return "percent"

    @property
    def unit_text(self):
        return "%"

    def clean(self, raw) -> str:
        try:
            basis_points = percent_to_basis_points(str(raw or ""))
        except InvalidPercent as exc:
            raise InvalidSettingValue(exc.message) from None
        if basis_points > self.maximum_bp:
            raise InvalidSettingValue(_l("At most %(n)s.", n=format_percent(self.maximum_bp)))
        return str(basis_points)

    def shown(self, stored: str) -> str:
        return format_percent(int(stored))

    def form_value(self, stored: str) -> str:
        return format_percent(int(stored), sign=False)


UNITS = {
    "days": _l("days"),
    "hours": _l("hours"),
    "minutes": _l("minutes"),
    "percent": "%",
}


@dataclass(frozen=True)
class Count(Kind):
    """A whole number of `unit` between `minimum` and `maximum`."""

    @property
    def widget(self) -> str:
        return "number"

    unit: str = "days"
    minimum: int = 0
    maximum: int = 3650

    def clean(self, raw) -> str:
        text = str(raw or "").strip()
        if not text.isdigit() or not self.minimum <= int(text) <= self.maximum:
            raise InvalidSettingValue(
                _l(
                    "Type a whole number from %(low)d to %(high)d.",
                    low=self.minimum,
                    high=self.maximum,
                )
            )
        return str(int(text))

    def shown(self, stored: str) -> str:
        return f"{stored} {UNITS[self.unit]}"

    @property
    def unit_text(self):
        return UNITS[self.unit]


@dataclass(frozen=True)
class DayList(Kind):
    """Several whole numbers of days, typed with commas (`90, 30, 7`), stored largest first."""

    minimum: int = 1
    maximum: int = 365

    def clean(self, raw) -> str:
        parts = [part.strip() for part in str(raw or "").split(",") if part.strip()]
        if not parts or not all(
            part.isdigit() and self.minimum <= int(part) <= self.maximum for part in parts
        ):
            raise InvalidSettingValue(
                _l(
                    "Type whole numbers of days from %(low)d to %(high)d, separated by commas, "
                    "such as 90, 30, 7.",
                    low=self.minimum,
                    high=self.maximum,
                )
            )
        return ",".join(str(day) for day in sorted({int(part) for part in parts}, reverse=True))

    def shown(self, stored: str) -> str:
        return f"{stored.replace(',', ', ')} {UNITS['days']}"

    @property
    def unit_text(self):
        return UNITS["days"]


@dataclass(frozen=True)
class Phone(Kind):
    """A phone number stored as E.164; `mobile` for WhatsApp, which needs a mobile number."""

    @property
    def widget(self) -> str:
        return "tel"

    mobile: bool = True

    def clean(self, raw) -> str:
        try:
            number = normalise_phone(str(raw or ""))
        except InvalidPhone:
            raise InvalidSettingValue(
                _l("Type a phone number such as 0811-1000-1234 or +62 811 1000 1234.")
            ) from None
        kind = phonenumbers.number_type(phonenumbers.parse(number))
        mobile_kinds = {
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        }
        if self.mobile and kind not in mobile_kinds:
            raise InvalidSettingValue(
                _l("WhatsApp needs a mobile number (08…); this looks like a landline.")
            )
        return number

    def shown(self, stored: str) -> str:
        return display_phone(stored)

    def form_value(self, stored: str) -> str:
        return display_phone(stored)


@dataclass(frozen=True)
class Email(Kind):
    @property
    def widget(self) -> str:
        return "email"

    def clean(self, raw) -> str:
        try:
            result = validate_email(str(raw or "").strip(), check_deliverability=False)
        except EmailNotValidError:
            raise InvalidSettingValue(_l("Type an email address such as halo@gerai.id.")) from None
        return result.normalized.lower()


@dataclass(frozen=True)
class Choice(Kind):
    @property
    def widget(self) -> str:
        return "select"

    choices: tuple[tuple[str, object], ...] = ()

    def clean(self, raw) -> str:
        value = str(raw or "").strip()
        if value not in dict(self.choices):
            raise InvalidSettingValue(_l("Choose one of the options."))
        return value

    def shown(self, stored: str) -> str:
        return str(dict(self.choices).get(stored, stored))


@dataclass(frozen=True)
class Choices(Kind):
    """Several of `choices`, stored comma-separated in the order of `choices`."""

    @property
    def widget(self) -> str:
        return "checkboxes"

    choices: tuple[tuple[str, object], ...] = ()

    def clean(self, raw) -> str:
        picked = raw.split(",") if isinstance(raw, str) else list(raw or ())
        picked = {p.strip() for p in picked if p and p.strip()}
        known = [value for value, _label in self.choices]
        if not picked or picked - set(known):
            raise InvalidSettingValue(_l("Choose at least one of the options."))
        return ",".join(value for value in known if value in picked)

    def shown(self, stored: str) -> str:
        labels = dict(self.choices)
        return ", ".join(str(labels.get(v, v)) for v in stored.split(",") if v)

    def form_value(self, stored: str) -> list[str]:
        return [v.strip() for v in stored.split(",") if v.strip()]


@dataclass(frozen=True)
class Zone:
    fee: int
    kecamatan: tuple[str, ...]


def _is_tangerang_kecamatan(name: str) -> bool:
    return any(is_known_kecamatan(city, name) for city, _label in CITIES)


def read_zones(stored: str) -> list[Zone]:
    """The zones of a stored `delivery_zones` value (`fee: kecamatan, kecamatan` per line).
    Lines that are not whole rupiah from 0 up are skipped: a typo never charges nonsense."""
    zones = []
    for line in (stored or "").splitlines():
        fee, _, names = line.partition(":")
        try:
            amount = parse_rupiah(fee)
        except InvalidAmount:
            continue
        kecamatan = tuple(n.strip() for n in names.split(",") if n.strip())
        if amount >= 0 and kecamatan:
            zones.append(Zone(amount, kecamatan))
    return zones


@dataclass(frozen=True)
class DeliveryZones(Kind):
    """Fee per zone, each zone a list of kecamatan of Kabupaten and Kota Tangerang. Typed as
    rows of (fee, names); stored one zone per line. A kecamatan belongs to one zone at most."""

    @property
    def widget(self) -> str:
        return "zones"

    def clean(self, raw) -> str:
        # Rows of the screen's table, or the stored text (`fee: names` per line).
        rows: Iterable[tuple[str, str]] = (
            [tuple(line.partition(":")[::2]) for line in raw.splitlines()]
            if isinstance(raw, str)
            else raw
        )
        lines, seen = [], set()
        for number, (fee_text, names_text) in enumerate(rows, start=1):
            names = [n.strip() for n in re.split(r"[,\n]", names_text or "") if n.strip()]
            if not names and not (fee_text or "").strip():
                continue  # an empty row of the table
            try:
                fee = parse_rupiah(fee_text or "")
            except InvalidAmount:
                fee = None
            if fee is None or fee < 0:
                raise InvalidSettingValue(
                    _l("Zone %(n)d: the fee must be a whole rupiah amount, 0 or more.", n=number)
                )
            if not names:
                raise InvalidSettingValue(_l("Zone %(n)d: list at least one kecamatan.", n=number))
            for name in names:
                if not _is_tangerang_kecamatan(name):
                    raise InvalidSettingValue(
                        _l(
                            "Zone %(n)d: %(name)s is not a kecamatan of Kabupaten or Kota "
                            "Tangerang.",
                            n=number,
                            name=name,
                        )
                    )
                # "Karang Tengah" and "Karangtengah" are one kecamatan.
                same = name.casefold().replace(" ", "")
                if same in seen:
                    raise InvalidSettingValue(
                        _l("%(name)s is in two zones; keep it in one.", name=name)
                    )
                seen.add(same)
            lines.append(f"{fee}: {', '.join(names)}")
        return "\n".join(lines)

    def shown(self, stored: str) -> str:
        return "; ".join(
            f"{format_rupiah(zone.fee)}: {', '.join(zone.kecamatan)}" for zone in read_zones(stored)
        )

    def form_value(self, stored: str) -> list[Zone]:
        return read_zones(stored)


# --- the settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str
    title: object
    description: object = ""


GROUPS = (
    Group("outlet", _l("The outlet"), _l("Shown on every page, in emails and on receipts.")),
    Group(
        "terms",
        _l("Consignment terms"),
        _l("Offered to new vendors; each vendor keeps the terms agreed at approval."),
    ),
    Group("orders", _l("Orders and payment")),
    Group("delivery", _l("Delivery"), _l("The outlet's courier delivers only to these kecamatan.")),
    Group("stock", _l("Stock and permits")),
)


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    group: str
    kind: Kind
    default: str
    label: object
    help: object = ""
    # Kept by the shop itself (not on the settings screen).
    internal: bool = False

    def clean(self, raw) -> str:
        return self.kind.clean(raw)


PERIODS = (
    ("monthly", _l("Monthly")),
    ("biweekly", _l("Every two weeks")),
    ("weekly", _l("Weekly")),
)
PAYMENT_METHOD_TYPES = (
    ("card", _l("Card")),
    ("qris", "QRIS"),
    ("gopay", "GoPay"),
)

DEFAULT_ZONES = (
    "10000: Cikupa, Panongan, Balaraja, Curug, Tigaraksa, Pasar Kemis, Jayanti, Legok\n"
    "15000: Cisoka, Solear, Sindang Jaya, Sepatan, Sepatan Timur, Rajeg, Kelapa Dua, "
    "Pagedangan, Cisauk, Kresek, Jambe, Sukamulya\n"
    "25000: Kronjo, Gunung Kaler, Mekar Baru, Kemiri, Mauk, Sukadiri, Pakuhaji, Teluknaga, "
    "Kosambi, Tangerang, Jatiuwung, Batuceper, Benda, Cipondoh, "
    "Ciledug, Karawaci, Periuk, Cibodas, Neglasari, Pinang, Karang Tengah, Larangan"
)

SETTINGS: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        "outlet_name", "outlet", Text(max_length=80), "Gerai Tangerang Gemilang", _l("Outlet name")
    ),
    SettingDefinition(
        "outlet_address",
        "outlet",
        Text(max_length=300, multiline=True),
        "Jl. Raya Serang Km 18,5, Desa Talaga, Kec. Cikupa, Kabupaten Tangerang, Banten",
        _l("Address"),
    ),
    SettingDefinition(
        "opening_hours_id",
        "outlet",
        Text(max_length=200),
        "Senin–Sabtu 09.00–17.00 WIB · Minggu & hari libur tutup",
        _l("Opening hours (Indonesian)"),
        _l("As shoppers read it, e.g. Senin–Sabtu 09.00–17.00 WIB."),
    ),
    SettingDefinition(
        "opening_hours_en",
        "outlet",
        Text(max_length=200),
        "Monday–Saturday 09:00–17:00 WIB · closed Sundays and public holidays",
        _l("Opening hours (English)"),
    ),
    SettingDefinition(
        "whatsapp",
        "outlet",
        Phone(mobile=True),
        "+6281110001234",
        _l("WhatsApp number"),
        _l("Shoppers and vendors message this number; 08… or +62…."),
    ),
    SettingDefinition(
        "outlet_email", "outlet", Email(), "halo@geraitangerang.id", _l("Email address")
    ),
    SettingDefinition(
        "commission_default_bp",
        "terms",
        Percent(),
        "2000",
        _l("Default commission"),
        _l(
            "The outlet's share of each sale, in percent, unless a category or vendor has "
            "its own rate."
        ),
    ),
    SettingDefinition(
        "settlement_period",
        "terms",
        Choice(choices=PERIODS),
        "monthly",
        _l("Settlement period"),
        _l("How often new vendors are settled with."),
    ),
    SettingDefinition(
        "minimum_payout",
        "terms",
        Rupiah(),
        "50000",
        _l("Minimum payout"),
        _l("A smaller balance is carried to the vendor's next statement."),
    ),
    SettingDefinition(
        "message_retention_days",
        "orders",
        Count(unit="days", minimum=7, maximum=3650),
        "90",
        _l("Keep sent messages for"),
        _l(
            "Emails and WhatsApp messages that were sent (or gave up) are deleted this many "
            "days later: they hold shoppers' and vendors' addresses and order details."
        ),
    ),
    SettingDefinition(
        "reservation_minutes_card",
        "orders",
        Count(unit="minutes", minimum=10, maximum=120),
        "30",
        _l("Card payment hold"),
        _l("How long an online order keeps its goods while the shopper pays by card."),
    ),
    SettingDefinition(
        "reservation_minutes_qris",
        "orders",
        Count(unit="minutes", minimum=15, maximum=60),
        "20",
        _l("QRIS and e-wallet payment hold"),
        _l(
            "How long an online order keeps its goods while the shopper pays by QRIS or "
            "e-wallet; the QR code and the e-wallet link stop working at the same time."
        ),
    ),
    SettingDefinition(
        "reservation_hours_va",
        "orders",
        Count(unit="hours", minimum=1, maximum=24),
        "12",
        _l("Virtual account payment hold"),
        _l(
            "How long an online order keeps its goods while the shopper transfers to the "
            "virtual account; the account number closes at the same time (24 hours at most)."
        ),
    ),
    SettingDefinition(
        "reservation_hours_outlet",
        "orders",
        Count(unit="hours", minimum=1, maximum=168),
        "48",
        _l("Pay-at-the-outlet hold"),
        _l("How long goods wait for a shopper who pays when collecting."),
    ),
    SettingDefinition(
        "card_minimum_total",
        "orders",
        Rupiah(minimum=10000),
        "10000",
        _l("Card payment minimum"),
        _l("Smaller orders are paid at the outlet (Stripe refuses charges under about USD 0.50)."),
    ),
    SettingDefinition(
        "stripe_payment_method_types",
        "orders",
        Choices(choices=PAYMENT_METHOD_TYPES),
        "card",
        _l("Online payment methods"),
        _l("QRIS and GoPay only work once Stripe has enabled them for the outlet's account."),
    ),
    SettingDefinition(
        "delivery_zones",
        "delivery",
        DeliveryZones(),
        DEFAULT_ZONES,
        _l("Delivery zones and fees"),
        _l("One zone per row: its fee and its kecamatan, separated by commas."),
    ),
    SettingDefinition(
        "expiry_warning_days",
        "stock",
        Count(unit="days", minimum=1, maximum=365),
        "30",
        _l("Near-expiry warning"),
        _l("Batches expiring within this many days are listed for managers and vendors."),
    ),
    SettingDefinition(
        "online_min_shelf_life_days",
        "stock",
        Count(unit="days", minimum=0, maximum=365),
        "3",
        _l("Minimum shelf life for online orders"),
        _l(
            "Batches with fewer days than this before their expiry are sold at the counter "
            "only, where the buyer sees the date. 0 sells every unexpired batch online."
        ),
    ),
    SettingDefinition(
        "intake_min_shelf_life_percent",
        "stock",
        Count(unit="percent", minimum=0, maximum=100),
        "50",
        _l("Shelf-life warning at intake"),
        _l("Intake warns when goods arrive with less than this share of their shelf life left."),
    ),
    SettingDefinition(
        "permit_reminder_days",
        "stock",
        DayList(minimum=1, maximum=365),
        "90,30,7",
        _l("Permit reminders"),
        _l(
            "Vendors are reminded this many days before a permit lapses (renewing an SPP-IRT "
            "takes more than a month)."
        ),
    ),
    SettingDefinition(
        "permit_application_due_days",
        "stock",
        Count(unit="days", minimum=1, maximum=90),
        "7",
        _l("Permit application reminders"),
        _l(
            "Managers and the assisting mentor are reminded this many days before a permit "
            "application's due date (incubator permit assistance)."
        ),
    ),
    SettingDefinition(
        "price_change_confirm_percent",
        "stock",
        Count(unit="percent", minimum=1, maximum=1000),
        "50",
        _l("Price change needing confirmation"),
        _l("A vendor changing a price by more than this percentage is asked to confirm it."),
    ),
    SettingDefinition(
        "price_change_notice_days",
        "stock",
        Count(unit="days", minimum=1, maximum=90),
        "1",
        _l("Notice for a price change"),
        _l(
            "A vendor's new price takes effect at the earliest this many days after the day it "
            "is entered, so shelf labels can be reprinted first (1 = from tomorrow)."
        ),
    ),
    # Kept by the shop, not shown on the settings screen.
    SettingDefinition("demo_seeded_at", "internal", Text(), "", "demo_seeded_at", internal=True),
    # Changes with every save (services.save_settings); the page cache keys on it.
    SettingDefinition(
        "settings_version", "internal", Text(), "0", "settings_version", internal=True
    ),
    # Changes with every change a catalogue page shows (shop/page_cache.py); its keys use it.
    SettingDefinition("catalog_version", "internal", Text(), "0", "catalog_version", internal=True),
)

REGISTRY: dict[str, SettingDefinition] = {s.key: s for s in SETTINGS}
DEFAULTS: dict[str, str] = {s.key: s.default for s in SETTINGS}


def definitions(group: str) -> list[SettingDefinition]:
    return [s for s in SETTINGS if s.group == group and not s.internal]


@dataclass
class Validation:
    """The clean values of what was typed, and a message per setting that was refused."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)


def validate(raw: dict[str, object]) -> Validation:
    result = Validation()
    for key, value in raw.items():
        definition = REGISTRY.get(key)
        if definition is None or definition.internal:
            result.errors[key] = _l("This is not a setting staff can change.")
            continue
        try:
            result.values[key] = definition.clean(value)
        except InvalidSettingValue as exc:
            result.errors[key] = exc.message
    return result
