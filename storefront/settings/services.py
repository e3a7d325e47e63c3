"""Read and write shop settings. A setting not stored yet has its registry default.

Every worker reads the settings from the database once per request (memoised on `g`), never
from a copy kept in its memory: a change made on one worker is what the next request on any
other worker sees. Each change also bumps `settings_version`, which the page cache puts in its
keys, so a cached catalogue page never shows an old opening time or WhatsApp number.
"""

from __future__ import annotations

import uuid

from flask import g, has_app_context
from sqlalchemy import select

from storefront import audit
from storefront.extensions import db
from storefront.settings.models import Setting
from storefront.settings.registry import (
    DEFAULTS,
    REGISTRY,
    InvalidSettingValue,
    Validation,
    validate,
)

__all__ = [
    "DEFAULTS",
    "InvalidSettingValue",
    "SettingsRefused",
    "UnknownSetting",
    "get_setting",
    "get_settings",
    "save_settings",
    "set_setting",
    "settings_version",
]

_MEMO = "shop_settings"


class UnknownSetting(KeyError):
    pass


class SettingsRefused(ValueError):
    """Some values were refused; `errors` maps each setting to its message. Nothing changed."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(", ".join(errors))
        self.errors = errors


def _stored() -> dict[str, str]:
    """Every stored setting, read once per request (one small table, one query)."""
    memo = g.get(_MEMO) if has_app_context() else None
    if memo is not None:
        return memo
    values = dict(db.session.execute(select(Setting.key, Setting.value)).tuples().all())
    if has_app_context():
        setattr(g, _MEMO, values)
    return values


def get_setting(key: str) -> str:
    if key not in DEFAULTS:
        raise UnknownSetting(key)
    return _stored().get(key, DEFAULTS[key])


def get_settings(*keys: str) -> dict[str, str]:
    """Several settings at once (the page layout needs a handful on every page)."""
    for key in keys:
        if key not in DEFAULTS:
            raise UnknownSetting(key)
    stored = _stored()
    return {key: stored.get(key, DEFAULTS[key]) for key in keys}


def settings_version() -> str:
    return get_setting("settings_version")


def set_setting(key: str, value: str) -> None:
    """Store a setting as given (the shop's own writes: demo data, tests); the caller commits.
    People change settings through `save_settings`, which validates and audits."""
    if key not in DEFAULTS:
        raise UnknownSetting(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    if has_app_context():
        # Read again, from this transaction, the next time a setting is asked for.
        g.pop(_MEMO, None)


def save_settings(actor, typed: dict[str, object]) -> dict[str, tuple[str, str]]:
    """Validate everything typed and store what changed, with one audit entry (before and
    after) for the lot; the caller commits. Returns {key: (before, after)} of the changes.
    Raises SettingsRefused, changing nothing, when any value is refused."""
    checked: Validation = validate(typed)
    if checked.errors:
        raise SettingsRefused(checked.errors)
    current = get_settings(*checked.values)
    changes = {
        key: (current[key], value) for key, value in checked.values.items() if value != current[key]
    }
    if not changes:
        return {}
    for key, (_before, after) in changes.items():
        set_setting(key, after)
    # A new random version rather than a counter: two admins saving at once cannot both
    # write the same next number, so every change gives the page cache new keys.
    set_setting("settings_version", uuid.uuid4().hex)
    db.session.flush()
    audit.record(
        actor,
        "settings.change",
        db.session.get(Setting, next(iter(changes))),
        before={key: before for key, (before, _after) in changes.items()},
        after={key: after for key, (_before, after) in changes.items()},
    )
    return changes


def definition(key: str):
    if key not in REGISTRY:
        raise UnknownSetting(key)
    return REGISTRY[key]
