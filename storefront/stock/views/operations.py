"""Manager pages for returns, write-offs, stock counts and expiry; the vendor's expiry list."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from storefront.auth.access import role_required
from storefront.auth.models import Role
from storefront.categories import all_categories
from storefront.clock import shop_zone
from storefront.extensions import db
from storefront.forms import flash_error, form_error
from storefront.navigation import page_number
from storefront.stock import bp, markdowns
from storefront.stock import counts as opname
from storefront.stock import operations as ops
from storefront.stock.forms import (
    QUANTITY_PREFIX,
    ConfirmForm,
    CountLineForm,
    MarkdownForm,
    PostCountForm,
    ReturnForm,
    StartCountForm,
    WriteOffForm,
    return_quantities,
)
from storefront.stock.ledger import StockError
from storefront.stock.models import (
    Markdown,
    ReturnNote,
    StockCount,
    StockCountLine,
    StockWriteOff,
)
from storefront.uploads import UploadRejected
from storefront.vendors.access import current_vendor
from storefront.vendors.models import Vendor, VendorStatus
from storefront.vendors.services import is_owner

# --- returns --------------------------------------------------------------------------------


@bp.route("/manage/stock/returns")
@role_required(Role.MANAGER)
def returns():
    return render_template(
        "stock/returns.html",
        vendors=ops.vendors_with_stock(),
        results=ops.recent_returns(page_number()),
    )


def _vendor(vendor_id: int) -> Vendor:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None or vendor.status == VendorStatus.DRAFT:
        abort(404)
    return vendor


@bp.route("/manage/stock/returns/vendor/<int:vendor_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def new_return(vendor_id: int):
    vendor = _vendor(vendor_id)
    rows = ops.vendor_batches(vendor.id)
    form = ReturnForm()
    line_errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        quantities, line_errors = return_quantities(request.form, [r.batch.id for r in rows])
        if form.validate_on_submit() and not line_errors:
            try:
                note = ops.create_return(
                    vendor, current_user, quantities, form.reason.data, form.note.data or ""
                )
            except StockError as exc:
                _field_error(form, exc, line_errors)
            else:
                flash(_("Return note %(number)s is ready to print.", number=note.number), "success")
                return redirect(url_for("stock.return_note", note_id=note.id))
        status = 400
        rows = ops.vendor_batches(vendor.id)
    return (
        render_template(
            "stock/return_form.html",
            vendor=vendor,
            rows=rows,
            form=form,
            line_errors=line_errors,
            typed={k: v for k, v in request.form.items() if k.startswith(QUANTITY_PREFIX)},
        ),
        status,
    )


def _field_error(form, exc: StockError, line_errors: dict[int, str]) -> None:
    """`form_error`, and a batch line's own message beside its quantity (and flashed)."""
    field = exc.field or ""
    if field.startswith(QUANTITY_PREFIX) and field[len(QUANTITY_PREFIX) :].isdigit():
        line_errors[int(field[len(QUANTITY_PREFIX) :])] = str(exc.message)
    form_error(form, exc)


@bp.route("/manage/stock/returns/<int:note_id>")
@role_required(Role.MANAGER)
def return_note(note_id: int):
    note = db.session.get(ReturnNote, note_id)
    if note is None:
        abort(404)
    return render_template(
        "stock/return_note.html",
        note=note,
        lines=ops.return_lines(note),
    )


# --- write-offs -----------------------------------------------------------------------------


@bp.route("/manage/stock/write-offs")
@role_required(Role.MANAGER)
def write_offs():
    query = request.args.get("q", "").strip()[:80]
    return render_template(
        "stock/write_offs.html",
        query=query,
        found=ops.find_batches(query),
        results=ops.recent_write_offs(page_number()),
    )


@bp.route("/manage/stock/write-offs/batch/<int:batch_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def new_write_off(batch_id: int):
    stock = ops.batch_stock(batch_id)
    if stock is None:
        abort(404)
    form = WriteOffForm()
    if request.method == "GET" and request.args.get("kind") in ops.WRITE_OFF_KINDS:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            write_off = ops.record_write_off(
                stock.batch,
                current_user,
                quantity=form.quantity.data,
                kind=form.kind.data,
                reason=form.reason.data,
                responsible=form.responsible.data,
                photo=form.photo.data,
            )
        except UploadRejected as exc:
            form_error(form, exc, default="photo")
        except StockError as exc:
            _field_error(form, exc, {})
        else:
            flash(_("The write-off has been recorded."), "success")
            return redirect(url_for("stock.write_off", write_off_id=write_off.id))
        stock = ops.batch_stock(batch_id)
    status = 400 if request.method == "POST" else 200
    return render_template("stock/write_off_form.html", stock=stock, form=form), status


@bp.route("/manage/stock/write-offs/<int:write_off_id>")
@role_required(Role.MANAGER)
def write_off(write_off_id: int):
    record = db.session.get(StockWriteOff, write_off_id)
    if record is None:
        abort(404)
    return render_template("stock/write_off.html", record=record)


# --- stock counts ---------------------------------------------------------------------------


def _start_form() -> StartCountForm:
    vendors = db.session.scalars(
        select(Vendor).where(Vendor.status != VendorStatus.DRAFT).order_by(Vendor.name)
    ).all()
    return StartCountForm(vendors=vendors, categories=all_categories())


def _count_list() -> dict:
    results = opname.recent_counts(page_number())
    return {
        "results": results,
        "progress": opname.count_progress(c.id for c in results.items),
        "scope_label": opname.count_scope_label,
    }


@bp.route("/manage/stock/counts")
@role_required(Role.MANAGER)
def counts():
    return render_template(
        "stock/counts.html",
        form=_start_form(),
        **_count_list(),
    )


@bp.route("/manage/stock/counts/start", methods=["POST"])
@role_required(Role.MANAGER)
def start_count():
    form = _start_form()
    if form.validate_on_submit():
        scope_id = {"vendor": form.vendor_id.data, "category": form.category_id.data}.get(
            form.scope.data
        )
        try:
            count = opname.start_count(current_user, form.scope.data, scope_id)
        except StockError as exc:
            _field_error(form, exc, {})
        else:
            flash(
                _("The count has started: %(n)d batches to count.", n=len(count.lines)), "success"
            )
            return redirect(url_for("stock.count", count_id=count.id))
    return (
        render_template(
            "stock/counts.html",
            form=form,
            **_count_list(),
        ),
        400,
    )


def _count(count_id: int) -> StockCount:
    count = db.session.get(StockCount, count_id)
    if count is None:
        abort(404)
    return count


@bp.route("/manage/stock/counts/<int:count_id>")
@role_required(Role.MANAGER)
def count(count_id: int):
    count = _count(count_id)
    if count.status != "open":
        return redirect(url_for("stock.count_report", count_id=count.id))
    code = request.args.get("code", "").strip()[:80]
    lines = opname.count_lines(count, code, page_number())
    return render_template(
        "stock/count.html",
        count=count,
        lines=lines,
        code=code,
        scope_label=opname.count_scope_label(count),
        form=CountLineForm(),
        progress=opname.count_progress([count.id]).get(count.id, (0, 0)),
    )


@bp.route("/manage/stock/counts/<int:count_id>/lines/<int:line_id>", methods=["POST"])
@role_required(Role.MANAGER)
def count_line(count_id: int, line_id: int):
    count = _count(count_id)
    line = db.session.get(StockCountLine, line_id)
    if line is None or line.count_id != count.id:
        abort(404)
    form = CountLineForm()
    back = url_for("stock.count", count_id=count.id, code=request.form.get("code") or None)
    if not form.validate_on_submit():
        flash(" ".join(form.counted.errors) or _("Enter the quantity you counted."), "error")
        return redirect(back)
    try:
        opname.record_counted(line, current_user, form.counted.data)
    except StockError as exc:
        flash_error(exc)
        return redirect(back)
    flash(
        _(
            "Saved: %(product)s, %(n)d counted.",
            product=line.batch.product.name,
            n=form.counted.data,
        ),
        "success",
    )
    return redirect(back)


@bp.route("/manage/stock/counts/<int:count_id>/differences")
@role_required(Role.MANAGER)
def count_differences(count_id: int):
    count = _count(count_id)
    if count.status != "open":
        return redirect(url_for("stock.count_report", count_id=count.id))
    return _differences_page(count)


def _differences_page(count: StockCount, form: PostCountForm | None = None, status: int = 200):
    return (
        render_template(
            "stock/differences.html",
            count=count,
            rows=opname.differences(count),
            scope_label=opname.count_scope_label(count),
            form=form or PostCountForm(),
            cancel_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("/manage/stock/counts/<int:count_id>/post", methods=["POST"])
@role_required(Role.MANAGER)
def post_count(count_id: int):
    count = _count(count_id)
    form = PostCountForm()
    if count.status == "open" and not form.validate_on_submit():
        return _differences_page(count, form, 400)
    try:
        movements = opname.post_count(
            count, current_user, form.reason.data, form.responsible.data or None
        )
    except StockError as exc:
        flash_error(exc)
        if count.status != "open":
            return redirect(url_for("stock.count_report", count_id=count.id))
        return _differences_page(count, form, 400)
    flash(_("The count is posted: %(n)d corrections.", n=len(movements)), "success")
    return redirect(url_for("stock.count_report", count_id=count.id))


@bp.route("/manage/stock/counts/<int:count_id>/cancel", methods=["POST"])
@role_required(Role.MANAGER)
def cancel_count(count_id: int):
    count = _count(count_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        opname.cancel_count(count, current_user)
    except StockError as exc:
        flash_error(exc)
    else:
        flash(_("The count has been cancelled. Stock was not changed."), "info")
    return redirect(url_for("stock.count_report", count_id=count.id))


@bp.route("/manage/stock/counts/<int:count_id>/report")
@role_required(Role.MANAGER)
def count_report(count_id: int):
    count = _count(count_id)
    return render_template(
        "stock/count_report.html",
        count=count,
        scope_label=opname.count_scope_label(count),
        lines=opname.report_lines(count),
        corrections=opname.count_corrections(count),
    )


# --- expiry ---------------------------------------------------------------------------------


@bp.route("/manage/stock/expiry")
@role_required(Role.MANAGER)
def expiry():
    listing = ops.expiry_list()
    return render_template(
        "stock/expiry.html",
        listing=listing,
        manager_view=True,
        marked=_marked(listing),
        end_form=ConfirmForm(),
    )


def _marked(listing) -> dict:
    """The listed batches' markdowns in force, by batch id."""
    rows = [*listing.expired, *listing.expiring]
    return markdowns.active_markdowns(row.batch.id for row in rows)


@bp.route("/vendor/stock/expiry")
@role_required(Role.VENDOR)
def vendor_expiry():
    vendor = current_vendor()
    listing = ops.expiry_list(vendor_id=vendor.id)
    return render_template(
        "stock/expiry.html",
        listing=listing,
        marked=_marked(listing),
        manager_view=False,
        vendor=vendor,
        is_owner=is_owner(current_user, vendor),
    )


# --- near-expiry markdowns ------------------------------------------------------------------


def _agreed_at(value: datetime | None) -> datetime | None:
    """The form's local date and time, read in the shop's zone."""
    return value.replace(tzinfo=shop_zone()) if value is not None else None


@bp.route("/manage/stock/batches/<int:batch_id>/markdown", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def new_markdown(batch_id: int):
    stock = ops.batch_stock(batch_id)
    if stock is None:
        abort(404)
    form = MarkdownForm()
    if request.method == "GET":
        form.agreed_at.data = datetime.now(shop_zone()).replace(
            second=0, microsecond=0, tzinfo=None
        )
    if form.validate_on_submit():
        terms = markdowns.MarkdownTerms(
            percent_bp=form.percent.data,
            bearer=form.bearer.data,
            vendor_part_bp=form.vendor_part.data,
            agreed_by=form.agreed_by.data or "",
            agreed_at=_agreed_at(form.agreed_at.data),
            agreed_via=form.agreed_via.data or "",
            note=form.note.data or "",
        )
        try:
            markdowns.mark_down(stock.batch, current_user, terms)
        except markdowns.MarkdownError as exc:
            form_error(form, exc, default="percent")
        else:
            flash(
                _("The batch is marked down: the shop and the till charge the new price."),
                "success",
            )
            return redirect(url_for("stock.expiry"))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "stock/markdown_form.html",
            stock=stock,
            form=form,
            current=markdowns.active_markdown(batch_id),
        ),
        status,
    )


@bp.route("/manage/stock/markdowns/<int:markdown_id>/end", methods=["POST"])
@role_required(Role.MANAGER)
def end_markdown(markdown_id: int):
    markdown = db.session.get(Markdown, markdown_id)
    if markdown is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        markdowns.end_markdown(markdown, current_user)
    except markdowns.MarkdownError as exc:
        flash_error(exc)
    else:
        flash(_("The markdown has ended: the batch sells at its list price again."), "success")
    return redirect(url_for("stock.expiry"))
