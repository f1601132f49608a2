"""/log on a phrase that covers several days asks which day; one that names a day logs it."""

from datetime import date

import pytest

from bot.grammar.log import LogCommand, ParseError, parse_log

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    "text",
    [
        "visite Gamma le mois dernier",
        "visite Gamma la semaine dernière",
        "appel Gamma la semaine derniere",
        "visit Gamma last month",
        "call Gamma last week",
    ],
)
def test_a_span_asks_which_day(text):
    found = parse_log(text, today=WEDNESDAY, languages=("fr", "en"))
    assert isinstance(found, ParseError)
    assert found.code == "which_day"
    assert found.understood["account"] == "Gamma"
    assert found.detail and found.detail in text


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("appel Gamma dimanche de la semaine dernière", date(2026, 11, 29)),
        ("visit Gamma sunday from last week", date(2026, 11, 29)),
        ("appel Gamma la veille", date(2026, 12, 1)),
        ("visite Gamma hier proposition", date(2026, 12, 1)),
    ],
)
def test_a_phrase_naming_one_day_logs_that_day(text, day):
    found = parse_log(text, today=WEDNESDAY, languages=("fr", "en"))
    assert isinstance(found, LogCommand)
    assert found.account == "Gamma" and found.occurred_on == day
