"""Keyword tables: every French and English keyword reads as its code, whatever the case."""

from __future__ import annotations

import pytest

from bot.grammar import vocabulary as v


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("visite", "visit"),
        ("VISIT", "visit"),
        ("Téléphone", "call"),
        ("telephone", "call"),
        ("tel", "call"),
        ("e-mail", "email"),
        ("courriel", "email"),
        ("Rendez-vous", "meeting"),
        ("rendez vous", "meeting"),
        ("réunion", "meeting"),
        ("visioconference", "video"),
        ("DÉMO", "demo"),
        ("NEGOCIATION", "negotiation"),
        ("nego", "negotiation"),
        ("follow-up", "follow_up"),
        ("follow up", "follow_up"),
        ("followup", "follow_up"),
        ("relance", "follow_up"),
        ("visite:", "visit"),
    ],
)
def test_lookup_action_type(word: str, code: str) -> None:
    assert v.lookup_action_type(word) == code


@pytest.mark.parametrize("word", ["", "   ", "gamma", "visites", "?", "proposition"])
def test_lookup_action_type_unknown(word: str) -> None:
    assert v.lookup_action_type(word) is None


def test_every_keyword_reads_as_its_code() -> None:
    for table, lookup in (
        (v.ACTION_TYPES, v.lookup_action_type),
        (v.RESULTS, v.lookup_result),
        (v.CONTACT_FUNCTIONS, v.lookup_function),
    ):
        for code, keywords in table.items():
            for keyword in keywords:
                assert lookup(keyword) == code, keyword
                assert lookup(keyword.upper()) == code, keyword


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [
        ("visitte", "visite"),
        ("cal", "call"),
        ("apel", "appel"),
        ("negotation", "negotiation"),
        ("relanse", "relance"),
        ("meting", "meeting"),
        ("xyz", None),
        ("", None),
        ("Gamma Industries", None),
    ],
)
def test_nearest_action_type(word: str, suggestion: str | None) -> None:
    assert v.nearest_action_type(word) == suggestion


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("acheteuse", "buyer"),
        ("Achats", "buyer"),
        ("DG", "director"),
        ("directrice", "director"),
        ("ingenieure", "engineer"),
        ("technicienne", "technician"),
        ("assistante", "assistant"),
        ("gérante", "owner"),
        ("autre", "other"),
        ("stagiaire", None),
    ],
)
def test_lookup_function(word: str, code: str | None) -> None:
    assert v.lookup_function(word) == code


@pytest.mark.parametrize(
    ("words", "start", "expected"),
    [
        (["revoir", "la", "proposition"], 0, ("revise_proposal", 3)),
        (["la", "proposition"], 1, ("proposal", 1)),
        (["Pas", "de", "BESOIN", "hier"], 0, ("no_need", 3)),
        (["pas", "besoin"], 0, ("no_need", 2)),
        (["à", "relancer"], 0, ("to_follow_up", 2)),
        (["a", "relancer"], 0, ("to_follow_up", 2)),
        (["to", "follow-up"], 0, ("to_follow_up", 2)),
        (["RDV", "pris"], 0, ("meeting_booked", 2)),
        (["envoi", "doc"], 0, ("send_documentation", 2)),
        (["doc"], 0, ("send_documentation", 1)),
        (["signé"], 0, ("won", 1)),
        (["gamma"], 0, None),
        (["proposition", "???"], 0, ("proposal", 1)),
        ([], 0, None),
    ],
)
def test_match_result_longest(
    words: list[str], start: int, expected: tuple[str, int] | None
) -> None:
    assert v.match_result(words, start) == expected


def test_match_action_type_needs_every_word() -> None:
    # "???" folds to nothing; it must not be swallowed into the type keyword.
    assert v.match_action_type(["visite", "???"]) == ("visit", 1)
    assert v.match_action_type(["follow", "up", "Gamma"]) == ("follow_up", 2)


def test_with_words() -> None:
    assert v.is_with_word("AVEC")
    assert v.is_with_word("with")
    assert not v.is_with_word("without")
