"""The floor `bench/catalog.py` compares the store with: a minimal Flask app on the same database
that runs one query (24 approved products of approved vendors, newest first) and renders one
precompiled Jinja template listing them. No sessions, translations, CSRF, security headers or
stock: what any listing page costs at the least on this machine and database.

    DATABASE_URL=sqlite:////tmp/x.db gunicorn -c gunicorn.conf.py --pythonpath bench \
        reference_app:app
"""

from __future__ import annotations

import os

from flask import Flask
from jinja2 import Environment
from sqlalchemy import create_engine, text

QUERY = text(
    "SELECT p.name, p.slug, p.price, p.unit, v.name AS vendor "
    # CROSS JOIN: SQLite keeps the tables in this order and walks products newest first;
    # PostgreSQL plans it like any inner join.
    "FROM products p CROSS JOIN vendors v "
    "WHERE v.id = p.vendor_id AND p.status = 'approved' AND p.hidden = :hidden "
    "AND v.status = 'approved' "
    "ORDER BY p.id DESC LIMIT 24"
)

TEMPLATE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Produk terbaru</title></head>
<body><main><h1>Produk terbaru</h1><ul>
{% for p in products %}<li><a href="/product/{{ p.slug }}">{{ p.name }}</a>
<span>{{ p.vendor }}</span> <span>Rp{{ "{:,}".format(p.price).replace(",", ".") }}
/ {{ p.unit }}</span></li>
{% endfor %}</ul></main></body></html>
"""
)

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=False)
app = Flask(__name__)


@app.route("/")
def listing():
    with engine.connect() as connection:
        products = connection.execute(QUERY, {"hidden": False}).all()
    return TEMPLATE.render(products=products)
