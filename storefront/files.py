"""Sending private files (vendor documents, permit certificates) to people allowed to see them.

Callers check who may see the file; this only sends it without letting any cache keep it.
"""

from __future__ import annotations

from flask import abort, send_file

from storefront.security import NO_STORE
from storefront.uploads import private_path


def send_private(relative_path: str, mime: str, download_name: str):
    try:
        path = private_path(relative_path)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, mimetype=mime, download_name=download_name, max_age=0)
    response.headers["Cache-Control"] = NO_STORE
    return response
