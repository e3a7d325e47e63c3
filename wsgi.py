"""WSGI entry point: `gunicorn wsgi:app` (see gunicorn.conf.py) or `flask --app wsgi run`."""

from storefront import create_app

app = create_app()
