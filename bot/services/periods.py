"""Periods (week, month, quarter) computed in the member's own calendar."""

from __future__ import annotations

from datetime import date, timedelta

PERIODS = ("week", "month", "quarter")


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """First and last day of the ``period`` that contains ``day``."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        end_month = first_month + 2
    elif period == "month":
        start = date(day.year, day.month, 1)
        end_month = day.month
    else:
        raise ValueError(f"unknown period {period!r}")
    next_month_first = date(day.year + (end_month // 12), end_month % 12 + 1, 1)
    return start, next_month_first - timedelta(days=1)
