"""Manager screens: dashboard, review queues, audit log."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
