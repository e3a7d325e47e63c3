"""Read and write shop settings. A setting not stored yet has its registry default.

Every worker reads the settings once per request (memoised on `g`), never from a copy kept in
its own memory: a change made on one worker is what the next request on any other worker sees.
With a shared cache (Redis, storefront/cache.py) the settings are read from there, under a
generation that every change replaces after its commit: one purge that reaches every worker
on every machine. Without one they come from the database, one small query. Each change also
bumps `settings_version`, which the page cache puts in its keys, so a cached catalogue page
never shows an old opening time or WhatsApp number.
"""

from __future__ import annotations

import contextlib
import uuid

from flask import g, has_app_context
from sqlalchemy import event, select

from storefront import audit, cache
from storefront.database import after_commit
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
    "bump_catalog_version",
    "get_setting",
    "get_settings",
    "save_settings",
    "set_setting",
    "settings_version",
]

_MEMO = "shop_settings"
_WRITTEN = "shop_settings_written"
_GENERATION_KEY = "settings:generation"
# A kept copy is only ever replaced by a purge; the timeout bounds what a lost purge (Redis
# unreachable at that moment) can leave behind.
_KEEP_SECONDS = 300


class UnknownSetting(KeyError):
    pass


class SettingsRefused(ValueError):
    """Some values were refused; `errors` maps each setting to its message. Nothing changed."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(", ".join(errors))
        self.errors = errors


def _stored() -> dict[str, str]:
    """Every stored setting, read once per request (one small table, one query)."""
    if not has_app_context():
        return _read()
    memo = g.get(_MEMO)
    if memo is not None:
        return memo
    # A transaction that changed a setting reads it back from itself, not from the cache.
    values = _kept() if cache.is_shared() and not g.get(_WRITTEN) else _read()
    setattr(g, _MEMO, values)
    return values


def _read() -> dict[str, str]:
    return dict(db.session.execute(select(Setting.key, Setting.value)).tuples().all())


def _kept() -> dict[str, str]:
    """The settings from the shared cache. The generation is read before the database: a
    request that read the old rows just before a change commits keeps them under the old
    generation, which nobody asks for once the change has purged it."""
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(_GENERATION_KEY, generation, timeout=0)
    key = f"settings:{generation}"
    values = cache.get(key)
    if values is None:
        values = _read()
        cache.set(key, values, timeout=_KEEP_SECONDS)
    return values


def _purge_kept() -> None:
    cache.set(_GENERATION_KEY, uuid.uuid4().hex, timeout=0)


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
        setattr(g, _WRITTEN, True)
        if cache.is_shared():
            after_commit(_purge_kept)


def bump_catalog_version(session) -> None:
    """Give the catalogue a new version in `session`'s transaction (shop/page_cache.py calls it
    from a before_flush hook, where the session may still take changes). Unlike `set_setting`
    it works outside a unit of work too (a command, a test): the kept settings are purged after
    this transaction commits, by SQLAlchemy's own after_commit event."""
    value = uuid.uuid4().hex
    row = session.get(Setting, "catalog_version")
    if row is None:
        session.add(Setting(key="catalog_version", value=value))
    else:
        row.value = value
    if has_app_context():
        g.pop(_MEMO, None)
        setattr(g, _WRITTEN, True)
        if cache.is_shared():
            event.listen(session, "after_commit", _purge_after_commit, once=True)


def _purge_after_commit(session) -> None:
    # Without an app context any more, the kept copy times out instead.
    with contextlib.suppress(RuntimeError):
        _purge_kept()


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
