"""Periods (week, month, quarter) computed in the member's own calendar, and calendar arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class PeriodChoice:
    """The period a report covers for each member.

    ``unit`` None is the member's own period (week, month or quarter); otherwise a calendar week,
    month or quarter for everybody. ``offset`` counts periods back from the one containing the
    member's today (0 current, -1 previous). ``fixed`` names one period outright (``2026-11``,
    ``2026-Q4``), the same days for everybody."""

    unit: str | None = None
    offset: int = 0
    fixed: tuple[date, date] | None = None

    def bounds(self, member_period: str, today: date) -> tuple[date, date]:
        """First and last day of the chosen period for a member whose period is ``member_period``
        and whose calendar says ``today``."""
        if self.fixed is not None:
            return self.fixed
        start, end = period_bounds(self.unit or member_period, today)
        for _ in range(-self.offset):
            start, end = period_bounds(self.unit or member_period, start - timedelta(days=1))
        return start, end


CURRENT = PeriodChoice()


def month_of(year: int, month: int) -> tuple[date, date]:
    """The days of a calendar month (ValueError for a month that does not exist)."""
    return period_bounds("month", date(year, month, 1))


def quarter_of(year: int, quarter: int) -> tuple[date, date]:
    """The days of a calendar quarter, 1 to 4 (ValueError otherwise)."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"no quarter {quarter}")
    return period_bounds("quarter", date(year, 3 * quarter - 2, 1))
