"""UMKM vendors: the "Jadi Mitra" application, review, the team, the profile, the bank account
and the vendor portal's dashboard."""

from flask import Blueprint, Flask

from storefront import states
from storefront.auth.services import email_confirmed

bp = Blueprint("vendors", __name__)


def init_app(app: Flask) -> None:
    from storefront.vendors import portal, services, views  # noqa: F401  (attach routes to bp)
    from storefront.vendors.models import MemberRole, SettlementPeriod, VendorStatus

    # A producer onboarded at the counter becomes owner once their address is confirmed.
    email_confirmed.connect(services.claim_pending_ownership, app)
    states.expose(app, MemberRole, SettlementPeriod, VendorStatus)
    app.register_blueprint(bp)
