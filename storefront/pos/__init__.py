"""The counter (point of sale): shifts, counter sales, payments, receipts, voids."""

from flask import Blueprint

bp = Blueprint("pos", __name__)
