"""Language choice: Bahasa Indonesia first, English second."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    """Chosen language (cookie, then the account's), else Indonesian.

    The browser's Accept-Language is ignored on purpose: the shop speaks Indonesian to everyone
    until they pick English, whatever language their phone is set to.
    """
    if not has_request_context():  # commands and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = getattr(g, "lang_override", None) or request.cookies.get(LANG_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen  # without loading the account
    signed_in = current_user and current_user.is_authenticated
    return language_from(current_user.locale if signed_in else None)


def language_from(*choices: str | None) -> str:
    """The first of `choices` the shop speaks, else its default language: the rule of
    `select_locale`, also for the kept-page keys (shop/page_cache.py, shop/front_door.py)."""
    languages = current_app.config["LANGUAGES"]
    for choice in choices:
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def localized(indonesian: str, english: str | None) -> str:
    """Pick the English text of a bilingual field when English is chosen and it exists."""
    if english and current_language() == "en":
        return english
    return indonesian


def message_parts(message) -> tuple[str, dict]:
    """A `lazy_gettext` string's English source and its values, to keep and word later in any
    language (`gettext(source) % values`); any other text is its own source, with no values."""
    if isinstance(message, LazyString) and message._func is gettext and len(message._args) == 1:
        return message._args[0], dict(message._kwargs)
    return str(message), {}


def english(message) -> str:
    """The English text of a lazy string, for logs and records that must read the same whoever
    looks (the sources are English and the `en` catalogue is empty); works outside a request."""
    source, values = message_parts(message)
    return source % values if values else source
