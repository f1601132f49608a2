"""What the three command grammars share: one error type, one length policy, one clock reader."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.grammar import log, opp, plan
from bot.grammar.datewords import read_clock
from bot.grammar.reading import MAX_NOTE_LENGTH, MAX_TEXT_LENGTH, ParseError

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0)


def test_the_three_grammars_return_one_error_type() -> None:
    assert log.LogParseError is plan.PlanParseError is opp.OppParseError is ParseError
    assert isinstance(log.parse_log("visitte Gamma", today=TODAY), ParseError)
    assert isinstance(plan.parse_plan("visitte Gamma demain", now_local=NOW), ParseError)
    assert isinstance(opp.parse_opp("Gamma 150%", today=TODAY), ParseError)


def test_one_length_policy() -> None:
    assert log.MAX_TEXT_LENGTH == plan.MAX_TEXT_LENGTH == opp.MAX_TEXT_LENGTH == MAX_TEXT_LENGTH
    assert log.MAX_NOTE_LENGTH == plan.MAX_NOTE_LENGTH == MAX_NOTE_LENGTH
    too_long = "x" * (MAX_TEXT_LENGTH + 1)
    assert log.parse_log(too_long, today=TODAY) == ParseError("invalid_text")
    assert plan.parse_plan(too_long, now_local=NOW) == ParseError("invalid_text")
    assert plan.parse_relance(too_long, now_local=NOW) == ParseError("invalid_text")
    assert opp.parse_opp(too_long, today=TODAY) == ParseError("invalid_text")


@pytest.mark.parametrize("size", [MAX_NOTE_LENGTH + 1, 5000])
def test_a_long_note_is_counted_by_log_and_plan_alike(size: int) -> None:
    note = "x" * size
    logged = log.parse_log(f"visite Gamma -- {note}", today=TODAY)
    planned = plan.parse_plan(f"visite Gamma demain -- {note}", now_local=NOW)
    assert isinstance(logged, ParseError) and isinstance(planned, ParseError)
    assert (logged.code, logged.detail) == (planned.code, planned.detail) == ("note_too_long", note)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10", time(10, 0)),
        ("9h", time(9, 0)),
        ("10H", time(10, 0)),
        ("10h30", time(10, 30)),
        ("10 h 30", time(10, 30)),
        ("14:05", time(14, 5)),
        ("7.45", time(7, 45)),
        (" 08:00 ", time(8, 0)),
        ("0", time(0, 0)),
        ("23:59", time(23, 59)),
        ("24", None),
        ("10:60", None),
        ("10h3", None),
        ("", None),
        ("midi", None),
        ("10am", None),
        ("1000", None),
        (None, None),
    ],
)
def test_read_clock(typed: str, expected: time | None) -> None:
    assert read_clock(typed) == expected
