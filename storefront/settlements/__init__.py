"""Vendor settlements: commission rates, periods, statements, payouts and reconciliation."""
