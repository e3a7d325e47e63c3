"""The shop settings screen: one typed registry, validated, audited, live on every worker."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storefront.audit import AuditEntry
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.settings import registry
from storefront.settings.models import Setting
from storefront.settings.services import get_setting
from storefront.shop.page_cache import HIT_HEADER
from tests.conftest import Client, make_app
from tests.factories import PASSWORD, UserFactory

# The outlet form as a fresh shop shows it.
OUTLET = {
    **{key: registry.DEFAULTS[key] for key in ("outlet_name", "outlet_address", "outlet_email")},
    "opening_hours_id": registry.DEFAULTS["opening_hours_id"],
    "opening_hours_en": registry.DEFAULTS["opening_hours_en"],
    "whatsapp": "0811-1000-1234",
}
TERMS = {"commission_default_bp": "20", "settlement_period": "monthly", "minimum_payout": "50.000"}
ZONES = {
    "delivery_zones-0-fee": "10.000",
    "delivery_zones-0-kecamatan": "Cikupa, Panongan",
    "delivery_zones-1-fee": "25.000",
    "delivery_zones-1-kecamatan": "Karawaci, Karang Tengah",
}


def admin_client(app) -> Client:
    UserFactory(email="admin@example.com", role=Role.ADMIN.value, name="Ayu Admin")
    client = Client(app.test_client())
    assert client.login("admin@example.com", PASSWORD).status_code == 302
    return client


def stored(key: str) -> str | None:
    db.session.expire_all()
    row = db.session.get(Setting, key)
    return row.value if row else None


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_the_registry_holds_every_setting_the_outlet_runs_on():
    wanted = {
        "outlet_name",
        "outlet_address",
        "opening_hours_id",
        "opening_hours_en",
        "whatsapp",
        "outlet_email",
        "commission_default_bp",
        "settlement_period",
        "minimum_payout",
        "delivery_zones",
        "reservation_minutes_card",
        "reservation_hours_outlet",
        "card_minimum_total",
        "expiry_warning_days",
        "online_min_shelf_life_days",
        "intake_min_shelf_life_percent",
        "price_change_confirm_percent",
        "permit_reminder_days",
    }
    assert wanted <= set(registry.REGISTRY)
    for definition in registry.SETTINGS:
        if definition.internal:
            continue
        # Every default, as the screen shows it, passes its own rule and is stored unchanged:
        # an admin saving a fresh shop's form changes nothing.
        kind, default = definition.kind, definition.default
        shown = default if kind.widget == "zones" else kind.form_value(default)
        assert definition.clean(shown) == default, definition.key
        assert str(definition.label)


def test_admin_changes_the_whatsapp_number_and_the_shop_shows_it_at_once(app, ctx):
    client = admin_client(app)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Nomor WhatsApp" in page and "0811-1000-1234" in page

    response = client.post_form(
        "/admin/settings/outlet", {**OUTLET, "whatsapp": "+62 812 3456 7890"}
    )
    assert response.status_code == 302
    assert stored("whatsapp") == "+6281234567890"
    home = Client(app.test_client()).get("/").get_data(as_text=True)
    assert "https://wa.me/6281234567890" in home
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.change"))
    assert json.loads(entry.before) == {"whatsapp": "+6281110001234"}
    assert json.loads(entry.after) == {"whatsapp": "+6281234567890"}
    assert entry.actor.email == "admin@example.com"


def test_commission_is_typed_in_percent_and_kept_in_basis_points(app, ctx):
    client = admin_client(app)
    response = client.post_form("/admin/settings/terms", {**TERMS, "commission_default_bp": "22,5"})
    assert response.status_code == 302
    assert get_setting("commission_default_bp") == "2250"
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="22,5"' in page


@pytest.mark.parametrize(
    ("group", "form", "field", "message"),
    [
        ("outlet", {**OUTLET, "whatsapp": "12345"}, "whatsapp", "Ketik nomor telepon"),
        # A landline cannot receive WhatsApp messages.
        ("outlet", {**OUTLET, "whatsapp": "021-5551234"}, "whatsapp", "WhatsApp perlu nomor HP"),
        ("outlet", {**OUTLET, "outlet_email": "halo@"}, "outlet_email", "Ketik alamat email"),
        ("outlet", {**OUTLET, "outlet_name": "  "}, "outlet_name", "tidak boleh kosong"),
        ("terms", {**TERMS, "commission_default_bp": "120"}, "commission_default_bp", "0 dan 100"),
        ("terms", {**TERMS, "commission_default_bp": "-5"}, "commission_default_bp", "persen"),
        ("terms", {**TERMS, "minimum_payout": "-1000"}, "minimum_payout", "Rp0"),
        ("terms", {**TERMS, "settlement_period": "daily"}, "settlement_period", "Pilih"),
        (
            "delivery",
            {**ZONES, "delivery_zones-1-fee": "-5.000"},
            "delivery_zones",
            "Zona 2: ongkir harus",
        ),
        (
            "delivery",
            {**ZONES, "delivery_zones-1-kecamatan": "Karawaci, Bekasi Utara"},
            "delivery_zones",
            "Bekasi Utara bukan kecamatan",
        ),
        (
            "delivery",
            {**ZONES, "delivery_zones-1-kecamatan": "Cikupa"},
            "delivery_zones",
            "Cikupa ada di dua zona",
        ),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_changes(
    app, ctx, group, form, field, message
):
    client = admin_client(app)
    before = audit_count()
    # A valid change in the same form is not saved either: the form is saved whole or not at all.
    form = (
        {**form, "outlet_name": "Gerai Baru"}
        if group == "outlet" and field != "outlet_name"
        else form
    )
    response = client.post_form(f"/admin/settings/{group}", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "Belum ada yang disimpan" in page
    assert db.session.scalar(select(func.count()).select_from(Setting)) == 0
    assert audit_count() == before


def test_delivery_zones_are_saved_as_a_table(app, ctx):
    client = admin_client(app)
    response = client.post_form(
        "/admin/settings/delivery",
        {**ZONES, "delivery_zones-2-fee": "", "delivery_zones-2-kecamatan": ""},
    )
    assert response.status_code == 302
    assert stored("delivery_zones") == "10000: Cikupa, Panongan\n25000: Karawaci, Karang Tengah"
    checkout_fees = registry.read_zones(get_setting("delivery_zones"))
    assert [(z.fee, z.kecamatan) for z in checkout_fees] == [
        (10000, ("Cikupa", "Panongan")),
        (25000, ("Karawaci", "Karang Tengah")),
    ]


def test_saving_without_a_change_writes_nothing(app, ctx):
    client = admin_client(app)
    response = client.post_form("/admin/settings/terms", TERMS)
    assert response.status_code == 302
    assert audit_count() == 0
    assert "Tidak ada yang berubah" in client.get("/admin/settings").get_data(as_text=True)


def test_an_unknown_group_is_not_found(app, ctx):
    client = admin_client(app)
    assert client.post_form("/admin/settings/secrets", {}).status_code == 404


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER, Role.VENDOR, Role.SHOPPER])
def test_only_admins_open_or_change_the_settings(app, ctx, role):
    UserFactory(email="someone@example.com", role=role.value)
    client = Client(app.test_client())
    client.login("someone@example.com", PASSWORD)
    assert client.get("/admin/settings").status_code == 403
    response = client.post_form("/admin/settings/outlet", {**OUTLET, "outlet_name": "Diambil"})
    assert response.status_code == 403
    assert stored("outlet_name") is None
    assert audit_count() == 0


@pytest.fixture
def two_workers(database_url, tmp_path, app):
    """Two apps on one database, as two gunicorn workers are: each with its own memory and
    its own page cache."""
    config = {"CATALOG_CACHE_SECONDS": 60, "RATELIMIT_ENABLED": False}
    workers = [make_app(database_url, tmp_path / name, **config) for name in ("a", "b")]
    yield workers
    for worker in workers:
        with worker.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_change_on_one_worker_shows_at_once_on_another_even_from_its_page_cache(two_workers):
    worker_a, worker_b = two_workers
    shopper = Client(worker_a.test_client())
    first = shopper.get("/")
    assert "Senin–Sabtu 09.00–17.00 WIB" in first.get_data(as_text=True)
    assert shopper.get("/").headers.get(HIT_HEADER) == "hit"  # kept in worker A's memory

    with worker_b.app_context():
        admin = admin_client(worker_b)
        response = admin.post_form(
            "/admin/settings/outlet", {**OUTLET, "opening_hours_id": "Setiap hari 08.00–20.00 WIB"}
        )
        assert response.status_code == 302

    again = shopper.get("/")
    assert HIT_HEADER not in again.headers
    assert "Setiap hari 08.00–20.00 WIB" in again.get_data(as_text=True)
