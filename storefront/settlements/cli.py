"""`flask verify-books`: run it daily, beside `flask verify-ledger`; it proves DESIGN
invariant 12 (settlements/books.py says what it checks)."""

from __future__ import annotations

import click

from storefront.money import format_rupiah
from storefront.settlements import bp
from storefront.settlements.books import verify_books


@bp.cli.command("verify-books")
def verify_books_command() -> None:
    """Check that every vendor's money adds up and every statement still holds. Exit 1 if not."""
    results = verify_books()
    wrong = [books for books in results if books.problems]
    earned = sum(books.earned for books in results)
    if not wrong:
        click.echo(
            f"Checked {len(results)} vendors: the books balance "
            f"({format_rupiah(earned)} earned by vendors in all)."
        )
        return
    click.echo(f"Checked {len(results)} vendors: {len(wrong)} do not balance.", err=True)
    for books in wrong:
        click.echo(f"  vendor {books.vendor_id} ({books.name}):", err=True)
        for problem in books.problems:
            click.echo(f"    - {problem}", err=True)
    click.echo(
        "Statements change only through storefront.settlements.services; a closed statement is "
        "never edited: find what wrote these rows, and correct through the next statement.",
        err=True,
    )
    raise SystemExit(1)
