"""`flask backup` and `flask restore`: a backup taken from a shop with stock and an order,
restored into a fresh database, gives the same shop back, whose ledger (and books) verify."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import func, select

from storefront.backups import BackupError, make_backup, restore_backup
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.stock.ledger import available_quantity
from storefront.stock.models import StockMovement
from storefront.vendors.models import Vendor
from tests.conftest import Client, make_app
from tests.factories import ProductFactory, VendorFactory
from tests.integration.test_checkout import CHECKOUT
from tests.stock_helpers import receive


def a_shop_with_an_order(app) -> int:
    """A vendor with an (encrypted) NIK, a product with 12 received, an order holding 3."""
    maker = VendorFactory(name="Dapur Nyai", owner_nik="3603123456780001")
    product = ProductFactory(name="Sambal Roa Cikupa", price=38_000, vendor=maker)
    receive(product, 12)
    product_id = product.id
    db.session.commit()
    client = Client(app.test_client())
    client.post("/cart/add", data={"product_id": product_id, "quantity": "3"})
    placed = client.post_form("/checkout", CHECKOUT)
    assert "/orders/GTG-" in placed.headers["Location"]
    return product_id


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Vendor, Order, StockMovement)
    )


def verify(app) -> None:
    runner = app.test_cli_runner()
    for command in ("verify-ledger", "verify-books"):
        if command in app.cli.commands:  # verify-books arrives with the books
            result = runner.invoke(args=[command])
            assert result.exit_code == 0, result.output


def test_a_backup_restored_into_a_fresh_database_is_the_same_shop(
    app, ctx, tmp_path, empty_database_url
):
    product_id = a_shop_with_an_order(app)
    before = counts()
    backup = make_backup(tmp_path / "backups")
    assert backup.name.startswith("storefront-") and backup.suffix in {".sqlite3", ".dump"}
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    # A second backup in the same second gets its own file, never overwrites the first.
    assert make_backup(tmp_path / "backups") != backup

    fresh = make_app(empty_database_url, tmp_path / "fresh")
    try:
        with fresh.app_context():
            restore_backup(backup)
            assert counts() == before
            assert available_quantity(product_id) == 12 - 3
            # Same keys, so the encrypted NIK reads back.
            assert db.session.scalar(select(Vendor)).owner_nik == "3603123456780001"
            verify(fresh)
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def test_flask_backup_and_restore_ask_before_replacing_the_database(app, ctx, tmp_path):
    a_shop_with_an_order(app)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "--dir", str(tmp_path / "kept")])
    assert made.exit_code == 0, made.output
    backup = next((tmp_path / "kept").iterdir())
    assert str(backup) in made.output and "FIELD_ENCRYPTION_KEYS" in made.output
    db.session.remove()

    ProductFactory(name="Dibuat setelah backup")
    db.session.commit()
    after = counts()
    refused = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert counts() == after  # nothing changed

    done = runner.invoke(args=["restore", str(backup), "--yes"])
    assert done.exit_code == 0, done.output
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    names = db.session.scalars(select(Product.name)).all()
    assert "Dibuat setelah backup" not in names
    verify(app)


@pytest.mark.parametrize("content", [None, b"not a backup at all"])
def test_restoring_a_missing_or_foreign_file_is_refused_and_changes_nothing(
    app, ctx, tmp_path, content
):
    a_shop_with_an_order(app)
    before = counts()
    path = tmp_path / "storefront-x.dump"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BackupError, match=r"No backup file|is not a"):
        restore_backup(path)
    result = app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert counts() == before
