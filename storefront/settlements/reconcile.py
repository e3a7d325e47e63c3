"""Answering "why was I paid this?": the documents behind each figure of a statement line.

For one product in one statement's period: the online order lines paid in it and the counter
sales rung up in it (both by the lines' `sold_at`, as figures.py counts them), the refunds
confirmed in it and the counter sales voided in it (the same queries figures.py sums), and every
stock movement with its document (intake receipt, return note, count...).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storefront.clock import utc_bounds
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, Refund, RefundLine
from storefront.pos.models import CounterSale, CounterSaleLine
from storefront.settlements.figures import refund_lines_of_period, void_lines_of_period
from storefront.stock.models import IntakeReceipt, StockMovement


@dataclass
class LineDocuments:
    order_lines: list  # (OrderLine, Order)
    refund_lines: list  # (RefundLine, Refund, OrderLine, Order), confirmed in the period
    void_lines: list  # (CounterSaleLine, CounterSale), voided in the period
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
    refunds = [
        (refund_line, refund, order_line, order_line.order)
        for refund_line, refund, order_line in db.session.execute(
            refund_lines_of_period(start, end, [vendor_id])
            .where(OrderLine.product_id == product_id)
            .order_by(Refund.confirmed_at, RefundLine.id)
        )
    ]
    voids = db.session.execute(
        void_lines_of_period(start, end, [vendor_id])
        .where(CounterSaleLine.product_id == product_id)
        .order_by(CounterSale.voided_at, CounterSaleLine.id)
    ).all()
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
    return LineDocuments(order_lines, refunds, voids, counter_lines, movements, receipts)
