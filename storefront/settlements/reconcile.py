"""Answering "why was I paid this?": the documents behind each figure of a statement line.

For one product in one statement's period: the online order lines paid in it and the counter
sales rung up in it (both by the lines' `sold_at`, as figures.py counts them; voided sales shown,
not counted), the refunds made in it and every stock movement with its document (intake
receipt, return note, count...).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storefront.clock import utc_bounds
from storefront.extensions import db
from storefront.money import commission_split
from storefront.orders.models import Order, OrderLine, Refund, RefundLine
from storefront.pos.models import CounterSale, CounterSaleLine
from storefront.stock.models import IntakeReceipt, StockMovement


@dataclass
class LineDocuments:
    order_lines: list  # (OrderLine, Order)
    refund_lines: list  # (RefundLine, Refund, OrderLine, Order, commission given back)
    counter_lines: list  # (CounterSaleLine, CounterSale)
    movements: list  # StockMovement
    receipts: dict  # intake receipt id -> number


def line_documents(settlement, product_id: int) -> LineDocuments:
    start, end = utc_bounds(settlement.period_start, settlement.period_end)
    vendor_id = settlement.vendor_id
    order_lines = db.session.execute(
        select(OrderLine, Order)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.vendor_id == vendor_id,
            OrderLine.product_id == product_id,
            OrderLine.sold_at >= start,
            OrderLine.sold_at < end,
        )
        .order_by(OrderLine.sold_at, OrderLine.id)
    ).all()
    refunds = []
    for refund_line, refund, order_line, order in db.session.execute(
        select(RefundLine, Refund, OrderLine, Order)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.vendor_id == vendor_id,
            OrderLine.product_id == product_id,
            Refund.created_at >= start,
            Refund.created_at < end,
        )
        .order_by(Refund.created_at)
    ):
        given_back = -commission_split(-refund_line.amount, order_line.commission_bp)[0]
        refunds.append((refund_line, refund, order_line, order, given_back))
    counter_lines = db.session.execute(
        select(CounterSaleLine, CounterSale)
        .join(CounterSale, CounterSale.id == CounterSaleLine.sale_id)
        .where(
            CounterSaleLine.vendor_id == vendor_id,
            CounterSaleLine.product_id == product_id,
            CounterSaleLine.sold_at >= start,
            CounterSaleLine.sold_at < end,
        )
        .order_by(CounterSaleLine.sold_at, CounterSaleLine.id)
    ).all()
    movements = db.session.scalars(
        select(StockMovement)
        .where(
            StockMovement.vendor_id == vendor_id,
            StockMovement.product_id == product_id,
            StockMovement.created_at >= start,
            StockMovement.created_at < end,
        )
        .order_by(StockMovement.created_at, StockMovement.id)
    ).all()
    receipt_ids = {
        m.reference_id for m in movements if m.reference_type == "intake_receipt" and m.reference_id
    }
    receipts = (
        dict(
            db.session.execute(
                select(IntakeReceipt.id, IntakeReceipt.number).where(
                    IntakeReceipt.id.in_(receipt_ids)
                )
            ).all()
        )
        if receipt_ids
        else {}
    )
    return LineDocuments(order_lines, refunds, counter_lines, movements, receipts)
