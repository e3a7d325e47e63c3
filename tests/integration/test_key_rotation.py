"""`flask rotate-field-keys`: the encrypted fields (NIK, NPWP, bank account) re-encrypted with
the new first key, so the old key can be dropped."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Text, select, update
from sqlalchemy.sql.expression import type_coerce

from storefront.extensions import db
from storefront.vendors.models import Vendor
from tests.conftest import make_app
from tests.factories import VendorFactory

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def app_config():
    return {"FIELD_ENCRYPTION_KEYS": OLD}


def stored_tokens() -> list[tuple]:
    columns = (Vendor.owner_nik, Vendor.npwp, Vendor.bank_account)
    query = select(*(type_coerce(c, Text) for c in columns)).order_by(Vendor.id)
    return [tuple(row) for row in db.session.execute(query)]


def run(app, database_url, tmp_path, keys: str):
    """`flask rotate-field-keys` on an app started with `keys` (its own app context: the
    command would otherwise run in the test's, with the old keys)."""
    rotating = make_app(database_url, tmp_path / keys[:8], FIELD_ENCRYPTION_KEYS=keys)
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["rotate-field-keys"])
        db.session.remove()
        db.engine.dispose()
    return result


def test_rotation_re_encrypts_every_field_with_the_new_key(app, ctx, database_url, tmp_path):
    VendorFactory(owner_nik="3603123456780001", npwp="012345678901234", bank_account="1234567")
    VendorFactory(owner_nik="3603123456780002")  # NPWP and bank left empty
    db.session.commit()
    before = stored_tokens()

    result = run(app, database_url, tmp_path, f"{NEW},{OLD}")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 4 value(s)" in result.output

    db.session.expire_all()
    after = stored_tokens()
    assert after[1][1:] == (None, None)
    new_only = Fernet(NEW)
    for old_row, new_row in zip(before, after, strict=True):
        for old_token, new_token in zip(old_row, new_row, strict=True):
            if old_token is None:
                continue
            assert new_token != old_token
            # The new key alone opens it: the old one can go.
            assert new_only.decrypt(new_token.encode()) == Fernet(OLD).decrypt(old_token.encode())
    with make_app(database_url, tmp_path / "new", FIELD_ENCRYPTION_KEYS=NEW).app_context():
        niks = db.session.scalars(select(Vendor.owner_nik).order_by(Vendor.id)).all()
        assert niks == ["3603123456780001", "3603123456780002"]
        db.session.remove()
        db.engine.dispose()


def test_a_value_no_key_opens_stops_the_rotation_and_changes_nothing(
    app, ctx, database_url, tmp_path
):
    VendorFactory(owner_nik="3603123456780001")
    stranger_id = VendorFactory(owner_nik="3603123456780002").id
    db.session.commit()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"3603000000000000").decode()
    db.session.execute(
        update(Vendor).where(Vendor.id == stranger_id).values(owner_nik=type_coerce(foreign, Text))
    )
    db.session.commit()
    before = stored_tokens()

    result = run(app, database_url, tmp_path, f"{NEW},{OLD}")
    assert result.exit_code == 1
    assert f"vendors.owner_nik of row {stranger_id}" in result.output
    assert "nothing changed" in result.output
    db.session.expire_all()
    assert stored_tokens() == before
