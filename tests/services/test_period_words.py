"""A report's period in words (``bot.services.period_words``) and its days for a member (``PeriodChoice.bounds``)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.period_words import parse_period
from bot.services.periods import PeriodChoice

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize("text, member_period, days", [
    ("", "week", (date(2026, 11, 23), date(2026, 11, 29))),
    ("current", "quarter", (date(2026, 10, 1), date(2026, 12, 31))),
    ("en cours", "month", (date(2026, 11, 1), date(2026, 11, 30))),
    ("previous", "week", (date(2026, 11, 16), date(2026, 11, 22))),
    ("Précédente", "quarter", (date(2026, 7, 1), date(2026, 9, 30))),
    ("mois dernier", "week", (date(2026, 10, 1), date(2026, 10, 31))),
    ("last month", "quarter", (date(2026, 10, 1), date(2026, 10, 31))),
    ("mois en cours", "week", (date(2026, 11, 1), date(2026, 11, 30))),
    ("trimestre", "week", (date(2026, 10, 1), date(2026, 12, 31))),
    ("QUARTER", "month", (date(2026, 10, 1), date(2026, 12, 31))),
    ("last quarter", "month", (date(2026, 7, 1), date(2026, 9, 30))),
    ("trimestre précédent", "month", (date(2026, 7, 1), date(2026, 9, 30))),
    ("semaine dernière", "month", (date(2026, 11, 16), date(2026, 11, 22))),
    ("2026-11", "week", (date(2026, 11, 1), date(2026, 11, 30))),
    ("2024-2", "week", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2026-Q4", "week", (date(2026, 10, 1), date(2026, 12, 31))),
    ("2026-t1", "week", (date(2026, 1, 1), date(2026, 3, 31))),
    ("Q3 2026", "week", (date(2026, 7, 1), date(2026, 9, 30))),
])
def test_periods_in_words(text, member_period, days):
    choice = parse_period(text)
    assert isinstance(choice, PeriodChoice)
    assert choice.bounds(member_period, MONDAY) == days


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "hier", "mois trimestre", "mois prochain",
                                  "last", "2026", "@bob", "2026-11-01"])
def test_words_that_name_no_period(text):
    assert parse_period(text) is None


def test_the_first_week_of_a_year_goes_back_across_it():
    assert parse_period("previous").bounds("month", date(2027, 1, 4)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert parse_period("semaine dernière").bounds("month", date(2027, 1, 1)) == (date(2026, 12, 21), date(2026, 12, 27))
