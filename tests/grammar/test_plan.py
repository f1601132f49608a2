"""The /plan and /relance grammars: a table of lines in French and English, and lines nobody planned for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import vocabulary
from bot.grammar.plan import (
    ERROR_CODES,
    MAX_NOTE_LENGTH,
    MAX_TEXT_LENGTH,
    PlanCommand,
    PlanParseError,
    parse_plan,
    parse_relance,
)
from bot.grammar.when import looks_like_when, when_has_time

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday, 10:00 wall time
# Europe springs forward on Sunday 2027-03-28: wall times are returned as typed.
FRI_DST = datetime(2027, 3, 26, 18, 0)
FR = ("fr", "en")
EN = ("en", "fr")

Parser = Callable[..., PlanCommand | PlanParseError]


@dataclass(frozen=True)
class Case:
    command: str  # "plan" | "relance"
    text: str
    expected: PlanCommand | PlanParseError
    now: datetime = NOW
    languages: tuple[str, ...] = FR

    def __str__(self) -> str:  # readable test ids
        return f"{self.command}:{self.text[:50]}@{self.now:%m%d%H%M}"


def _at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)


def plan(
    text: str,
    action_type: str,
    account: str,
    due: datetime,
    when: str,
    *,
    has_time: bool = False,
    note: str | None = None,
    far: bool = False,
    now: datetime = NOW,
    languages: tuple[str, ...] = FR,
    command: str = "plan",
) -> Case:
    expected = PlanCommand("plan", action_type, account, due, has_time, when, note, far)
    return Case(command, text, expected, now, languages)


def relance(text: str, account: str, due: datetime, when: str, **kwargs: object) -> Case:
    return plan(text, "follow_up", account, due, when, command="relance", **kwargs)  # type: ignore[arg-type]


def listing(text: str) -> Case:
    return Case("plan", text, PlanCommand("list", None, None, None))


def err(
    text: str,
    code: str,
    understood: dict[str, str] | None = None,
    *,
    detail: str | None = None,
    suggestion: str | None = None,
    now: datetime = NOW,
    languages: tuple[str, ...] = FR,
    command: str = "plan",
) -> Case:
    expected = PlanParseError(code, understood or {}, detail, suggestion)
    return Case(command, text, expected, now, languages)


VISIT = {"action_type": "visit"}
VISIT_BETA = {"action_type": "visit", "account": "Beta"}
FOLLOW = {"action_type": "follow_up"}


def seen(when: str, due: str, base: dict[str, str] = VISIT_BETA) -> dict[str, str]:
    return {**base, "when_phrase": when, "due_local": due}


CASES = [
    # --- the examples (Monday 2026-11-23 10:00)
    plan("visite Beta mardi 10h", "visit", "Beta", _at(11, 24, 10), "mardi 10h", has_time=True),
    # "matin" names a part of the day (09:00), not a time: has_time stays False.
    plan(
        'visite "Alpha Industries" demain matin',
        "visit",
        "Alpha Industries",
        _at(11, 24, 9),
        "demain matin",
    ),
    plan("relance Gamma dans 3 jours", "follow_up", "Gamma", _at(11, 26, 9), "dans 3 jours"),
    relance("Gamma dans 3 jours", "Gamma", _at(11, 26, 9), "dans 3 jours"),
    plan(
        "call Delta next tuesday 2pm",
        "call",
        "Delta",
        _at(11, 24, 14),
        "next tuesday 2pm",
        has_time=True,
    ),
    plan("visite Beta le 15", "visit", "Beta", _at(12, 15, 9), "le 15"),
    plan(
        "rdv Gamma Sud jeudi 14h30 -- apporter la démo",
        "meeting",
        "Gamma Sud",
        _at(11, 26, 14, 30),
        "jeudi 14h30",
        has_time=True,
        note="apporter la démo",
    ),
    # --- French
    plan("Visite beta MARDI 10H", "visit", "beta", _at(11, 24, 10), "MARDI 10H", has_time=True),
    plan(
        "NEGOCIATION Alpha vendredi 11h",
        "negotiation",
        "Alpha",
        _at(11, 27, 11),
        "vendredi 11h",
        has_time=True,
    ),
    plan(
        'négociation "Café du Matin" demain après-midi',
        "negotiation",
        "Café du Matin",
        _at(11, 24, 14),
        "demain après-midi",
    ),
    plan("appel Epsilon 14h", "call", "Epsilon", _at(11, 23, 14), "14h", has_time=True),
    plan(
        "appel Epsilon 9h", "call", "Epsilon", _at(11, 24, 9), "9h", has_time=True
    ),  # passed: tomorrow
    # Monday 10:00 said on Monday at 10:00 is not the future: next Monday.
    plan("visio Zeta lundi 10h", "video", "Zeta", _at(11, 30, 10), "lundi 10h", has_time=True),
    plan(
        "démo Eta le 15 décembre à 15h",
        "demo",
        "Eta",
        _at(12, 15, 15),
        "le 15 décembre à 15h",
        has_time=True,
    ),
    plan(
        "email Theta 15/12 14:30",
        "email",
        "Theta",
        _at(12, 15, 14, 30),
        "15/12 14:30",
        has_time=True,
    ),
    plan("visite Beta vendredi prochain", "visit", "Beta", _at(11, 27, 9), "vendredi prochain"),
    plan("visite Beta ce soir", "visit", "Beta", _at(11, 23, 18), "ce soir"),
    plan(
        "visite Beta dans 2 heures",
        "visit",
        "Beta",
        _at(11, 23, 12),
        "dans 2 heures",
        has_time=True,
    ),
    plan("visite Beta fin du mois", "visit", "Beta", _at(11, 30, 9), "fin du mois"),
    plan(
        "visite Beta mardi de la semaine prochaine",
        "visit",
        "Beta",
        _at(12, 1, 9),
        "mardi de la semaine prochaine",
    ),
    plan(
        "rendez-vous Beta après-demain 16h",
        "meeting",
        "Beta",
        _at(11, 25, 16),
        "après-demain 16h",
        has_time=True,
    ),
    plan(
        "visite «Le Procope» mercredi midi",
        "visit",
        "Le Procope",
        _at(11, 25, 12),
        "mercredi midi",
        has_time=True,
    ),
    plan("follow-up Gamma demain", "follow_up", "Gamma", _at(11, 24, 9), "demain"),
    plan("visite Beta, demain 10h", "visit", "Beta", _at(11, 24, 10), "demain 10h", has_time=True),
    plan(
        "visite Beta demain — appeler avant",
        "visit",
        "Beta",
        _at(11, 24, 9),
        "demain",
        note="appeler avant",
    ),
    plan("visite Beta demain --", "visit", "Beta", _at(11, 24, 9), "demain"),
    # "aujourd'hui" after 09:00 is the next whole hour, with no time named.
    plan("visite Beta aujourd'hui", "visit", "Beta", _at(11, 23, 11), "aujourd'hui"),
    plan(
        "visite Gamma Sud Est dans 3 jours à 15h",
        "visit",
        "Gamma Sud Est",
        _at(11, 26, 15),
        "dans 3 jours à 15h",
        has_time=True,
    ),
    plan("visite 3M demain", "visit", "3M", _at(11, 24, 9), "demain"),
    # Far ahead: returned, flagged for the dialogue to confirm.
    plan(
        "visite Beta dans 365 jours", "visit", "Beta", _at(11, 23, 9, year=2027), "dans 365 jours"
    ),
    plan(
        "visite Beta dans 366 jours",
        "visit",
        "Beta",
        _at(11, 24, 9, year=2027),
        "dans 366 jours",
        far=True,
    ),
    plan(
        "visite Beta dans 2 ans", "visit", "Beta", _at(11, 23, 9, year=2028), "dans 2 ans", far=True
    ),
    plan(
        "visite Beta 15/01/2028", "visit", "Beta", _at(1, 15, 9, year=2028), "15/01/2028", far=True
    ),
    # --- English
    plan(
        "visit Beta tomorrow at 10am",
        "visit",
        "Beta",
        _at(11, 24, 10),
        "tomorrow at 10am",
        has_time=True,
        languages=EN,
    ),
    plan(
        'call "Alpha Industries" tuesday at 2:30 pm',
        "call",
        "Alpha Industries",
        _at(11, 24, 14, 30),
        "tuesday at 2:30 pm",
        has_time=True,
        languages=EN,
    ),
    plan("meeting Gamma in 3 days", "meeting", "Gamma", _at(11, 26, 9), "in 3 days", languages=EN),
    plan(
        "video Delta tomorrow afternoon",
        "video",
        "Delta",
        _at(11, 24, 14),
        "tomorrow afternoon",
        languages=EN,
    ),
    plan(
        "demo Delta friday 9am",
        "demo",
        "Delta",
        _at(11, 27, 9),
        "friday 9am",
        has_time=True,
        languages=EN,
    ),
    plan("visit Beta 12/15", "visit", "Beta", _at(12, 15, 9), "12/15", languages=EN),  # month/day
    plan("visit Beta next week", "visit", "Beta", _at(11, 30, 9), "next week", languages=EN),
    plan("call Beta end of month", "call", "Beta", _at(11, 30, 9), "end of month", languages=EN),
    plan("visit Beta tonight", "visit", "Beta", _at(11, 23, 18), "tonight", languages=EN),
    plan(
        "visit Beta in 2 hours",
        "visit",
        "Beta",
        _at(11, 23, 12),
        "in 2 hours",
        has_time=True,
        languages=EN,
    ),
    plan(
        "follow up Gamma the day after tomorrow at 10am",
        "follow_up",
        "Gamma",
        _at(11, 25, 10),
        "the day after tomorrow at 10am",
        has_time=True,
        languages=EN,
    ),
    plan("visit Beta noon", "visit", "Beta", _at(11, 23, 12), "noon", has_time=True, languages=EN),
    plan(
        "negotiation Beta in 2 years",
        "negotiation",
        "Beta",
        _at(11, 23, 9, year=2028),
        "in 2 years",
        far=True,
        languages=EN,
    ),
    # --- /relance
    relance(
        '"Alpha Industries" demain 10h -- rappeler le devis',
        "Alpha Industries",
        _at(11, 24, 10),
        "demain 10h",
        has_time=True,
        note="rappeler le devis",
    ),
    relance(
        "Gamma next tuesday 2pm",
        "Gamma",
        _at(11, 24, 14),
        "next tuesday 2pm",
        has_time=True,
        languages=EN,
    ),
    relance("Gamma Sud le 15", "Gamma Sud", _at(12, 15, 9), "le 15"),
    relance(
        "relance Gamma demain", "relance Gamma", _at(11, 24, 9), "demain"
    ),  # no type in /relance
    # --- listing this week
    listing(""),
    listing("   "),
    listing("liste"),
    listing("List"),
    listing("Semaine"),
    listing("week"),
    listing("cette semaine"),
    listing("this week"),
    # --- Friday 2027-03-26 18:00, before the 2027-03-28 DST change: wall times as typed
    plan(
        "visite Beta demain 10h",
        "visit",
        "Beta",
        _at(3, 27, 10, year=2027),
        "demain 10h",
        has_time=True,
        now=FRI_DST,
    ),
    # 02:30 does not exist that night: returned as typed, converting is the caller's job.
    plan(
        "visite Beta dimanche 2h30",
        "visit",
        "Beta",
        _at(3, 28, 2, 30, year=2027),
        "dimanche 2h30",
        has_time=True,
        now=FRI_DST,
    ),
    plan(
        "visite Beta lundi matin",
        "visit",
        "Beta",
        _at(3, 29, 9, year=2027),
        "lundi matin",
        now=FRI_DST,
    ),
    plan(
        "visite Beta dans 3 jours",
        "visit",
        "Beta",
        _at(3, 29, 9, year=2027),
        "dans 3 jours",
        now=FRI_DST,
    ),
    plan(
        "call Beta sunday 3am",
        "call",
        "Beta",
        _at(3, 28, 3, year=2027),
        "sunday 3am",
        has_time=True,
        now=FRI_DST,
        languages=EN,
    ),
    plan(
        "visite Beta ce soir 20h",
        "visit",
        "Beta",
        _at(3, 26, 20, year=2027),
        "ce soir 20h",
        has_time=True,
        now=FRI_DST,
    ),
    plan(
        "visite Beta vendredi 17h",
        "visit",
        "Beta",
        _at(4, 2, 17, year=2027),
        "vendredi 17h",
        has_time=True,
        now=FRI_DST,
    ),  # passed today: next Friday
    relance(
        "Gamma dans 2 heures",
        "Gamma",
        _at(3, 26, 20, year=2027),
        "dans 2 heures",
        has_time=True,
        now=FRI_DST,
    ),
    err(
        "visite Beta ce soir",
        "past_when",
        seen("ce soir", "2027-03-26T18:00"),
        detail="ce soir",
        now=FRI_DST,
    ),
    # --- errors
    err("visitte Beta demain", "unknown_type", detail="visitte", suggestion="visite"),
    err("apel Beta demain", "unknown_type", detail="apel", suggestion="appel"),
    err("blabla Beta demain", "unknown_type", detail="blabla"),
    err('"Alpha" demain', "unknown_type", detail="Alpha"),
    err("visite", "missing_account", VISIT),
    err("visite -- juste une note", "missing_account", VISIT),
    err("visite demain 10h", "missing_account", seen("demain 10h", "2026-11-24T10:00", VISIT)),
    err("visite 32/13", "missing_account", VISIT, detail="32/13"),
    err('visite "???" demain', "missing_account", VISIT, detail="???"),
    err("", "missing_account", FOLLOW, command="relance"),
    err("visite Beta", "missing_when", VISIT_BETA),
    err('visite "Alpha Industries"', "missing_when", {**VISIT, "account": "Alpha Industries"}),
    err("visite Beta 15", "missing_when", {**VISIT, "account": "Beta 15"}),
    err("Gamma", "missing_when", {**FOLLOW, "account": "Gamma"}, command="relance"),
    err("visite Beta 32/13", "bad_when", VISIT_BETA, detail="32/13"),
    err("visite Beta 25h", "bad_when", VISIT_BETA, detail="25h"),
    err("visite Beta mardi 26h", "bad_when", VISIT_BETA, detail="mardi 26h"),
    err("visite Beta 31/02", "bad_when", VISIT_BETA, detail="31/02"),
    err("visite Beta le 32 à 10h", "bad_when", VISIT_BETA, detail="le 32 à 10h"),
    err(
        "call Beta 13pm",
        "bad_when",
        {"action_type": "call", "account": "Beta"},
        detail="13pm",
        languages=EN,
    ),
    err("visite Beta hier", "past_when", seen("hier", "2026-11-22T09:00"), detail="hier"),
    err(
        "visit Beta yesterday",
        "past_when",
        seen("yesterday", "2026-11-22T09:00"),
        detail="yesterday",
        languages=EN,
    ),
    err(
        "visite Beta lundi dernier",
        "past_when",
        seen("lundi dernier", "2026-11-16T09:00"),
        detail="lundi dernier",
    ),
    err(
        "visite Beta 15/12/2025",
        "past_when",
        seen("15/12/2025", "2025-12-15T09:00"),
        detail="15/12/2025",
    ),
    err(
        "visite Beta aujourd'hui 8h",
        "past_when",
        seen("aujourd'hui 8h", "2026-11-23T08:00"),
        detail="aujourd'hui 8h",
    ),
    err(
        "Gamma il y a 3 jours",
        "past_when",
        seen("il y a 3 jours", "2026-11-20T09:00", {**FOLLOW, "account": "Gamma"}),
        detail="il y a 3 jours",
        command="relance",
    ),
    err(
        'visite "Alpha Industries demain',
        "unclosed_quote",
        VISIT,
        detail='"Alpha Industries demain',
    ),
    err("«Alpha demain", "unclosed_quote", FOLLOW, detail="«Alpha demain", command="relance"),
    err(
        "visite Beta demain -- " + "x" * (MAX_NOTE_LENGTH + 1),
        "note_too_long",
        seen("demain", "2026-11-24T09:00"),
        detail="x" * (MAX_NOTE_LENGTH + 1),
    ),
    err("visite Beta demain -- " + "x" * MAX_TEXT_LENGTH, "invalid_text"),
    # words of a date that no reading took never go into a name (issue 13 §1)
    err("visite Beta lundi Sud 10h", "unread_date", VISIT_BETA, detail="lundi"),
    err("visite Lundi Matin SARL demain", "unread_date", VISIT, detail="Lundi Matin"),
    plan('visite "Lundi Matin SARL" demain', "visit", "Lundi Matin SARL", _at(11, 24, 9), "demain"),
]

_PARSERS: dict[str, Parser] = {"plan": parse_plan, "relance": parse_relance}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parse(case: Case) -> None:
    parser = _PARSERS[case.command]
    assert parser(case.text, now_local=case.now, languages=case.languages) == case.expected


def test_table_is_big_and_covers_every_error_code() -> None:
    assert len(CASES) >= 50
    codes = {c.expected.code for c in CASES if isinstance(c.expected, PlanParseError)}
    assert codes == set(ERROR_CODES)
    assert {c.languages[0] for c in CASES} == {"fr", "en"}


def test_every_action_keyword_plans() -> None:
    for code, keywords in vocabulary.ACTION_TYPES.items():
        for word in keywords:
            found = parse_plan(f"{word} Beta demain 10h", now_local=NOW)
            assert isinstance(found, PlanCommand), word
            assert (found.action_type, found.account) == (code, "Beta"), word


def test_aware_now_is_compared_by_its_wall_time() -> None:
    now = NOW.replace(tzinfo=ZoneInfo("Europe/Paris"))
    found = parse_plan("visite Beta mardi 10h", now_local=now)
    assert isinstance(found, PlanCommand)
    assert found.due_local == _at(11, 24, 10) and found.due_local.tzinfo is None
    past = parse_plan("visite Beta aujourd'hui 8h", now_local=now)
    assert isinstance(past, PlanParseError) and past.code == "past_when"


def test_unknown_or_missing_languages_fall_back() -> None:
    for languages in (("de",), (), "fr"):
        found = parse_plan("visite Beta demain 10h", now_local=NOW, languages=languages)  # type: ignore[arg-type]
        assert isinstance(found, PlanCommand) and found.due_local == _at(11, 24, 10)


def test_not_text_is_refused_not_raised() -> None:
    for parser in (parse_plan, parse_relance):
        found = parser(None, now_local=NOW)  # type: ignore[arg-type]
        assert found == PlanParseError("invalid_text")
        found = parser("visite Beta demain", now_local="now")  # type: ignore[arg-type]
        assert found == PlanParseError("invalid_text")


def test_line_breaks_are_spaces() -> None:
    found = parse_plan("visite\nBeta\tmardi\r\n10h", now_local=NOW)
    assert isinstance(found, PlanCommand) and found.due_local == _at(11, 24, 10)


def test_text_at_the_limit_is_read() -> None:
    head = "visite Beta demain -- "
    text = head + "x" * (MAX_TEXT_LENGTH - len(head))
    found = parse_plan(text, now_local=NOW)
    assert isinstance(found, PlanParseError) and found.code == "note_too_long"


# --- the when.py helpers this grammar relies on ------------------------------------


@pytest.mark.parametrize(
    ("phrase", "shaped", "timed"),
    [
        ("mardi 10h", True, True),
        ("demain matin", True, False),
        ("midi", True, True),
        ("dans 2 heures", True, True),
        ("aujourd'hui", True, False),
        ("25h", True, False),
        ("mardi 26h", True, False),
        ("32/13 10h", True, True),
        ("13pm", True, False),
        ("Beta 10h", False, True),
        ("Gamma Sud", False, False),
        ("Studio 54", False, False),
        ("", False, False),
    ],
)
def test_when_shape_and_time_helpers(phrase: str, shaped: bool, timed: bool) -> None:
    assert looks_like_when(phrase) is shaped
    assert when_has_time(phrase) is timed


# --- lines nobody planned for -------------------------------------------------------

_KEYWORDS = sorted({kw for keywords in vocabulary.ACTION_TYPES.values() for kw in keywords})
_PIECES = st.one_of(
    st.sampled_from(_KEYWORDS),
    st.sampled_from(
        [
            *("--", "—", '"', "«", "»", "“", "”", "liste", "semaine"),
            *("demain", "matin", "mardi", "10h", "25h", "2pm", "dans", "3", "jours", "le", "15"),
            *("hier", "lundi dernier", "32/13", "15/12/2025", "next", "tuesday", "in", "hours"),
            *("aujourd'hui", "ce soir", "midi", "ans", "9999", "🚀", "شركة", "\x00", "\n"),
        ]
    ),
    st.text(min_size=1, max_size=12),
)


def _check(found: PlanCommand | PlanParseError, text: str, now: datetime) -> None:
    assert isinstance(found, (PlanCommand, PlanParseError))
    if isinstance(found, PlanParseError):
        assert found.code in ERROR_CODES
        assert found.code != "invalid_text" or len(text) > MAX_TEXT_LENGTH
        assert all(isinstance(v, str) for v in found.understood.values())
        return
    if found.kind == "list":
        return
    assert found.kind == "plan" and found.account and found.action_type
    assert found.due_local is not None and found.due_local.tzinfo is None
    assert found.due_local > now
    assert found.far_ahead == (found.due_local > now + timedelta(days=365))
    assert found.note is None or len(found.note) <= MAX_NOTE_LENGTH


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from([FR, EN]))
def test_any_text_gives_an_answer(text: str, languages: tuple[str, ...]) -> None:
    _check(parse_plan(text, now_local=NOW, languages=languages), text, NOW)
    _check(parse_relance(text, now_local=NOW, languages=languages), text, NOW)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=10), st.sampled_from([NOW, FRI_DST]))
def test_grammar_shaped_lines_give_an_answer(pieces: list[str], now: datetime) -> None:
    text = " ".join(pieces)
    _check(parse_plan(text, now_local=now), text, now)
    _check(parse_relance(text, now_local=now), text, now)
