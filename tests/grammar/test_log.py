"""The /log grammar: table of lines in French and English, and lines nobody planned for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import vocabulary
from bot.grammar.log import (
    ERROR_CODES,
    MAX_ACCOUNT_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_TEXT_LENGTH,
    LogCommand,
    LogParseError,
    parse_log,
)

TODAY = date(2026, 11, 23)  # a Monday
YESTERDAY = date(2026, 11, 22)
FRIDAY = date(2026, 11, 20)
EN = ("en", "fr")


@dataclass(frozen=True)
class Case:
    text: str
    expected: LogCommand | LogParseError
    languages: tuple[str, ...] = ("fr", "en")

    def __str__(self) -> str:  # readable test ids
        return self.text[:60]


def ok(
    text: str,
    action_type: str,
    account: str,
    *,
    result: str | None = None,
    contact: str | None = None,
    function: str | None = None,
    on: date = TODAY,
    date_phrase: str | None = None,
    note: str | None = None,
    languages: tuple[str, ...] = ("fr", "en"),
) -> Case:
    command = LogCommand(action_type, account, result, contact, function, on, date_phrase, note)
    return Case(text, command, languages)


def err(
    text: str,
    code: str,
    understood: dict[str, str] | None = None,
    *,
    detail: str | None = None,
    suggestion: str | None = None,
) -> Case:
    return Case(text, LogParseError(code, understood or {}, detail, suggestion))


VISIT = {"action_type": "visit"}
VISIT_GAMMA = {"action_type": "visit", "account": "Gamma"}

CASES = [
    # --- the spec's examples
    ok("visite Gamma proposition", "visit", "Gamma", result="proposal"),
    ok(
        'call "Alpha Industries" no need yesterday',
        "call",
        "Alpha Industries",
        result="no_need",
        on=date(2026, 11, 22),
        date_phrase="yesterday",
    ),
    ok(
        "négociation Alpha revoir la proposition avec Mr. X (acheteur) lundi dernier",
        "negotiation",
        "Alpha",
        result="revise_proposal",
        contact="Mr. X",
        function="buyer",
        on=date(2026, 11, 16),
        date_phrase="lundi dernier",
    ),
    ok("NEGOCIATION gamma", "negotiation", "gamma"),
    ok("visit Alpha Industries proposal", "visit", "Alpha Industries", result="proposal"),
    ok("appel Beta -- rappeler en janvier", "call", "Beta", note="rappeler en janvier"),
    ok(
        "relance «Delta SA» à relancer avec Jeanne Dupont 3 avril",
        "follow_up",
        "Delta SA",
        result="to_follow_up",
        contact="Jeanne Dupont",
        on=date(2026, 4, 3),
        date_phrase="3 avril",
    ),
    ok("email O'Neil & Co", "email", "O'Neil & Co"),
    # --- quotes, keywords inside names, unquoted multi-word names
    ok("relance « Delta SA » commande", "follow_up", "Delta SA", result="order"),
    ok("visite “Perdu & Fils” perdu", "visit", "Perdu & Fils", result="lost"),
    ok('rdv "Avec Plaisir" rdv pris', "meeting", "Avec Plaisir", result="meeting_booked"),
    ok("visite Gamma Sud", "visit", "Gamma Sud"),
    ok("visite Café Le Procope", "visit", "Café Le Procope"),
    ok("visite Gamma Proposition Sud", "visit", "Gamma Proposition Sud"),
    ok("visite Commande SA", "visit", "Commande SA"),
    ok("visite Garage 2000 hier", "visit", "Garage 2000", on=YESTERDAY, date_phrase="hier"),
    ok("visite Mai", "visit", "Mai"),
    ok('demo "Gamma" Sud', "demo", "Gamma Sud"),
    ok("visite Gamma, proposition", "visit", "Gamma", result="proposal"),
    # --- results, FR and EN, multi-word
    ok("call Beta pas de besoin", "call", "Beta", result="no_need"),
    ok("call Beta PAS BESOIN", "call", "Beta", result="no_need"),
    ok("meeting Beta meeting booked", "meeting", "Beta", result="meeting_booked"),
    ok("video Beta revise proposal", "video", "Beta", result="revise_proposal"),
    ok("visio Beta revoir proposition", "video", "Beta", result="revise_proposal"),
    ok("démo Beta gagné", "demo", "Beta", result="won"),
    ok("demo Beta signed", "demo", "Beta", result="won"),
    ok("email Beta envoi doc", "email", "Beta", result="send_documentation"),
    ok("follow-up Beta to follow up", "follow_up", "Beta", result="to_follow_up"),
    ok("follow up Beta", "follow_up", "Beta"),
    ok("tel Beta devis", "call", "Beta", result="proposal"),
    # --- contacts and functions
    ok("visite Gamma avec Jean Dupont", "visit", "Gamma", contact="Jean Dupont"),
    ok(
        "visit Gamma with Jane Doe (purchasing)",
        "visit",
        "Gamma",
        contact="Jane Doe",
        function="buyer",
    ),
    ok("visite Gamma avec Mme Roy (DG)", "visit", "Gamma", contact="Mme Roy", function="director"),
    ok("visite Gamma avec Jean(ingénieure)", "visit", "Gamma", contact="Jean", function="engineer"),
    ok(
        "visite Gamma avec Jean (chef des achats)",
        "visit",
        "Gamma",
        contact="Jean",
        function="buyer",
    ),
    ok("visite Gamma avec Jean (stagiaire)", "visit", "Gamma", contact="Jean", function="other"),
    ok('visite Gamma avec "Jean (le grand)"', "visit", "Gamma", contact="Jean (le grand)"),
    ok(
        "visite Gamma proposition avec Paul (gérant) hier -- très intéressé",
        "visit",
        "Gamma",
        result="proposal",
        contact="Paul",
        function="owner",
        on=date(2026, 11, 22),
        date_phrase="hier",
        note="très intéressé",
    ),
    # --- dates in their places, both languages, both orders
    ok(
        "visite Gamma hier proposition",
        "visit",
        "Gamma",
        result="proposal",
        on=YESTERDAY,
        date_phrase="hier",
    ),
    ok(
        "visite Gamma 3 avril avec Jean",
        "visit",
        "Gamma",
        contact="Jean",
        on=date(2026, 4, 3),
        date_phrase="3 avril",
    ),
    ok("visite Gamma il y a 3 jours", "visit", "Gamma", on=FRIDAY, date_phrase="il y a 3 jours"),
    ok("visit Gamma 3 days ago", "visit", "Gamma", on=FRIDAY, date_phrase="3 days ago"),
    ok(
        "visite Gamma le 3 décembre",
        "visit",
        "Gamma",
        on=date(2025, 12, 3),
        date_phrase="le 3 décembre",
    ),
    ok("visite Gamma 3/4", "visit", "Gamma", on=date(2026, 4, 3), date_phrase="3/4"),
    ok("visit Gamma 3/4", "visit", "Gamma", on=date(2026, 3, 4), date_phrase="3/4", languages=EN),
    ok("visite Gamma 2026-04-03", "visit", "Gamma", on=date(2026, 4, 3), date_phrase="2026-04-03"),
    ok("visite Gamma aujourd'hui", "visit", "Gamma", date_phrase="aujourd'hui"),
    ok("visite Gamma lundi", "visit", "Gamma", date_phrase="lundi"),
    ok("visit Gamma last friday", "visit", "Gamma", on=FRIDAY, date_phrase="last friday"),
    ok("visite Gamma hier à 14h", "visit", "Gamma", on=YESTERDAY, date_phrase="hier à 14h"),
    # --- notes
    ok("visite Gamma — vu le directeur", "visit", "Gamma", note="vu le directeur"),
    ok("visite Gamma --   ", "visit", "Gamma"),
    ok('visite Gamma -- "cité" -- et -- tirets', "visit", "Gamma", note='"cité" -- et -- tirets'),
    ok("visite Gamma --" + "x" * MAX_NOTE_LENGTH, "visit", "Gamma", note="x" * MAX_NOTE_LENGTH),
    # --- text from phones and other alphabets
    ok("visite Gamma\nproposition", "visit", "Gamma", result="proposal"),
    ok("visite Gam\x00ma\x07", "visit", "Gamma"),
    ok("visite 🚀 Rocket proposition", "visit", "🚀 Rocket", result="proposal"),
    ok("visite شركة الأمل", "visit", "شركة الأمل"),
    ok("appel חברת אור -- שיחה טובה", "call", "חברת אור", note="שיחה טובה"),
    ok("visite\u00a0Gamma\u00a0proposition", "visit", "Gamma", result="proposal"),
    # --- errors
    err("", "empty"),
    err("   \n\t ", "empty"),
    err("-- juste une note", "empty"),
    err("visitte Gamma", "unknown_type", detail="visitte", suggestion="visite"),
    err("cal Beta", "unknown_type", detail="cal", suggestion="call"),
    err("Gamma visite", "unknown_type", detail="Gamma"),
    err('"visite" Gamma', "unknown_type", detail="visite", suggestion="visite"),
    err("visite", "missing_account", VISIT),
    err("visite -- une note", "missing_account", VISIT),
    err("visite avec Jean", "missing_account", VISIT),
    err("visite hier", "missing_account", {"action_type": "visit", "date_phrase": "hier"}),
    err('visite "" proposition', "missing_account", VISIT),
    err('visite "Gamma proposition', "unclosed_quote", VISIT, detail='"Gamma proposition'),
    err("visite «Gamma", "unclosed_quote", VISIT, detail="«Gamma"),
    err("visite ???", "invalid_account", VISIT, detail="???"),
    err("visite 🚀🚀 proposition", "invalid_account", VISIT, detail="🚀🚀"),
    err("visite Gamma 32/13", "bad_date", VISIT_GAMMA, detail="32/13"),
    err("visite Gamma le 32 avril", "bad_date", VISIT_GAMMA, detail="le 32 avril"),
    err(
        "visite Gamma proposition 31 février",
        "bad_date",
        {**VISIT_GAMMA, "result": "proposal"},
        detail="31 février",
    ),
    err("visite Gamma demain", "future_date", VISIT_GAMMA, detail="demain"),
    err("visit Gamma tomorrow", "future_date", VISIT_GAMMA, detail="tomorrow"),
    err("visite Gamma lundi prochain", "future_date", VISIT_GAMMA, detail="lundi prochain"),
    err("visite Gamma 3 décembre 2026", "future_date", VISIT_GAMMA, detail="3 décembre 2026"),
    err(
        "visite Gamma -- " + "x" * (MAX_NOTE_LENGTH + 1),
        "note_too_long",
        VISIT_GAMMA,
        detail="x" * (MAX_NOTE_LENGTH + 1),
    ),
    err("visite Gamma -- " + "x" * 3900, "note_too_long", VISIT_GAMMA, detail="x" * 3900),
    err(
        "visite " + "G" * (MAX_ACCOUNT_LENGTH + 1),
        "account_too_long",
        VISIT,
        detail="G" * 40,
    ),
    err(
        "visite Gamma -- " + "x" * 5000,
        "note_too_long",
        {**VISIT, "account": "Gamma"},
        detail="x" * 5000,
    ),
    err("visite Gamma -- " + "x" * MAX_TEXT_LENGTH, "invalid_text"),
    # words of a date that no reading took never go into a name (issue 13 §1)
    err("visite Gamma lundi Sud", "unread_date", VISIT_GAMMA, detail="lundi"),
    err("visite Lundi Matin SARL", "unread_date", VISIT, detail="Lundi Matin"),
    ok('visite "Lundi Matin SARL" hier', "visit", "Lundi Matin SARL", on=YESTERDAY, date_phrase="hier"),
    ok("visite Gamma à 10h", "visit", "Gamma", date_phrase="à 10h"),
    err("visite Gamma le mois dernier", "which_day", VISIT_GAMMA, detail="le mois dernier"),
    err("call Gamma last week", "which_day", {"action_type": "call", "account": "Gamma"}, detail="last week"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parse_log(case: Case) -> None:
    assert parse_log(case.text, today=TODAY, languages=case.languages) == case.expected


def test_table_covers_every_error_code() -> None:
    codes = {c.expected.code for c in CASES if isinstance(c.expected, LogParseError)}
    assert codes == set(ERROR_CODES)


def test_account_at_the_limit_is_kept() -> None:
    name = "G" * MAX_ACCOUNT_LENGTH
    found = parse_log(f"visite {name}", today=TODAY)
    assert isinstance(found, LogCommand) and found.account == name


def test_text_at_the_limit_is_read() -> None:
    text = "visite Gamma " + "Sud " * ((MAX_TEXT_LENGTH - 13) // 4)
    assert len(text) <= MAX_TEXT_LENGTH
    found = parse_log(text, today=TODAY)
    assert isinstance(found, LogParseError) and found.code == "account_too_long"


def test_non_string_is_refused_not_raised() -> None:
    found = parse_log(None, today=TODAY)  # type: ignore[arg-type]
    assert isinstance(found, LogParseError) and found.code == "invalid_text"


# --- lines nobody planned for -------------------------------------------------------

_TABLES = (vocabulary.ACTION_TYPES, vocabulary.RESULTS, vocabulary.CONTACT_FUNCTIONS)
_KEYWORDS = sorted({kw for table in _TABLES for keywords in table.values() for kw in keywords})
_PIECES = st.one_of(
    st.sampled_from(_KEYWORDS),
    st.sampled_from(
        [
            *("avec", "with", "--", "—", '"', "«", "»", "“", "”", "(", ")", "(acheteur)"),
            *("hier", "lundi dernier", "3 avril", "32/13", "demain", "le", "il y a", "3/4"),
            *("2026-04-03", "🚀", "شركة", "O'Neil", "\x00", "\n"),
        ]
    ),
    st.text(min_size=1, max_size=12),
)


def _check(text: str) -> None:
    found = parse_log(text, today=TODAY)
    assert isinstance(found, (LogCommand, LogParseError))
    if isinstance(found, LogParseError):
        assert found.code in ERROR_CODES
        # invalid_text only ever means "too long": anything else is an internal failure.
        assert found.code != "invalid_text" or len(text) > MAX_TEXT_LENGTH
    else:
        assert found.account and len(found.account) <= MAX_ACCOUNT_LENGTH
        assert found.occurred_on <= TODAY
        assert found.note is None or len(found.note) <= MAX_NOTE_LENGTH


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_an_answer(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=0, max_size=10))
def test_keyword_soup_gives_an_answer(pieces: list[str]) -> None:
    _check(" ".join(pieces))
