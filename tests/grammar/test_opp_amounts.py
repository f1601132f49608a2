"""Amounts as people write them inside a whole /opp line (issue 13 §3): the grammar's amount
windows read numbers in words, cents and hedges, and never take a name's or a title's words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.amounts import Money
from bot.grammar.opp import OppCommand, OppParseError, parse_opp

TODAY = date(2026, 11, 23)  # a Monday
FR = ("fr", "en")
EN = ("en", "fr")


def m(amount: str, currency: str | None = None) -> Money:
    return Money(Decimal(amount), currency)


LINES = [
    # (line, languages, expected)
    (
        'new Gamma "Contrat" dix mille euros 30%',
        FR,
        OppCommand("new", account="Gamma", title="Contrat", amount=m("10000", "EUR"), probability=30),
    ),
    (
        "new Gamma Contrat maintenance dix mille euros négociation close 15/12",
        FR,
        OppCommand(
            "new", account="Gamma", title="Contrat maintenance", amount=m("10000", "EUR"), stage="negotiation",
            close_on=date(2026, 12, 15), close_phrase="15/12",
        ),
    ),
    (
        'new "Trois Suisses" "Un Deux Trois" quinze k€',
        FR,
        OppCommand("new", account="Trois Suisses", title="Un Deux Trois", amount=m("15000", "EUR")),
    ),
    ("Gamma twelve thousand dollars", EN, OppCommand("update", account="Gamma", amount=m("12000", "USD"))),
    ("Gamma twelve thousand dollars", FR, OppCommand("update", account="Gamma", amount=m("12000", "USD"))),
    (
        "Alpha Industries deux cent cinquante mille 40%",
        FR,
        OppCommand("update", account="Alpha Industries", amount=m("250000"), probability=40),
    ),
    ("Gamma a hundred k proposal", EN, OppCommand("update", account="Gamma", amount=m("100000"), stage="proposal")),
    ("Gamma Dix mille euros", FR, OppCommand("update", account="Gamma", amount=m("10000", "EUR"))),
    ("Gamma douze euros cinquante", FR, OppCommand("update", account="Gamma", amount=m("12.50", "EUR"))),
    ("Gamma 20 dollars 43 cents", EN, OppCommand("update", account="Gamma", amount=m("20.43", "USD"))),
    ("Gamma 1 USD 23 cents 10%", EN, OppCommand("update", account="Gamma", amount=m("1.23", "USD"), probability=10)),
    ("Gamma 12 € 50 centimes", FR, OppCommand("update", account="Gamma", amount=m("12.50", "EUR"))),
    ("Gamma environ 12k", FR, OppCommand("update", account="Gamma", amount=m("12000"))),
    ("Gamma about $8k 20%", EN, OppCommand("update", account="Gamma", amount=m("8000", "USD"), probability=20)),
    ("Gamma à peu près 10 000 € 30 %", FR, OppCommand("update", account="Gamma", amount=m("10000", "EUR"), probability=30)),
    ("Gamma 12 000 euros 30 %", FR, OppCommand("update", account="Gamma", amount=m("12000", "EUR"), probability=30)),
    ("Gamma Rs 20000", EN, OppCommand("update", account="Gamma", amount=m("20000", "INR"))),
    ("Gamma 3 millions de dollars canadiens", FR, OppCommand("update", account="Gamma", amount=m("3000000", "CAD"))),
    ("Gamma 50 000 francs suisses", FR, OppCommand("update", account="Gamma", amount=m("50000", "CHF"))),
    # names and reasons made of number words stay as typed
    ("Trois Suisses dix mille euros", FR, OppCommand("update", account="Trois Suisses", amount=m("10000", "EUR"))),
    ("Gamma Trois Suisses 10k", FR, OppCommand("update", account="Gamma Trois Suisses", amount=m("10000"))),
    ("Cent Pour Cent 50%", FR, OppCommand("update", account="Cent Pour Cent", probability=50)),
    ("mille bornes 50%", FR, OppCommand("update", account="mille bornes", probability=50)),
    ("Les Trois Livres 50%", FR, OppCommand("update", account="Les Trois Livres", probability=50)),
    ("Gamma perdu trop cher de dix mille euros", FR, OppCommand("lost", account="Gamma", reason="trop cher de dix mille euros")),
]


@pytest.mark.parametrize(("line", "languages", "expected"), LINES, ids=[f"{l[0]}|{l[1][0]}" for l in LINES])
def test_amounts_as_written_in_an_opp_line(line: str, languages: tuple[str, ...], expected: OppCommand) -> None:
    assert parse_opp(line, today=TODAY, languages=languages) == expected


REFUSED = [
    # (line, code, understood, detail, suggestion)
    ("Gamma dix mille 3", "bad_amount", {"amount": "10000.00"}, "3", "3%"),
    ("Gamma 12 euros 150", "unknown_word", {"amount": "12.00", "currency": "EUR"}, "150", None),
    ("Gamma 12 € 50", "bad_amount", {"amount": "12.00", "currency": "EUR"}, "50", "50%"),
    ("Gamma 12 000 euros 30", "bad_amount", {"amount": "12000.00", "currency": "EUR"}, "30", "30%"),
    ("Gamma 12 000 francs", "unknown_currency", {}, "FRANCS", None),
    ("Gamma dix mille francs", "unknown_currency", {}, "FRANCS", None),
    ("Gamma environ -12k", "negative_amount", {}, "environ -12k", None),
    ("Gamma mille milliards d'euros", "absurd_amount", {}, "mille milliards d'euros", None),
    # longer than the grammar's amount window: the rest of the number is refused, never dropped
    (
        "Gamma deux millions trois cent quarante-cinq mille six cents euros",
        "unknown_word",
        {"amount": "2345006.00"},
        "cents euros",
        None,
    ),
]


@pytest.mark.parametrize(("line", "code", "understood", "detail", "suggestion"), REFUSED, ids=[r[0] for r in REFUSED])
def test_amounts_refused_in_an_opp_line(
    line: str, code: str, understood: dict[str, str], detail: str | None, suggestion: str | None
) -> None:
    found = parse_opp(line, today=TODAY, languages=FR)
    assert found == OppParseError(code, {"account": "Gamma", "kind": "update", **understood}, detail, suggestion)


def test_new_with_a_refused_amount_is_refused() -> None:
    found = parse_opp('new Gamma "Contrat" dix mille 3', today=TODAY)
    assert isinstance(found, OppParseError) and found.code == "bad_amount" and found.suggestion == "3%"


NAME_WORDS = ["Trois", "Mille", "Cent", "Deux", "Vingt", "Twelve", "Thousand", "Hundred", "Seven", "Million", "Suisses"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=4).map(" ".join))
def test_names_made_of_number_words_stay_whole(name: str) -> None:
    """An account or a quoted title made of number words keeps them all; the amount is the one typed."""
    found = parse_opp(f"Gamma {name} 50%", today=TODAY)
    assert found == OppCommand("update", account=f"Gamma {name}", probability=50)
    found = parse_opp(f'new "{name}" "{name}" dix mille euros', today=TODAY)
    assert found == OppCommand("new", account=name, title=name, amount=m("10000", "EUR"))
