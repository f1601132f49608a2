"""The /opp grammar: a table of lines in French and English, and lines nobody planned for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import vocabulary
from bot.grammar.amounts import Money
from bot.grammar.opp import (
    ERROR_CODES,
    MAX_TEXT_LENGTH,
    OppCommand,
    OppParseError,
    parse_opp,
)

TODAY = date(2026, 11, 23)  # a Monday
FRIDAY = date(2026, 11, 27)
FR = ("fr", "en")
EN = ("en", "fr")


@dataclass(frozen=True)
class Case:
    text: str
    expected: OppCommand | OppParseError
    languages: tuple[str, ...] = FR

    def __str__(self) -> str:  # readable test ids
        return self.text[:60] or "<empty>"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def plain(amount: str) -> Money:
    return Money(Decimal(amount), None)


def cmd(text: str, expected: OppCommand, languages: tuple[str, ...] = FR) -> Case:
    return Case(text, expected, languages)


def err(
    text: str,
    code: str,
    understood: dict[str, str] | None = None,
    *,
    detail: str | None = None,
    suggestion: str | None = None,
    languages: tuple[str, ...] = FR,
) -> Case:
    return Case(text, OppParseError(code, understood or {}, detail, suggestion), languages)


def update(account: str, **fields: object) -> OppCommand:
    return OppCommand("update", account=account, **fields)  # type: ignore[arg-type]


def new(account: str, **fields: object) -> OppCommand:
    return OppCommand("new", account=account, **fields)  # type: ignore[arg-type]


GAMMA = {"account": "Gamma", "kind": "update"}
NEW_GAMMA = {"kind": "new", "account": "Gamma"}

CASES = [
    # --- the examples
    cmd(
        '/opp new Gamma "Contrat maintenance" 12k€ 30% close 15/12'.removeprefix("/opp "),
        new(
            "Gamma",
            title="Contrat maintenance",
            amount=eur("12000"),
            probability=30,
            close_on=date(2026, 12, 15),
            close_phrase="15/12",
        ),
    ),
    cmd("Gamma 50%", update("Gamma", probability=50)),
    cmd("Gamma negotiation", update("Gamma", stage="negotiation")),
    cmd("Gamma won", OppCommand("won", account="Gamma")),
    cmd("Gamma lost price", OppCommand("lost", account="Gamma", reason="price")),
    cmd("", OppCommand("list")),
    cmd("   ", OppCommand("list")),
    cmd("liste", OppCommand("list")),
    cmd("list", OppCommand("list")),
    # --- new deals
    cmd(
        "new Gamma Contrat maintenance 12k",
        new("Gamma", title="Contrat maintenance", amount=plain("12000")),
    ),
    cmd(
        'nouvelle affaire "Alpha Industries" Contrat maintenance 12 000 € 30 %',
        new("Alpha Industries", title="Contrat maintenance", amount=eur("12000"), probability=30),
    ),
    cmd(
        'new Alpha Industries "Contrat" $8,500',
        new("Alpha Industries", title="Contrat", amount=Money(Decimal(8500), "USD")),
    ),
    cmd('créer "Café Le Procope" 1,5 M€', new("Café Le Procope", amount=eur("1500000"))),
    cmd("nouveau Gamma 12k", new("Gamma", amount=plain("12000"))),
    cmd(
        "NOUVELLE Gamma 12.000,50 proposition",
        new("Gamma", amount=plain("12000.50"), stage="proposal"),
    ),
    cmd(
        "add Gamma 12k close 15/01",
        new("Gamma", amount=plain("12000"), close_on=date(2027, 1, 15), close_phrase="15/01"),
    ),
    cmd(
        'new Gamma 12k "Renouvellement" négo clôture fin décembre',
        new(
            "Gamma",
            title="Renouvellement",
            amount=plain("12000"),
            stage="negotiation",
            close_on=date(2026, 12, 31),
            close_phrase="fin décembre",
        ),
    ),
    cmd(
        "new deal Gamma 20k EUR 40% discovery next friday",
        new(
            "Gamma",
            amount=eur("20000"),
            probability=40,
            stage="qualification",
            next_step_on=FRIDAY,
        ),
        EN,
    ),
    cmd(
        "new Gamma 12k close 3 janvier 2027 suivi 1/12 proposal 40 %",
        new(
            "Gamma",
            amount=plain("12000"),
            probability=40,
            stage="proposal",
            close_on=date(2027, 1, 3),
            close_phrase="3 janvier 2027",
            next_step_on=date(2026, 12, 1),
        ),
    ),
    cmd(
        "new Gamma 12k close 12/15",
        new("Gamma", amount=plain("12000"), close_on=date(2026, 12, 15), close_phrase="12/15"),
        EN,
    ),
    cmd(
        "new Gamma 12k close today",
        new("Gamma", amount=plain("12000"), close_on=TODAY, close_phrase="today"),
        EN,
    ),
    cmd("new 3M 12k", new("3M", amount=plain("12000"))),
    cmd("new deal 12k", new("deal", amount=plain("12000"))),
    # --- updates, in any order
    cmd(
        "Gamma 50% negotiation close 20/12 15k",
        update(
            "Gamma",
            amount=plain("15000"),
            probability=50,
            stage="negotiation",
            close_on=date(2026, 12, 20),
            close_phrase="20/12",
        ),
    ),
    cmd("Gamma 12 000 € 30 %", update("Gamma", amount=eur("12000"), probability=30)),
    cmd("Gamma $8,500", update("Gamma", amount=Money(Decimal(8500), "USD"))),
    cmd("Gamma 15k", update("Gamma", amount=plain("15000"))),
    cmd("Gamma 12,5%", update("Gamma", probability=13)),
    cmd("Gamma 0%", update("Gamma", probability=0)),
    cmd("Gamma 100 %", update("Gamma", probability=100)),
    cmd("Gamma proba 40", update("Gamma", probability=40)),
    cmd("Gamma probabilité: 40%", update("Gamma", probability=40)),
    cmd("Gamma NÉGOCIATION", update("Gamma", stage="negotiation")),
    cmd("Gamma piste", update("Gamma", stage="lead")),
    cmd("Gamma qualif", update("Gamma", stage="qualification")),
    cmd("Gamma devis", update("Gamma", stage="proposal")),
    cmd("Gamma signature", update("Gamma", stage="closing")),
    cmd("Gamma closing", update("Gamma", stage="closing")),
    cmd(
        "Gamma closing date 15/12",
        update("Gamma", close_on=date(2026, 12, 15), close_phrase="15/12"),
    ),
    cmd("Gamma Sud 50%", update("Gamma Sud", probability=50)),
    cmd("Gamma Sud, 50%", update("Gamma Sud", probability=50)),
    cmd("new Gamma, 12k", new("Gamma", amount=plain("12000"))),
    cmd("Pour Tous 50%", update("Pour Tous", probability=50)),
    cmd("3M 50%", update("3M", probability=50)),
    cmd('"Gamma 2000" 50%', update("Gamma 2000", probability=50)),
    cmd('« Alpha Industries » nego', update("Alpha Industries", stage="negotiation")),
    cmd(
        'Gamma "Contrat maintenance" 60%',
        update("Gamma", title="Contrat maintenance", probability=60),
    ),
    cmd("Gamma pour le 15/12", update("Gamma", close_on=date(2026, 12, 15), close_phrase="15/12")),
    cmd("Gamma fin du mois", update("Gamma", close_on=date(2026, 11, 30), close_phrase="fin du mois")),
    cmd("Gamma échéance vendredi", update("Gamma", close_on=FRIDAY, close_phrase="vendredi")),
    cmd("Gamma due end of month", update("Gamma", close_on=date(2026, 11, 30), close_phrase="end of month"), EN),
    cmd("Gamma close on friday", update("Gamma", close_on=FRIDAY, close_phrase="on friday"), EN),
    cmd("Gamma clôture au 15/12", update("Gamma", close_on=date(2026, 12, 15), close_phrase="15/12")),
    cmd(
        "Gamma close 2026-12-15",
        update("Gamma", close_on=date(2026, 12, 15), close_phrase="2026-12-15"),
    ),
    cmd("Gamma next friday", update("Gamma", next_step_on=FRIDAY)),
    cmd("Gamma prochaine étape demain", update("Gamma", next_step_on=date(2026, 11, 24))),
    cmd("Gamma suivi dans 2 semaines", update("Gamma", next_step_on=date(2026, 12, 7))),
    # An update may move a close date to the past: the caller decides.
    cmd("Gamma close hier", update("Gamma", close_on=date(2026, 11, 22), close_phrase="hier")),
    # --- won and lost
    cmd("Gamma gagné", OppCommand("won", account="Gamma")),
    cmd('"Gamma Sud" signé belle affaire', OppCommand("won", account="Gamma Sud", reason="belle affaire")),
    cmd("Alpha Industries WON", OppCommand("won", account="Alpha Industries")),
    cmd('Gamma "Contrat" won', OppCommand("won", account="Gamma", title="Contrat")),
    cmd("Gamma perdu -- trop cher", OppCommand("lost", account="Gamma", reason="trop cher")),
    cmd("Gamma perdue: concurrent moins cher", OppCommand("lost", account="Gamma", reason="concurrent moins cher")),
    cmd("Gamma lost", OppCommand("lost", account="Gamma")),
    # --- refusals with a clear answer
    err("new", "missing_account", {"kind": "new"}),
    err("new 50%", "missing_account", {"kind": "new"}),
    err("50%", "missing_account"),
    err("new Gamma", "missing_amount", NEW_GAMMA),
    err(
        'new Gamma "X" close 15/12',
        "missing_amount",
        {**NEW_GAMMA, "title": "X", "close_on": "2026-12-15", "close_phrase": "15/12"},
    ),
    err(
        "new Gamma 12k close 15/12/2025",
        "close_in_past",
        {**NEW_GAMMA, "amount": "12000.00"},
        detail="15/12/2025",
    ),
    err("new Gamma 12k close hier", "close_in_past", {**NEW_GAMMA, "amount": "12000.00"}, detail="hier"),
    err("new Gamma -12k", "negative_amount", NEW_GAMMA, detail="-12k"),
    err("new Gamma 2000 md€", "absurd_amount", NEW_GAMMA, detail="2000 md€"),
    err("Gamma 1 000 000 000 000 €", "absurd_amount", GAMMA, detail="1 000 000 000 000 €"),
    err("Gamma 12k XYZ", "unknown_currency", GAMMA, detail="XYZ"),
    err("new Gamma 12000 BTC", "unknown_currency", NEW_GAMMA, detail="BTC"),
    err("Gamma 12..5", "bad_amount", GAMMA, detail="12..5"),
    err("Gamma 150%", "bad_probability", GAMMA, detail="150%"),
    err("Gamma -5%", "bad_probability", GAMMA, detail="-5%"),
    err("Gamma proba 120", "bad_probability", GAMMA, detail="proba 120"),
    err("Gamma proba élevée", "bad_probability", GAMMA, detail="proba élevée"),
    err("Gamma negociaton", "unknown_stage", GAMMA, detail="negociaton", suggestion="négociation"),
    err("Gamma qualifcation", "unknown_stage", GAMMA, detail="qualifcation", suggestion="qualification"),
    err("Gamma Sud propsal", "unknown_stage", {"account": "Gamma Sud", "kind": "update"}, detail="propsal", suggestion="proposal"),
    err("Gamma 50% clsoing", "unknown_stage", {**GAMMA, "probability": "50"}, detail="clsoing", suggestion="closing"),
    err("Gamma 50% blabla", "unknown_word", {**GAMMA, "probability": "50"}, detail="blabla"),
    err("Gamma wonn", "unknown_word", GAMMA, detail="wonn", suggestion="won"),
    err("Gamma perdeu", "unknown_word", GAMMA, detail="perdeu", suggestion="perdu"),
    err("Gamma 50% 60%", "unknown_word", {**GAMMA, "probability": "50"}, detail="60%"),
    err("Gamma 50% won", "unknown_word", {**GAMMA, "probability": "50"}, detail="won"),
    err("Gamma 15k 30", "bad_amount", {**GAMMA, "amount": "15000.00"}, detail="30", suggestion="30%"),
    err("Gamma 15/12", "unknown_word", GAMMA, detail="15/12", suggestion="clôture 15/12"),
    err("Gamma 15 décembre", "unknown_word", GAMMA, detail="15 décembre", suggestion="clôture 15 décembre"),
    err("Gamma 12/15", "unknown_word", GAMMA, detail="12/15", suggestion="close 12/15", languages=EN),
    err("Gamma close", "bad_date", GAMMA),
    err("Gamma close blah", "bad_date", GAMMA, detail="blah"),
    err("Gamma close 32/13", "bad_date", GAMMA, detail="32/13"),
    err("Gamma 50% close 31 février", "bad_date", {**GAMMA, "probability": "50"}, detail="31 février"),
    err("Gamma", "nothing_to_change", GAMMA),
    err("Gamma blabla", "nothing_to_change", {"account": "Gamma blabla", "kind": "update"}),
    err('Gamma "Contrat"', "nothing_to_change", {**GAMMA, "title": "Contrat"}),
    err('new "Gamma 12k', "unclosed_quote", detail='"Gamma 12k'),
    err("Gamma « Sud", "unclosed_quote", detail="« Sud"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_opp(case: Case) -> None:
    assert parse_opp(case.text, today=TODAY, languages=case.languages) == case.expected


def test_table_is_big_and_covers_every_error() -> None:
    assert len(CASES) >= 60
    codes = {c.expected.code for c in CASES if isinstance(c.expected, OppParseError)}
    assert codes == set(ERROR_CODES) - {"invalid_text"}


def test_too_long_or_not_text_is_invalid() -> None:
    assert parse_opp("a" * (MAX_TEXT_LENGTH + 1), today=TODAY) == OppParseError("invalid_text")
    assert parse_opp(None, today=TODAY) == OppParseError("invalid_text")  # type: ignore[arg-type]


def test_line_breaks_and_control_characters() -> None:
    assert parse_opp("Gamma\n50%\x00", today=TODAY) == update("Gamma", probability=50)


def test_close_dates_are_read_forwards_across_the_year() -> None:
    december = date(2026, 12, 20)
    found = parse_opp("new Gamma 5k close 15/01", today=december)
    assert isinstance(found, OppCommand) and found.close_on == date(2027, 1, 15)
    found = parse_opp("new Gamma 5k close 20/12", today=december)
    assert isinstance(found, OppCommand) and found.close_on == december


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("lead", "lead"),
        ("Piste", "lead"),
        ("prospect", "lead"),
        ("découverte", "qualification"),
        ("DISCOVERY", "qualification"),
        ("offre", "proposal"),
        ("négo", "negotiation"),
        ("Négociation", "negotiation"),
        ("finalisation", "closing"),
        ("conclusion", "closing"),
        ("won", None),
        ("Gamma", None),
    ],
)
def test_stage_keywords(word: str, code: str | None) -> None:
    assert vocabulary.lookup_stage(word) == code
    assert vocabulary.OPEN_STAGES == ("lead", "qualification", "proposal", "negotiation", "closing")


def test_every_stage_keyword_reads_in_an_update() -> None:
    for code, keywords in vocabulary.STAGES.items():
        for keyword in keywords:
            assert parse_opp(f"Gamma {keyword}", today=TODAY) == update("Gamma", stage=code), keyword


def test_every_won_and_lost_keyword() -> None:
    for kind in ("won", "lost"):
        for keyword in vocabulary.OPP_KEYWORDS[kind]:
            assert parse_opp(f"Gamma {keyword}", today=TODAY) == OppCommand(kind, account="Gamma")


_WORDS = st.sampled_from(
    [
        "new", "nouvelle", "Gamma", '"Alpha', 'Industries"', "12k€", "12", "000", "€", "30%",
        "-5%", "150%", "%", "proba", "negociation", "négo", "close", "clôture", "15/12", "fin",
        "du", "mois", "next", "friday", "won", "lost", "perdu", "--", "«", "»", "$8,500",
        "1,5", "M€", "XYZ", "pour", "le", "32/13", "\u202f", "3M", "deal",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=10))
def test_grammar_shaped_lines_never_raise(words: list[str]) -> None:
    found = parse_opp(" ".join(words), today=TODAY)
    assert isinstance(found, OppCommand | OppParseError)
    if isinstance(found, OppParseError):
        assert found.code in ERROR_CODES and found.code != "invalid_text"
        assert all(isinstance(v, str) for v in found.understood.values())
    elif found.kind == "new":
        assert found.amount is not None and found.account
        assert found.close_on is None or found.close_on >= TODAY
    elif found.probability is not None:
        assert 0 <= found.probability <= 100


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from([FR, EN, ("de",), ()]))
def test_any_text_never_raises(text: str, languages: tuple[str, ...]) -> None:
    found = parse_opp(text, today=TODAY, languages=languages)
    assert isinstance(found, OppCommand | OppParseError)
    assert not (isinstance(found, OppParseError) and found.detail == "internal")
