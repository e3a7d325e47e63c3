"""`flask create-admin` and `flask seed-demo`."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.auth.models import Role, User
from storefront.catalog.models import Product
from storefront.categories import Category
from storefront.extensions import db
from storefront.vendors.models import Vendor


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_admin_asks_for_the_password_twice(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Kepala@Example.com", "--name", "Kepala Gerai"],
        input="sandi-admin-123\nsandi-admin-123\n",
    )
    assert result.exit_code == 0, result.output
    assert "kepala@example.com created" in result.output
    user = db.session.scalar(select(User))
    assert user.role == Role.ADMIN
    assert user.check_password("sandi-admin-123")
    assert "sandi-admin-123" not in result.output


def test_create_admin_has_no_password_option(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "a@example.com", "--name", "A", "--password", "x"]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output
    assert count(User) == 0


def test_create_admin_refuses_a_short_password(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "a@example.com", "--name", "A"],
        input="pendek\npendek\n",
    )
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output
    assert count(User) == 0


def test_create_admin_refuses_an_existing_email(app, ctx):
    runner = app.test_cli_runner()
    args = ["create-admin", "--email", "a@example.com", "--name", "A"]
    assert runner.invoke(args=args, input="sandi-admin-1\nsandi-admin-1\n").exit_code == 0
    args[2] = "A@EXAMPLE.COM"
    result = runner.invoke(args=args, input="sandi-admin-2\nsandi-admin-2\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count(User) == 1


def test_create_admin_refuses_a_malformed_email(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "bukan-email", "--name", "A"],
        input="sandi-admin-1\nsandi-admin-1\n",
    )
    assert result.exit_code == 1
    assert "not a valid email" in result.output
    assert count(User) == 0


def test_seed_demo_is_idempotent(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (count(User), count(Vendor), count(Product), count(Category))
    assert counts[1] >= 5 and counts[2] >= 10 and counts[3] == 4
    assert "manajer@example.com" in first.output

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (count(User), count(Vendor), count(Product), count(Category)) == counts
    assert "0 accounts, 0 vendors, 0 products, 0 categories, 0 stock batches added" in second.output


def test_seed_demo_first_time_only_leaves_a_seeded_database_alone(app, ctx):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", "--first-time"])
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    db.session.delete(admin)
    db.session.commit()

    result = runner.invoke(args=["seed-demo", "--first-time"])
    assert "loaded before" in result.output
    assert db.session.scalar(select(User).where(User.email == "admin@example.com")) is None


def test_seed_demo_refuses_production(app, ctx):
    app.config["STOREFRONT_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "refusing" in result.output
    assert count(Product) == 0


def test_demo_stock_goes_through_the_ledger(app, ctx):
    from storefront.stock.ledger import available_quantity, verify_ledger

    app.test_cli_runner().invoke(args=["seed-demo"])
    product = db.session.scalar(select(Product).where(Product.code == "GTG0002"))
    assert available_quantity(product.id) == 24
    checked, mismatches = verify_ledger()
    # 14 products without options, and a batch per stocked size/colour of the sandal (5)
    # and the batik shirt (5).
    assert checked == 24 and mismatches == []


def test_demo_has_a_sandal_in_sizes_and_a_batik_shirt_in_sizes_and_colours(app, ctx):
    from storefront.catalog.models import PermitKind
    from storefront.settlements.books import verify_books
    from storefront.stock.ledger import variant_quantities, verify_ledger

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    sandal = db.session.scalar(select(Product).where(Product.name == "Sandal Kulit"))
    assert sandal.category.slug == "alas-kaki" and sandal.status == "approved"
    assert [o.name for o in sandal.options] == ["Ukuran"]
    stock = variant_quantities([sandal.id])
    on_shelf = {v.label: stock.get(v.id, 0) for v in sandal.active_variants}
    assert on_shelf == {"38": 2, "39": 3, "40": 4, "41": 3, "42": 1, "43": 0}
    # Leather is animal-derived: sellable only with its halal certificate.
    assert sandal.animal_derived and PermitKind.HALAL.value in {p.kind for p in sandal.permits}
    assert sandal.size_guide.startswith("Ukuran|") and sandal.photos

    shirt = db.session.scalar(select(Product).where(Product.name.like("Kemeja Batik Motif%")))
    assert shirt.category.slug == "busana-batik" and shirt.photos and shirt.size_guide
    prices = {v.label: v.current_price for v in shirt.active_variants}
    assert len(prices) == 8 and prices["M / Merah"] == shirt.price
    assert prices["XL / Biru"] == prices["XL / Merah"] == shirt.price + 10_000
    assert all(v.sellable for v in shirt.active_variants)
    stock = variant_quantities([shirt.id])
    assert {v.label for v in shirt.active_variants if stock.get(v.id)} == {
        "S / Biru",
        "M / Biru",
        "L / Biru",
        "XL / Biru",
        "M / Merah",
    }

    assert verify_ledger()[1] == []
    assert all(not books.problems for books in verify_books())
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "0 products" in again.output and "0 stock batches" in again.output


def test_demo_products_are_in_indonesian_and_visible(app, client, ctx):
    app.test_cli_runner().invoke(args=["seed-demo"])
    page = client.get("/search?q=keripik+pedas").get_data(as_text=True)
    assert "Keripik Singkong Pedas Level 5" in page
    assert "Rp15.000" in page
