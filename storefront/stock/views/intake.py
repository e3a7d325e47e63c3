"""Manager pages for intake: receive a vendor's delivery, print the nota titip and the labels."""

from __future__ import annotations

import uuid

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.catalog import variants
from storefront.catalog.models import Product, ProductVariant
from storefront.clock import shop_zone, today_wib
from storefront.dates import date_text
from storefront.extensions import db
from storefront.forms import flash_error, form_error
from storefront.navigation import page_number
from storefront.stock import bp, documents, intake, price_labels
from storefront.stock.forms import IntakeForm, line_choice, parse_line_choice
from storefront.templating import outlet
from storefront.vendors.models import Vendor, VendorStatus


def _approved_vendor(raw) -> Vendor | None:
    vendor_id = int(raw) if str(raw or "").isdigit() else None
    vendor = db.session.get(Vendor, vendor_id) if vendor_id else None
    return vendor if vendor is not None and vendor.status == VendorStatus.APPROVED else None


def _code_map(products) -> dict[str, dict]:
    """What the page's script adds for a scanned code: the line's select value; "sizes" for
    the code of a product sold in sizes (the server splits it into a line per size)."""
    codes: dict[str, dict] = {}
    for product in products:
        if not product.has_options:
            codes[product.code.upper()] = {"id": line_choice(product), "name": product.name}
            continue
        codes[product.code.upper()] = {
            "id": line_choice(product),
            "name": product.name,
            "sizes": True,
        }
        for variant in product.active_variants:
            codes[variant.code.upper()] = {
                "id": line_choice(product, variant),
                "name": variant.display_name(),
            }
    return codes


def _render_lines(form: IntakeForm, vendor: Vendor, products, status: int = 200, **extra):
    code_map = _code_map(products)
    page = render_template(
        "stock/intake/lines.html",
        form=form,
        vendor=vendor,
        products=products,
        code_map=code_map,
        **extra,
    )
    return page, status


@bp.route("/manage/stock/intake", methods=["GET"])
@role_required(Role.MANAGER)
def intake_start():
    raw_vendor = request.args.get("vendor_id")
    vendor = _approved_vendor(raw_vendor)
    if vendor is None:
        if raw_vendor:
            flash(_("Choose an approved vendor."), "error")
        results, totals = intake.recent_receipts(page_number())
        return render_template(
            "stock/intake/start.html",
            vendors=intake.approved_vendors(),
            results=results,
            totals=totals,
        )
    products = intake.vendor_products(vendor.id)
    form = IntakeForm(
        formdata=None, data={"vendor_id": vendor.id, "submission_key": uuid.uuid4().hex}
    )
    form.set_products(products)
    return _render_lines(form, vendor, products)


def _scan(form: IntakeForm, vendor: Vendor, products) -> str | None:
    """Add one unit of the scanned product or size (a new line or one more on its line). The
    code of a product sold in sizes puts it on a line that `_split_sizes` then splits."""
    code = (form.scan.data or "").strip()
    if not code:
        return None
    found = variants.find_by_code(code)
    variant = found if isinstance(found, ProductVariant) else None
    product = variant.product if variant is not None else found
    own = {p.id for p in products}
    if product is None or product.id not in own:
        if product is not None and product.vendor_id != vendor.id:
            message = _(
                "%(product)s (%(code)s) belongs to %(other)s, not to %(vendor)s.",
                product=product.name,
                code=product.code,
                other=product.vendor.name,
                vendor=vendor.name,
            )
        else:
            message = _(
                "No approved product of %(vendor)s has the code %(code)s.",
                vendor=vendor.name,
                code=code,
            )
        form.scan.errors = [message]
        return None
    key = line_choice(product, variant if product.has_options else None)
    row = next((r for r in form.lines if r.product.data == key), None)
    if row is None:
        row = next((r for r in form.lines if r.form.is_blank()), None)
    if row is None:
        form.add_rows(1)
        row = form.lines[-1]
    form.scan.data = ""
    if product.has_options and variant is None:
        row.product.data = key
        return None
    quantity = (row.quantity.data or 0) + 1 if row.product.data == key else 1
    row.product.data = key
    row.code.data = ""
    row.quantity.data = quantity
    row.quantity.raw_data = [str(quantity)]
    name = variant.display_name() if variant is not None else product.name
    return _("%(product)s: %(quantity)d", product=name, quantity=quantity)


def _split_sizes(form: IntakeForm, products) -> list[str]:
    """Lines naming a product sold in sizes without a size become one line per size not on
    the receipt yet (batch code and dates copied, quantity left to fill in): a manager
    receiving 12 pairs in 4 sizes picks the sandal once and types four quantities.
    Returns the names of the products split."""
    by_id = {p.id: p for p in products}
    rows = [{f.short_name: (f.data, f.raw_data) for f in row.form} for row in form.lines]
    chosen = {parse_line_choice(r["product"][0]) for r in rows}
    out, split = [], []
    for data in rows:
        product_id, variant_id = parse_line_choice(data["product"][0])
        product = by_id.get(product_id)
        if product is None or variant_id is not None or not product.has_options:
            out.append(data)
            continue
        split.append(product.name)
        for variant in product.active_variants:
            if (product.id, variant.id) not in chosen:
                value = line_choice(product, variant)
                out.append({**data, "product": (value, [value]), "quantity": (None, [])})
    if not split:
        return []
    form.add_rows(len(out) - len(form.lines))
    for index, row in enumerate(form.lines):
        data = out[index] if index < len(out) else {}
        for f in row.form:
            f.data, f.raw_data = data.get(f.short_name, (None, []))
            f.errors = []
    return split


def _collect_lines(form: IntakeForm) -> tuple[list[intake.IntakeLine], list[int]] | None:
    """The filled-in rows as service lines, and which row each came from; None on a row error."""
    lines, rows, ok = [], [], True
    for index, row in enumerate(form.lines):
        if row.form.is_blank():
            continue
        product_id, variant_id = parse_line_choice(row.product.data)
        code = (row.code.data or "").strip()
        if product_id is None and code:
            found = variants.find_by_code(code)
            if isinstance(found, Product):
                row.code.errors = [
                    _(
                        "%(product)s comes in sizes or colours: type the code of the size.",
                        product=found.name,
                    )
                ]
                ok = False
                continue
            if found is None:
                row.code.errors = [_("No product has the code %(code)s.", code=code)]
                ok = False
                continue
            product_id = found.product_id
            variant_id = found.id if found.product.has_options else None
        if product_id is None:
            row.product.errors = [_("Choose a product or type its code.")]
            ok = False
            continue
        if row.quantity.data is None:
            row.quantity.errors = [_("Enter the quantity.")]
            ok = False
            continue
        lines.append(
            intake.IntakeLine(
                product_id=product_id,
                quantity=row.quantity.data,
                batch_code=(row.batch_code.data or "").strip(),
                produced_on=row.produced_on.data,
                expires_on=row.expires_on.data,
                variant_id=variant_id,
            )
        )
        rows.append(index)
    return (lines, rows) if ok else None


def _sizes_notice(split: list[str]) -> str:
    return _(
        "Enter the quantity of each size or colour of %(products)s.", products=", ".join(split)
    )


@bp.route("/manage/stock/intake", methods=["POST"])
@role_required(Role.MANAGER)
def intake_submit():
    form = IntakeForm()
    vendor = _approved_vendor(form.vendor_id.data)
    if vendor is None:
        flash(_("Choose an approved vendor."), "error")
        return redirect(url_for("stock.intake_start"))
    products = intake.vendor_products(vendor.id)
    form.set_products(products)
    action = request.form.get("action", "scan")

    if action == "more":
        split = _split_sizes(form, products)
        form.add_rows()
        notice = _sizes_notice(split) if split else None
        return _render_lines(form, vendor, products, notice=notice)
    if action != "confirm":
        scanned = _scan(form, vendor, products)
        split = _split_sizes(form, products)
        notice = _sizes_notice(split) if split else None
        return _render_lines(form, vendor, products, scanned=scanned, notice=notice)

    existing = intake.receipt_by_key(form.submission_key.data or "")
    if existing is not None:
        flash(_("This delivery was already received as %(number)s.", number=existing.number))
        return redirect(url_for("stock.intake_receipt", receipt_id=existing.id))
    if not form.validate_on_submit():
        return _render_lines(form, vendor, products, 400)
    split = _split_sizes(form, products)
    if split:
        return _render_lines(form, vendor, products, 400, notice=_sizes_notice(split))
    collected = _collect_lines(form)
    if collected is None:
        return _render_lines(form, vendor, products, 400, line_errors=True)
    lines, rows = collected
    try:
        receipt = intake.create_intake(
            vendor.id,
            lines,
            actor=current_user,
            submission_key=form.submission_key.data,
            delivered_by=form.delivered_by.data or "",
            note=form.note.data or "",
        )
    except intake.IntakeError as exc:
        if exc.line is not None:
            form_error(form.lines[rows[exc.line]], exc, default="product")
            return _render_lines(form, vendor, products, 400, line_errors=True)
        flash_error(exc)
        return _render_lines(form, vendor, products, 400)
    flash(_("Goods received: intake receipt %(number)s.", number=receipt.number), "success")
    for batch, left in intake.short_shelf_life(receipt.batches, today_wib()):
        flash(
            _(
                "%(product)s (batch %(batch)s) arrived with only %(left)d%% of its shelf life "
                "left (expires %(date)s).",
                product=batch.product.name,
                batch=batch.code or "—",
                left=left,
                date=date_text(batch.expires_on),
            ),
            "warning",
        )
    return redirect(url_for("stock.intake_receipt", receipt_id=receipt.id))


def _receipt_or_404(receipt_id: int):
    receipt = intake.get_receipt(receipt_id)
    if receipt is None:
        abort(404)
    return receipt


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/manage/stock/intake/<int:receipt_id>")
@role_required(Role.MANAGER)
def intake_receipt(receipt_id: int):
    receipt = _receipt_or_404(receipt_id)
    units, value = intake.receipt_total(receipt)
    received_on = receipt.created_at.astimezone(shop_zone()).date()
    short = dict(intake.short_shelf_life(receipt.batches, received_on))
    return render_template(
        "stock/intake/receipt.html", receipt=receipt, units=units, value=value, short=short
    )


@bp.route("/manage/stock/intake/<int:receipt_id>.pdf")
@role_required(Role.MANAGER)
def intake_receipt_pdf(receipt_id: int):
    receipt = _receipt_or_404(receipt_id)
    return _pdf(documents.receipt_pdf(receipt, outlet()), f"{receipt.number}.pdf")


@bp.route("/manage/stock/intake/<int:receipt_id>/labels.pdf")
@role_required(Role.MANAGER)
def intake_labels_pdf(receipt_id: int):
    receipt = _receipt_or_404(receipt_id)
    per_unit = request.args.get("per") != "batch"
    return _pdf(
        documents.labels_pdf(receipt.batches, per_unit=per_unit), f"{receipt.number}-label.pdf"
    )


@bp.route("/manage/stock/price-changes")
@role_required(Role.MANAGER)
def price_changes():
    return render_template(
        "stock/price_changes.html", changes=price_labels.label_changes(), today=today_wib()
    )


@bp.route("/manage/stock/price-changes/<int:change_id>/labels.pdf")
@role_required(Role.MANAGER)
def price_change_labels_pdf(change_id: int):
    """The new labels for the batches on the shelf, at the new price, one per unit left."""
    change = price_labels.change_or_none(change_id)
    if change is None:
        abort(404)
    shelf = price_labels.affected_batches(change)
    per_unit = request.args.get("per") != "batch"
    pdf = documents.labels_pdf(
        [row.batch for row in shelf],
        per_unit=per_unit,
        prices={row.batch.id: row.new_price(change) for row in shelf},
        units={row.batch.id: row.on_hand for row in shelf},
    )
    return _pdf(pdf, f"{change.product.code}-{change.effective_on.isoformat()}-label.pdf")
