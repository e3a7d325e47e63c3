"""The catalogue: categories, products, search and product pages."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)
