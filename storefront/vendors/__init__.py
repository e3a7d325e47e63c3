"""UMKM vendors: onboarding, review and the vendor portal."""

from flask import Blueprint

bp = Blueprint("vendors", __name__)
