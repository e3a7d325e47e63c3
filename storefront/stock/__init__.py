"""Consignment stock: batches, the stock ledger, intake, returns, write-offs and counts."""

from flask import Blueprint

bp = Blueprint("consignment", __name__)
