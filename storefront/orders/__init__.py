"""Cart, checkout and orders."""

from flask import Blueprint

bp = Blueprint("orders", __name__)
