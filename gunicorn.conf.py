"""gunicorn settings; most values can be overridden from the environment.

The access log format and its logger are fixed here: log lines must never carry a password
reset or invitation token or an order's access key (docs/security.md).
"""

import os
import re
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
# Load the app before forking so workers share memory; each worker opens its own DB pool.
preload_app = False
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Paths whose last part is a secret: the links emailed for a password reset and a team
# invitation. tests/security/test_tokens_out_of_logs.py fails if a route with a `token` or
# `key` in its path is missing here.
SECRET_PATH = re.compile(
    r"^(/account/password/reset/|/account/verify/|/vendor/invitations/)[^/?#]+"
)


def loggable_path(path):
    """A path without its secret part: `/account/password/reset/[redacted]`."""
    return SECRET_PATH.sub(r"\1[redacted]", path or "")


def loggable_url(url):
    """A URL (a Referer) without its query string, fragment or secret path part."""
    if not url or url == "-":
        return "-"
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return origin + loggable_path(parts.path)


class AccessLogWithoutSecrets(Logger):
    """The combined log format, with the request line's path masked and no query strings:
    order keys (`?key=`) and the `next` page of a sign-in (which may be an invitation link)
    live there."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = loggable_path(environ.get("PATH_INFO"))
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{atoms['m']} {path} {atoms['H']}"
        atoms["f"] = loggable_url(atoms["f"])
        # The same values reachable through header and environ atoms.
        for name in ("{referer}i", "{http_referer}e"):
            if name in atoms:
                atoms[name] = loggable_url(atoms[name])
        for name in ("{raw_uri}e", "{request_uri}e", "{path_info}e", "{query_string}e"):
            atoms.pop(name, None)
        return atoms


logger_class = AccessLogWithoutSecrets
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'
