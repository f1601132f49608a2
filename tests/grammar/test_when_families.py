"""Issue 13 §2, family by family, French and English: each phrase of the corpus's first block
read exactly; which day a span gives and why; business hours; DST; fuzzing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.when import (
    looks_like_date,
    looks_like_future_day,
    looks_like_when,
    parse_day_any,
    parse_future_day,
    parse_past_day,
    parse_when,
    past_span,
    read_day,
    read_when,
    warm_up,
    when_has_time,
)
from bot.grammar.when_phrases import MAX_PHRASE_LENGTH, prepare
from tests.grammar.test_when_corpus import ENGLISH, FRENCH, NOW, Case, read

WEDNESDAY = NOW.date()  # 2026-12-02
FR = ("fr", "en")
EN = ("en", "fr")


@pytest.mark.parametrize(
    "case", FRENCH + ENGLISH, ids=[f"{c.language}-{c.family}-{c.kind}-{c.phrase}" for c in FRENCH + ENGLISH]
)
def test_family(case: Case) -> None:
    assert read(case) == case.expected


# --- Spans: which day, and why ----------------------------------------------------------------

SPAN_RULES = [
    # phrase, languages, visit, day, span, rule
    ("fin mars", FR, True, date(2027, 3, 31), (date(2027, 3, 21), date(2027, 3, 31)), "last_workday"),
    ("fin février", FR, False, date(2027, 2, 28), (date(2027, 2, 21), date(2027, 2, 28)), "last_day"),
    ("fin février", FR, True, date(2027, 2, 26), (date(2027, 2, 21), date(2027, 2, 28)), "last_workday"),
    ("end of february", EN, True, date(2027, 2, 26), (date(2027, 2, 21), date(2027, 2, 28)), "last_workday"),
    ("mi-décembre", FR, True, date(2026, 12, 15), (date(2026, 12, 11), date(2026, 12, 20)), "fifteenth"),
    ("mid-may", EN, True, date(2027, 5, 14), (date(2027, 5, 11), date(2027, 5, 20)), "fifteenth"),  # 15th: Saturday
    ("début janvier", FR, True, date(2027, 1, 4), (date(2027, 1, 1), date(2027, 1, 10)), "first_workday"),
    ("early april", EN, False, date(2027, 4, 1), (date(2027, 4, 1), date(2027, 4, 10)), "first_workday"),
    ("début décembre", FR, True, date(2026, 12, 2), (date(2026, 12, 1), date(2026, 12, 10)), "next_workday"),
    ("ce week-end", FR, True, date(2026, 12, 5), (date(2026, 12, 5), date(2026, 12, 6)), "saturday"),
    ("this weekend", EN, True, date(2026, 12, 5), (date(2026, 12, 5), date(2026, 12, 6)), "saturday"),
    ("fin de la semaine prochaine", FR, True, date(2026, 12, 11), (date(2026, 12, 11), date(2026, 12, 13)), "friday"),
    ("early next week", EN, True, date(2026, 12, 7), (date(2026, 12, 7), date(2026, 12, 8)), "monday"),
    ("la semaine prochaine", FR, True, date(2026, 12, 9), (date(2026, 12, 7), date(2026, 12, 13)), "same_weekday"),
    ("la semaine du 14", FR, True, date(2026, 12, 14), (date(2026, 12, 14), date(2026, 12, 20)), "monday"),
    ("avant vendredi", FR, False, date(2026, 12, 3), (WEDNESDAY, date(2026, 12, 3)), "day_before"),
]


@pytest.mark.parametrize(("phrase", "languages", "visit", "day", "span", "rule"), SPAN_RULES)
def test_span_rules(
    phrase: str, languages: tuple[str, ...], visit: bool, day: date, span: tuple[date, date], rule: str
) -> None:
    found = read_day(phrase, today=WEDNESDAY, languages=languages, visit=visit)
    assert found is not None
    assert (found.day, found.span, found.rule) == (day, span, rule)


def test_read_when_says_the_span_and_whether_a_time_was_said() -> None:
    found = read_when("fin mars", now_local=NOW, languages=FR)
    assert found is not None
    assert found.moment == datetime(2027, 3, 31, 9, 0)
    assert (found.span, found.rule, found.has_time) == ((date(2027, 3, 21), date(2027, 3, 31)), "last_workday", False)
    timed = read_when("samedi 16 à 18h", now_local=NOW, languages=FR)
    assert timed is not None and timed.has_time and timed.span is None


PAST_SPANS = [
    ("le mois dernier", FR, (date(2026, 11, 1), date(2026, 11, 30))),
    ("last month", EN, (date(2026, 11, 1), date(2026, 11, 30))),
    ("la semaine dernière", FR, (date(2026, 11, 23), date(2026, 11, 29))),
    ("last week", EN, (date(2026, 11, 23), date(2026, 11, 29))),
    ("cette semaine", FR, (date(2026, 11, 30), WEDNESDAY)),
    ("début décembre", FR, (date(2026, 12, 1), WEDNESDAY)),
    ("hier", FR, (date(2026, 12, 1), date(2026, 12, 1))),
    ("dimanche de la semaine dernière", FR, (date(2026, 11, 29), date(2026, 11, 29))),
    ("la semaine prochaine", FR, None),
    ("demain", FR, None),
    ("Gamma", FR, None),
]


@pytest.mark.parametrize(("phrase", "languages", "span"), PAST_SPANS)
def test_past_span(phrase: str, languages: tuple[str, ...], span: tuple[date, date] | None) -> None:
    assert past_span(phrase, today=WEDNESDAY, languages=languages) == span


@pytest.mark.parametrize("phrase", ["le mois dernier", "last month", "fin novembre", "le week-end dernier", "en novembre"])
def test_a_past_span_is_not_one_day(phrase: str) -> None:
    assert parse_past_day(phrase, today=WEDNESDAY) is None
    assert looks_like_date(phrase)  # so the /log grammar never files it into a name


def test_last_week_keeps_its_older_reading_as_one_day() -> None:
    # test_when.py pins "la semaine dernière" → 7 days ago; past_span tells it is a week.
    assert parse_past_day("la semaine dernière", today=WEDNESDAY) == date(2026, 11, 25)
    assert past_span("la semaine dernière", today=WEDNESDAY) == (date(2026, 11, 23), date(2026, 11, 29))


# --- Business hours ---------------------------------------------------------------------------

BUSINESS_HOURS = [
    ("3:30", EN, datetime(2026, 12, 2, 15, 30)),
    ("3:30", FR, datetime(2026, 12, 2, 15, 30)),
    ("at 4", EN, datetime(2026, 12, 2, 16, 0)),
    ("à 4", FR, datetime(2026, 12, 2, 16, 0)),
    ("at 7:59", EN, datetime(2026, 12, 2, 19, 59)),
    ("at 8", EN, datetime(2026, 12, 3, 8, 0)),  # 8 to 12 stay in the morning
    ("at 12", EN, datetime(2026, 12, 2, 12, 0)),
    ("03:30", EN, datetime(2026, 12, 3, 3, 30)),  # a leading zero is read as written
    ("3:30 am", EN, datetime(2026, 12, 3, 3, 30)),
    ("3h30", FR, datetime(2026, 12, 3, 3, 30)),  # French h times are 24-hour
    ("3:30 in the morning", EN, datetime(2026, 12, 3, 3, 30)),
    ("a quarter past 3", EN, datetime(2026, 12, 2, 15, 15)),
]


@pytest.mark.parametrize(("phrase", "languages", "expected"), BUSINESS_HOURS)
def test_business_hours(phrase: str, languages: tuple[str, ...], expected: datetime) -> None:
    assert parse_when(phrase, now_local=NOW, languages=languages) == expected


@pytest.mark.parametrize(
    ("phrase", "has_time"),
    [("at 4", True), ("midi et quart", True), ("quinze heures trente", True), ("a quarter past 3", True),
     ("en fin de matinée", False), ("ce week-end", False), ("lundi en huit", False)],
)  # fmt: skip
def test_when_has_time(phrase: str, has_time: bool) -> None:
    assert when_has_time(phrase) is has_time


# --- Across daylight-saving changes ---------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("phrase", "now", "expected"),
    [
        # Europe springs forward on 2027-03-28 (02:00 → 03:00), falls back on 2027-10-31.
        ("dans 2 heures", datetime(2027, 3, 28, 1, 30, tzinfo=PARIS), datetime(2027, 3, 28, 4, 30)),
        ("in 90 minutes", datetime(2027, 10, 31, 1, 45, tzinfo=PARIS), datetime(2027, 10, 31, 2, 15)),
        # The US changes on 2027-03-14: wall times stay as typed.
        ("tomorrow at 3:30", datetime(2027, 3, 13, 10, 0, tzinfo=NEW_YORK), datetime(2027, 3, 14, 15, 30)),
        ("sunday at 2:30 am", datetime(2027, 3, 13, 10, 0, tzinfo=NEW_YORK), datetime(2027, 3, 14, 2, 30)),
        ("lundi en huit à 10h", datetime(2027, 3, 26, 16, 0, tzinfo=PARIS), datetime(2027, 4, 5, 10, 0)),
    ],
)
def test_across_dst(phrase: str, now: datetime, expected: datetime) -> None:
    found = parse_when(phrase, now_local=now)
    assert found == expected
    if phrase.startswith(("dans", "in ")):  # durations are real elapsed time
        elapsed = found.replace(tzinfo=now.tzinfo).astimezone(UTC) - now.astimezone(UTC)
        assert elapsed == timedelta(minutes=120 if "2 heures" in phrase else 90)


# --- Shapes that are dates but wrong, and never silently a day --------------------------------------

@pytest.mark.parametrize(
    "phrase",
    ["lundi 15 décembre", "Monday, December 15", "samedi 15/01", "le 31 février", "vingt-cinq heures",
     "lundi ou mardi", "mardi 10h 11h"],
)  # fmt: skip
def test_contradictions_look_like_dates_but_read_as_none(phrase: str) -> None:
    assert parse_future_day(phrase, today=WEDNESDAY) is None
    assert parse_when(phrase, now_local=NOW) is None


@pytest.mark.parametrize("phrase", ["lundi 15 décembre", "samedi 15/01", "le 31 février", "vingt-cinq heures"])
def test_mistyped_dates_look_like_dates(phrase: str) -> None:
    assert looks_like_future_day(phrase) or looks_like_when(phrase)


@pytest.mark.parametrize("phrase", ["Gamma", "Sun Microsystems", "Le Procope", "vers", "Mer du Nord", "Beta 10h"])
def test_names_are_not_dates(phrase: str) -> None:
    assert parse_when(phrase, now_local=NOW) is None
    assert parse_day_any(phrase, today=WEDNESDAY) is None
    assert not looks_like_when(phrase)
    assert not looks_like_date(phrase)


# --- Fuzzing ---------------------------------------------------------------------------------------

_WORDS = [
    "lundi", "samedi", "friday", "mon", "sun", "mar", "15", "16", "3", "#", "+", "-", "/", ":", "h", "18h",
    "3:30", "pm", "am", "à", "at", "vers", "environ", "de", "la", "du", "of", "the", "le", "semaine",
    "week", "mois", "month", "prochain", "next", "dernier", "last", "fin", "mi-", "début", "early",
    "en", "huit", "quinze", "il", "y", "a", "dans", "in", "ago", "jours", "days", "midi", "et", "quart",
    "half", "past", "quarter", "avant", "by", "d'ici", "week-end", "soir", "tonight", "noël", "easter",
    "premier", "first", "12/12", "2027", "mars", "march", "d+1", "weekof", "span",
]  # fmt: skip
PHRASES = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_up()  # dateparser's data loads once, outside the examples' deadline


@settings(max_examples=400, deadline=timedelta(milliseconds=500))
@given(PHRASES, st.sampled_from([FR, EN, ("de",), ()]))
def test_nothing_raises_and_nothing_is_slow(phrase: str, languages: tuple[str, ...]) -> None:
    for past in (True, False):
        found = read_day(phrase, today=WEDNESDAY, languages=languages, past=past)
        assert found is None or found.day is None or isinstance(found.day, date)
    span = past_span(phrase, today=WEDNESDAY, languages=languages)
    assert span is None or span[0] <= span[1] <= WEDNESDAY
    moment = parse_when(phrase, now_local=NOW, languages=languages)
    assert moment is None or (isinstance(moment, datetime) and moment.tzinfo is None)
    looks_like_when(phrase)
    looks_like_date(phrase)
    when_has_time(phrase)


def test_empty_and_long_input_is_refused_before_reading() -> None:
    assert prepare("") is None
    assert prepare("lundi " * 100) is None
    assert prepare("x" * (MAX_PHRASE_LENGTH + 1)) is None
    assert parse_when("demain 10h " + " " * MAX_PHRASE_LENGTH, now_local=NOW) is None
