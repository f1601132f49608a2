"""Periods (week, month, quarter) computed in the member's own calendar, and calendar arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

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


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, kept within the month (31 January + 1 → 28 or 29
    February); raises ``ValueError`` beyond the calendar (before year 1 or after 9999)."""
    try:
        return day + relativedelta(months=months)
    except OverflowError as error:  # relativedelta's own arithmetic overflowed: far beyond year 9999
        raise ValueError(f"{day} + {months} months is beyond the calendar") from error


def utc_bounds(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local days from ``first_day`` to ``last_day`` in ``zone`` as a half-open UTC interval
    [first day 00:00 local, the day after the last 00:00 local), to compare with UTC instants."""
    start = datetime.combine(first_day, time.min, tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return start, end
