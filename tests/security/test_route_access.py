"""Every route declares who may use it, and every role gets the answer the declaration says."""

from __future__ import annotations

import pytest
from flask import Blueprint, url_for

from storefront.auth.access import allowed_roles, role_required
from storefront.auth.models import Role
from storefront.extensions import db
from storefront.vendors.models import VendorMember
from tests.conftest import Client, empty_tables, make_app
from tests.factories import PASSWORD, UserFactory, VendorFactory

# Values for URL parts; lookups may 404, which is fine: we check the door, not the room.
SAMPLE_ARGS = {
    "code": "en",
    "token": "not-a-token",
    "slug": "tidak-ada",
    "relative": "public/none/none.webp",
    "step": "owner",
    "field": "owner_nik",
    "kind": "pirt",
    "action": "up",
    "number": "GTG-000101-0001",
    "group": "outlet",
    "fmt": "csv",
    "name": "square.png",
}
SAMPLE_ID = 999_999
ROLES = [None, *Role]

# What only an administrator may do; managers get 403 (docs/security.md, "Roles and routes").
# Every other /manage route is open to managers and admins alike. Adding or dropping an
# admin-only route means changing this table, on purpose.
ADMIN_ONLY = {
    "manage.reveal": "show a NIK, NPWP or bank account number in full",
    "settlements.settlement_payouts_csv": "download the payout file (full account numbers)",
    "admin.index": "the administration's start page",
    "admin.settings": "shop settings",
    "admin.save_group": "change shop settings",
    "admin.users": "list and search accounts (names and emails)",
    "admin.user_detail": "an account and its history",
    "admin.new_user": "create staff accounts",
    "admin.change_role": "change an account's role",
    "admin.deactivate_user": "close an account",
    "admin.reactivate_user": "reopen an account",
    "admin.send_reset_link": "email a password-reset link",
    "admin.audit_log": "the audit log",
    "incubator.assign_vendors": "give a mentor the vendors they follow",
}


def endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_who_may_use_it(app):
    undeclared = [rule.rule for rule, view in endpoints(app) if allowed_roles(view) is None]
    assert undeclared == [], "add @public or @role_required(...) to: " + ", ".join(undeclared)


def test_admin_only_routes_are_the_ones_in_the_table(app):
    declared = {
        rule.endpoint for rule, view in endpoints(app) if allowed_roles(view) == {Role.ADMIN}
    }
    assert declared == set(ADMIN_ONLY)


def signed_in_client(app, role: Role | None) -> Client:
    client = Client(app.test_client())
    if role is not None:
        email = f"{role.value}@example.com"
        user = UserFactory(email=email, role=role.value)
        if role == Role.VENDOR:
            # A vendor account belongs to an approved business, as in real life.
            vendor = VendorFactory()
            db.session.add(VendorMember(vendor_id=vendor.id, user_id=user.id, role="owner"))
            db.session.commit()
        response = client.login(email, PASSWORD)
        assert response.status_code == 302, f"could not sign in as {role}"
    return client


def call(client: Client, rule) -> int:
    values = {arg: SAMPLE_ID if arg.endswith("_id") else SAMPLE_ARGS[arg] for arg in rule.arguments}
    with client.application.test_request_context():
        url = url_for(rule.endpoint, **values)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post_form(url, {})


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_each_role_gets_what_each_route_declares(app, ctx, role):
    client = signed_in_client(app, role)
    for rule, view in endpoints(app):
        if rule.endpoint == "auth.logout":
            continue  # would end the session this walk relies on; covered in test_accounts
        declared = allowed_roles(view)
        response = call(client, rule)
        where = f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule} as {role}"
        if declared == "public" or (role is not None and role in declared):
            assert response.status_code not in (401, 403), where
            location = response.headers.get("Location", "")
            assert "/account/login?next" not in location, where
        elif role is None:
            assert response.status_code == 302, where
            assert "/account/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where


@pytest.mark.parametrize("endpoint", sorted(ADMIN_ONLY))
def test_managers_are_refused_what_only_admins_may_do(app, ctx, endpoint):
    (rule,) = [rule for rule, _view in endpoints(app) if rule.endpoint == endpoint]
    manager = signed_in_client(app, Role.MANAGER)
    assert call(manager, rule).status_code == 403, ADMIN_ONLY[endpoint]
    admin = signed_in_client(app, Role.ADMIN)
    assert call(admin, rule).status_code not in (401, 403), ADMIN_ONLY[endpoint]


@pytest.fixture
def guarded_app(database_url, tmp_path, _schema):
    app = make_app(database_url, tmp_path)
    bp = Blueprint("guarded", __name__)

    @bp.route("/only-managers")
    @role_required(Role.MANAGER)
    def only_managers():
        return "manager area"

    @bp.route("/only-admins")
    @role_required("admin")
    def only_admins():
        return "admin area"

    app.register_blueprint(bp)
    with app.app_context():
        empty_tables()
        yield app
        from storefront.extensions import db

        db.engine.dispose()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.SHOPPER, 403), (Role.VENDOR, 403), (Role.MANAGER, 200), (Role.ADMIN, 200)],
)
def test_admins_may_do_what_managers_may(guarded_app, role, status):
    client = signed_in_client(guarded_app, role)
    assert client.get("/only-managers").status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SHOPPER, 403),
        (Role.VENDOR, 403),
        (Role.CASHIER, 403),
        (Role.MANAGER, 403),
        (Role.ADMIN, 200),
    ],
)
def test_admin_only_means_strictly_admins(guarded_app, role, status):
    client = signed_in_client(guarded_app, role)
    assert client.get("/only-admins").status_code == status


def test_anonymous_visitor_is_sent_to_sign_in_and_back(guarded_app):
    response = Client(guarded_app.test_client()).get("/only-managers")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=%2Fonly-managers"


def test_forbidden_page_is_friendly(guarded_app):
    client = signed_in_client(guarded_app, Role.SHOPPER)
    response = client.get("/only-managers")
    assert "Anda tidak punya akses ke halaman ini" in response.get_data(as_text=True)
