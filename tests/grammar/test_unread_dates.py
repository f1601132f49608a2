"""Never store a date the rep did not say (issue 13 §1): /log and /plan, French and English.

Words of a date or a time that no reading took never go into an account or contact name:
either the whole date is read, or the line is refused with ``unread_date`` and the words
it could not read. The date reader itself (:mod:`bot.grammar.when`) grows in parallel, so
the issue's examples accept either outcome — the right day, or the refusal naming the
words — but never the old one (a name swallowing the date, a day nobody said).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import log, plan
from bot.grammar.datewords import find_date_phrase, is_date_word, unread_date_phrase
from bot.grammar.log import LogCommand, parse_log
from bot.grammar.plan import PlanCommand, parse_plan, parse_relance
from bot.grammar.reading import ParseError
from bot.grammar.when import looks_like_date, looks_like_when

TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 10, 0)
FR = ("fr", "en")
EN = ("en", "fr")
# Errors that refuse a date phrase: ours, the date reader's "looks like a date but is not",
# or "which day?" for a phrase that covers several ("le mois dernier").
REFUSALS = {"unread_date", "bad_date", "bad_when", "which_day"}


@dataclass(frozen=True)
class Example:
    command: str  # log | plan | relance
    text: str
    account: str  # the account understood, in the command or in the refusal
    detail: str  # the words a refusal names
    moment: date | datetime | None  # the right reading, or None when only a refusal is right
    languages: tuple[str, ...] = FR

    def __str__(self) -> str:
        return f"{self.command}:{self.text}"


EXAMPLES = [
    # /plan: an unread word between the day and the time cut the day off.
    Example("plan", "visite Gamma Industries samedi 5 à 18h", "Gamma Industries", "samedi 5 à 18h",
            datetime(2026, 12, 5, 18, 0)),
    Example("plan", "visit Gamma Industries saturday 5 at 6pm", "Gamma Industries", "saturday 5 at 6pm",
            datetime(2026, 12, 5, 18, 0), EN),
    Example("plan", "visite Gamma 12 décembre à environ 10h", "Gamma", "12 décembre à environ 10h",
            datetime(2026, 12, 12, 10, 0)),
    Example("plan", "call Gamma december 12 at around 10am", "Gamma", "december 12 at around 10am",
            datetime(2026, 12, 12, 10, 0), EN),
    Example("relance", "Gamma lundi 11 à 10h", "Gamma", "lundi 11 à 10h", datetime(2027, 1, 11, 10, 0)),
    Example("relance", "Gamma monday 11 at 10am", "Gamma", "monday 11 at 10am", datetime(2027, 1, 11, 10, 0), EN),
    # /log: a time alone is today; a day the reader cannot take is refused, never "today".
    Example("log", "visite Gamma à 10h", "Gamma", "à 10h", TODAY),
    Example("log", "visit Gamma at 10am", "Gamma", "at 10am", TODAY, EN),
    Example("log", "visite Gamma lundi 11", "Gamma", "lundi 11", date(2026, 5, 11)),
    Example("log", "visit Gamma monday 11", "Gamma", "monday 11", date(2026, 5, 11), EN),
    Example("log", "visite Gamma le mois dernier", "Gamma", "le mois dernier", None),
    Example("log", "visit Gamma last month", "Gamma", "last month", None, EN),
    Example("log", "appel Gamma la veille", "Gamma", "la veille", date(2026, 11, 22)),
    Example("log", "call Gamma the day before", "Gamma", "the day before", date(2026, 11, 22), EN),
]


def _parse(example: Example) -> LogCommand | PlanCommand | ParseError:
    if example.command == "log":
        return parse_log(example.text, today=TODAY, languages=example.languages)
    parser = parse_plan if example.command == "plan" else parse_relance
    return parser(example.text, now_local=NOW, languages=example.languages)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_the_issue_examples_are_read_whole_or_refused(example: Example) -> None:
    found = _parse(example)
    if isinstance(found, ParseError):
        assert found.code in REFUSALS
        assert found.detail == example.detail
        assert found.understood.get("account") == example.account
        return
    assert example.moment is not None, f"nobody said which day: {found}"
    assert found.account == example.account
    moment = found.occurred_on if isinstance(found, LogCommand) else found.due_local
    assert moment == example.moment


# --- exact answers today (the date reader does not read these phrases) -------------------


@pytest.mark.parametrize(
    ("text", "understood", "detail"),
    [
        ("visite Gamma lundi Sud", {"account": "Gamma"}, "lundi"),
        ("visite Gamma dans 2 heures", {"account": "Gamma"}, "dans 2 heures"),
        ("visite Gamma lundi 11 proposition", {"account": "Gamma", "result": "proposal"}, "lundi 11"),
        ("visite Gamma avec Jean lundi 11", {"account": "Gamma", "contact": "Jean"}, "lundi 11"),
        ("visit Gamma with Jane monday 11", {"account": "Gamma", "contact": "Jane"}, "monday 11"),
        ("visite Lundi Matin SARL", {}, "Lundi Matin"),
        ("visite Demain Gamma", {}, "Demain"),
        ("visite Pressing 24h", {"account": "Pressing"}, "24h"),
        ("visit Gamma Next", {"account": "Gamma"}, "Next"),
    ],
)
def test_log_refuses_unread_date_words(text: str, understood: dict[str, str], detail: str) -> None:
    found = parse_log(text, today=TODAY)
    assert isinstance(found, ParseError), found
    action = "call" if text.startswith("call") else "visit"
    # The date reader may name the same words as "not a day it can read" (bad_date): the same refusal.
    assert found.code in REFUSALS
    assert (found.understood, found.detail) == ({"action_type": action, **understood}, detail)


@pytest.mark.parametrize(
    ("text", "understood", "detail"),
    [
        ("visite Beta lundi Sud 10h", {"account": "Beta"}, "lundi"),
        ("visite Gamma pour demain 10h", {"account": "Gamma"}, "pour demain 10h"),
        ("visite Demain Gamma 10h", {}, "Demain"),
    ],
)
def test_plan_refuses_unread_date_words(text: str, understood: dict[str, str], detail: str) -> None:
    found = parse_plan(text, now_local=NOW)
    assert found == ParseError("unread_date", {"action_type": "visit", **understood}, detail)


@pytest.mark.parametrize(
    ("text", "account", "on"),
    [
        ('visite "Lundi Matin SARL" hier', "Lundi Matin SARL", date(2026, 11, 22)),
        ("visite «Café du Matin» hier", "Café du Matin", date(2026, 11, 22)),
        ("visite Groupe 3M hier", "Groupe 3M", date(2026, 11, 22)),
        ("visite Alpha 2000", "Alpha 2000", TODAY),
        ("visite Café Le Procope", "Café Le Procope", TODAY),
        ("visite Gamma Sud Est", "Gamma Sud Est", TODAY),
        ("visite Mai", "Mai", TODAY),
        ("visite Mars Industries hier", "Mars Industries", date(2026, 11, 22)),
        ("visit Sun hier", "Sun", date(2026, 11, 22)),
        ("visit Next Generation", "Next Generation", TODAY),
        ("visite Saveurs d'ici", "Saveurs d'ici", TODAY),
        ("visite Web 2.0 Conseil", "Web 2.0 Conseil", TODAY),
        ("visite Gamma vers midi", "Gamma", TODAY),
    ],
)
def test_names_stay_names(text: str, account: str, on: date) -> None:
    found = parse_log(text, today=TODAY)
    assert isinstance(found, LogCommand), found
    assert (found.account, found.occurred_on) == (account, on)


def test_a_quoted_name_with_date_words_is_planned() -> None:
    found = parse_plan('visite "Lundi Matin SARL" samedi à 18h', now_local=NOW)
    assert isinstance(found, PlanCommand), found
    assert (found.account, found.due_local) == ("Lundi Matin SARL", datetime(2026, 11, 28, 18, 0))


def test_the_error_codes_are_declared() -> None:
    assert "unread_date" in log.ERROR_CODES and "unread_date" in plan.ERROR_CODES


# --- the lexicon ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        *("lundi", "Samedi,", "DÉCEMBRE", "december", "hier", "demain", "veille", "lendemain"),
        *("aujourd'hui", "tonight", "midi", "l'après-midi", "week-end", "mi-décembre", "semaine"),
        *("mois", "days", "dernier", "prochaine", "next", "last", "ago", "vers", "environ"),
        *("10h", "10H30", "14:30", "3pm", "25h", "12/12", "32/13", "2026-12-12", "12.12", "10h-12h"),
    ],
)
def test_date_words(word: str) -> None:
    assert is_date_word(word)


@pytest.mark.parametrize(
    "word",
    [
        *("Gamma", "Sud", "Le", "la", "à", "at", "dans", "in", "3M", "2000", "15", "2.0"),
        *("sun", "mar", "dec", "Procope", "", "«", "proposition", "avec", "d'ici", "1er"),
    ],
)
def test_not_date_words_alone(word: str) -> None:
    assert not is_date_word(word)


@pytest.mark.parametrize(
    ("words", "span"),
    [
        ("Gamma Industries samedi 5", (2, 4)),
        ("Gamma 12 décembre à environ", (1, 5)),
        ("Gamma il y a 3 jours", (1, 6)),
        ("Gamma a quarter past 3", (1, 5)),
        ("Gamma Mon, Feb 18", (1, 4)),
        ("Gamma quinze heures trente", (1, 4)),
        ("Gamma le premier mercredi du mois prochain", (1, 7)),
        ("Gamma lundi de Beta", (1, 2)),
        ("Gamma 3 pm demo", (1, 3)),
        ("Alpha 2000 lundi", (2, 3)),
        ("Café Le Procope", None),
        ("Groupe 3M à Lyon", None),
    ],
)
def test_find_date_phrase(words: str, span: tuple[int, int] | None) -> None:
    assert find_date_phrase(words.split()) == span


def test_a_name_keeps_its_first_word_unless_it_starts_a_date() -> None:
    assert unread_date_phrase(["Mai"]) is None
    assert unread_date_phrase("Lundi Matin SARL".split()) == (0, 2)
    assert unread_date_phrase("le mois dernier".split()) == (0, 3)
    # A date read after the name: only a phrase that starts inside the name counts.
    assert unread_date_phrase(["Gamma", "à", "10h"], 1) is None
    assert unread_date_phrase(["Gamma", "dans", "2", "heures"], 2) == (1, 4)


# --- random lines: no input raises, no unquoted date word reaches a name --------------------

_DATES = [
    *("lundi", "samedi 5", "à 18h", "12 décembre", "à environ 10h", "hier", "demain", "midi"),
    *("le mois dernier", "la veille", "dans 2 heures", "il y a 3 jours", "10h", "12/12", "32/13"),
    *("last month", "monday 11", "at 4", "3pm", "next", "tonight", "vers", "prochain", "Mai"),
]
_NAMES = ["Gamma", "Industries", "Sud", "Le", "Procope", "3M", "2000", "Alpha", "Sun", "du", "à", "le"]
_QUOTED = ['"Lundi Matin SARL"', "«Café du Matin»", "“Canal Midi”", '"Pressing 24h"']
_OTHERS = ["proposition", "no need", "avec", "with", "Jean", "(acheteur)", "--", "note", ",", "5", "15"]
_TYPES = ["visite", "visit", "appel", "call", "rdv", "relance", "follow up"]
_PIECE = st.sampled_from(_DATES + _NAMES + _QUOTED + _OTHERS)


def _unquoted_words(name: str) -> tuple[list[str], bool]:
    """The words of a name outside the quoted pieces, and whether it began with one."""
    starts_quoted = False
    for quoted in _QUOTED:
        inner = quoted[1:-1]
        if inner in name:
            starts_quoted = starts_quoted or name.startswith(inner)
            name = name.replace(inner, " ")
    return name.split(), starts_quoted


def _assert_no_date_word(name: str | None) -> None:
    if not name:
        return
    words, starts_quoted = _unquoted_words(name)
    rest = words if starts_quoted else words[1:]
    assert not any(is_date_word(w) for w in rest), name
    if words and not starts_quoted:
        first = words[0]
        assert not (is_date_word(first) and (looks_like_date(first) or looks_like_when(first))), name


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_TYPES), st.lists(_PIECE, max_size=8), st.sampled_from([FR, EN]))
def test_no_unquoted_date_word_reaches_a_name(kind: str, pieces: list[str], languages: tuple[str, ...]) -> None:
    text = " ".join([kind, *pieces])
    logged = parse_log(text, today=TODAY, languages=languages)
    assert isinstance(logged, (LogCommand, ParseError))
    if isinstance(logged, LogCommand):
        _assert_no_date_word(logged.account)
        _assert_no_date_word(logged.contact)
        assert logged.occurred_on <= TODAY
    for parser in (parse_plan, parse_relance):
        planned = parser(text, now_local=NOW, languages=languages)
        assert isinstance(planned, (PlanCommand, ParseError))
        if isinstance(planned, PlanCommand) and planned.kind == "plan":
            _assert_no_date_word(planned.account)
            assert planned.due_local is not None and planned.due_local > NOW


def test_an_hour_without_am_pm_is_read_in_business_hours_not_refused() -> None:
    """"at 4" used to be unread (and so refused); the date reader now reads it as 16:00."""
    logged = parse_log("visit Gamma at 4", today=TODAY)
    assert not isinstance(logged, ParseError) and logged.account == "Gamma" and logged.occurred_on == TODAY
    planned = parse_plan("visit Gamma at 4 tomorrow", now_local=NOW)
    assert not isinstance(planned, ParseError)
    assert planned.account == "Gamma" and planned.due_local == datetime(2026, 11, 24, 16, 0)
