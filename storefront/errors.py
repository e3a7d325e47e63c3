"""The one base of the shop's domain errors, and friendly error pages in the visitor's
language (JSON for API-style clients)."""

from __future__ import annotations

import time

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from storefront.extensions import db, limiter


class DomainError(Exception):
    """A rule of the shop refused an action. `message` (a lazy translatable string) is safe to
    show to the person; `field` names the form field it is about, if any.

    Services raise subclasses (`OutOfStock`, `InvalidTransition`, `PosError`…) and never
    commit; a view that catches one shows it with `storefront.forms.form_error`, which also
    rolls the action back.
    """

    field: str | None = None

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class DatabaseBusy(DomainError):
    """SQLite: an action queued for the write lock longer than it may (a burst of checkouts)
    and gave up before doing anything. Answered 503; nothing was saved."""

    def __init__(self):
        # Raised while a connection is being set up: nothing may be translated (or read) yet.
        Exception.__init__(self, "the database stayed locked; nothing was saved")
        self.message = MESSAGES[503][1]


MESSAGES = {
    400: (
        _l("Something in that request was not right"),
        _l("The form may have expired. Go back, reload the page and try again."),
    ),
    403: (
        _l("You do not have access to this page"),
        _l("Sign in with an account that may open it, or go back to the shop."),
    ),
    404: (
        _l("Page not found"),
        _l("The link may be old or mistyped. Try searching, or start from the home page."),
    ),
    405: (
        _l("That action is not possible here"),
        _l("Go back and use the buttons on the page."),
    ),
    413: (
        _l("That upload is too large"),
        _l("Files may be at most %(size)s MB. Make the file smaller and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("For your safety we paused this for a moment. Wait a minute, then try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("We have noted the problem. Please try again in a moment."),
    ),
    503: (
        _l("The shop is very busy right now"),
        _l("Nothing was saved. Please try again in a moment."),
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _minutes_until_retry() -> int:
    """Minutes until the limit that refused this request lets it through again, to the nearest
    minute: a one-minute window's reset time is in whole seconds and can lie a second or two
    past 60 s away, which must still read as "a minute", not "2 minutes"."""
    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, round((current.reset_at - time.time()) / 60))


def render_error(code: int, extra: str | None = None, *, message: str | None = None):
    """The friendly page for `code`; `message` replaces its standard explanation."""
    title, standard = MESSAGES.get(code, MESSAGES[500])
    message = message or standard
    size = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = str(message) % {"size": size} if code == 413 else str(message)
    if code == 429 and (minutes := _minutes_until_retry()) > 1:
        # Longer pauses (a password guesser's hourly limit) say how long.
        message = gettext(
            "For your safety we paused this for a while. Try again in %(minutes)d minutes.",
            minutes=minutes,
        )
    if _wants_json():
        return jsonify({"error": str(title), "status": code}), code
    return render_template(
        "errors/error.html", code=code, title=title, message=message, extra=extra
    ), code


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400)

    @app.errorhandler(DatabaseBusy)
    def busy(error: DatabaseBusy):
        return render_error(503)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code not in MESSAGES:
            return error
        return render_error(code)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS") is not False:
            raise error  # let the test show the real traceback
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(InternalServerError.code)
