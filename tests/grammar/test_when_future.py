"""Days ahead (close dates, next steps) and planning times, in French and English."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.when import looks_like_future_day, parse_future_day, parse_when

MONDAY = date(2026, 11, 23)  # a Monday
FRIDAY = date(2026, 11, 27)
LATE_DECEMBER = date(2026, 12, 20)  # a Sunday, days before a year boundary
FR = ("fr", "en")
EN = ("en", "fr")

FUTURE_DAYS = [
    # phrase, languages, today, expected
    ("15/12", FR, MONDAY, date(2026, 12, 15)),
    ("15/12", EN, MONDAY, date(2026, 12, 15)),  # impossible as month/day: read day/month
    ("15/01", FR, MONDAY, date(2027, 1, 15)),
    ("23/11", FR, MONDAY, date(2026, 11, 23)),  # today counts
    ("22/11", FR, MONDAY, date(2027, 11, 22)),
    ("3/4", FR, MONDAY, date(2027, 4, 3)),
    ("3/4", EN, MONDAY, date(2027, 3, 4)),
    ("15.12", FR, MONDAY, date(2026, 12, 15)),
    ("15/12/2027", FR, MONDAY, date(2027, 12, 15)),
    ("15/12/2025", FR, MONDAY, date(2025, 12, 15)),  # typed year: taken as is, even past
    ("2026-12-15", FR, MONDAY, date(2026, 12, 15)),
    ("15 décembre", FR, MONDAY, date(2026, 12, 15)),
    ("le 15 décembre", FR, MONDAY, date(2026, 12, 15)),
    ("3 janvier", FR, MONDAY, date(2027, 1, 3)),
    ("3 janvier 2027", FR, MONDAY, date(2027, 1, 3)),
    ("december 15", EN, MONDAY, date(2026, 12, 15)),
    ("jan 3rd", EN, MONDAY, date(2027, 1, 3)),
    ("29 février", FR, MONDAY, date(2028, 2, 29)),
    ("le 15", FR, MONDAY, date(2026, 12, 15)),
    ("le 30", FR, MONDAY, date(2026, 11, 30)),
    ("le 31", FR, MONDAY, date(2026, 12, 31)),
    ("the 23rd", EN, MONDAY, date(2026, 11, 23)),
    ("le 5", FR, LATE_DECEMBER, date(2027, 1, 5)),
    ("15/01", FR, LATE_DECEMBER, date(2027, 1, 15)),
    ("aujourd'hui", FR, MONDAY, MONDAY),
    ("demain", FR, MONDAY, date(2026, 11, 24)),
    ("tomorrow", EN, MONDAY, date(2026, 11, 24)),
    ("après-demain", FR, MONDAY, date(2026, 11, 25)),
    ("demain", FR, LATE_DECEMBER, date(2026, 12, 21)),
    ("dans 3 jours", FR, MONDAY, date(2026, 11, 26)),
    ("dans 3 semaines", FR, MONDAY, date(2026, 12, 14)),
    ("dans trois semaines", FR, MONDAY, date(2026, 12, 14)),
    ("in 2 weeks", EN, MONDAY, date(2026, 12, 7)),
    ("in a week", EN, MONDAY, date(2026, 11, 30)),
    ("within 10 days", EN, MONDAY, date(2026, 12, 3)),
    ("sous 15 jours", FR, MONDAY, date(2026, 12, 8)),
    ("d'ici 2 mois", FR, MONDAY, date(2027, 1, 23)),
    ("dans un mois", FR, date(2027, 1, 31), date(2027, 2, 28)),
    ("dans 1 an", FR, MONDAY, date(2027, 11, 23)),
    ("le mois prochain", FR, MONDAY, date(2026, 12, 23)),
    ("next month", EN, MONDAY, date(2026, 12, 23)),
    ("la semaine prochaine", FR, MONDAY, date(2026, 11, 30)),
    ("next week", EN, MONDAY, date(2026, 11, 30)),
    ("vendredi", FR, MONDAY, FRIDAY),
    ("ce vendredi", FR, MONDAY, FRIDAY),
    ("this friday", EN, MONDAY, FRIDAY),
    ("vendredi", FR, FRIDAY, FRIDAY),  # today counts
    ("lundi", FR, MONDAY, MONDAY),
    ("vendredi prochain", FR, MONDAY, FRIDAY),
    ("vendredi prochain", FR, FRIDAY, date(2026, 12, 4)),
    ("next friday", EN, MONDAY, FRIDAY),
    ("next monday", EN, MONDAY, date(2026, 11, 30)),
    ("lundi prochain", FR, MONDAY, date(2026, 11, 30)),
    ("mardi de la semaine prochaine", FR, MONDAY, date(2026, 12, 1)),
    ("friday next week", EN, MONDAY, date(2026, 12, 4)),
    ("fin du mois", FR, MONDAY, date(2026, 11, 30)),
    ("à la fin du mois", FR, MONDAY, date(2026, 11, 30)),
    ("fin de mois", FR, MONDAY, date(2026, 11, 30)),
    ("fin du mois prochain", FR, MONDAY, date(2026, 12, 31)),
    ("end of month", EN, MONDAY, date(2026, 11, 30)),
    ("end of the month", EN, date(2027, 2, 3), date(2027, 2, 28)),
    ("end of next month", EN, MONDAY, date(2026, 12, 31)),
    ("fin décembre", FR, MONDAY, date(2026, 12, 31)),
    ("fin février", FR, MONDAY, date(2027, 2, 28)),
    ("fin d'avril 2028", FR, MONDAY, date(2028, 4, 30)),
    ("end of january", EN, MONDAY, date(2027, 1, 31)),
    ("fin de semaine", FR, MONDAY, FRIDAY),
    ("end of week", EN, date(2026, 11, 28), date(2026, 12, 4)),
    ("fin d'année", FR, MONDAY, date(2026, 12, 31)),
    ("end of year", EN, MONDAY, date(2026, 12, 31)),
    ("vendredi 10h", FR, MONDAY, FRIDAY),  # times of day do not change the day
    # Past days named explicitly stay past, for "that is in the past" answers.
    ("hier", FR, MONDAY, date(2026, 11, 22)),
    ("lundi dernier", FR, MONDAY, date(2026, 11, 16)),
    ("last friday", EN, MONDAY, date(2026, 11, 20)),
]


@pytest.mark.parametrize(
    ("phrase", "languages", "today", "expected"),
    FUTURE_DAYS,
    ids=[f"{p}-{lang[0]}-{t}" for p, lang, t, _ in FUTURE_DAYS],
)
def test_future_days(phrase: str, languages: tuple[str, ...], today: date, expected: date) -> None:
    assert parse_future_day(phrase, today=today, languages=languages) == expected


@pytest.mark.parametrize(
    "phrase",
    ["", "Gamma", "12k", "50%", "31/02", "32/13", "2026-13-45", "le 32", "31 février", "fin", "x" * 80],
)
def test_not_future_days(phrase: str) -> None:
    assert parse_future_day(phrase, today=MONDAY) is None


@pytest.mark.parametrize(("phrase", "shaped"), [("32/13", True), ("fin décembre", True), ("Gamma", False)])
def test_looks_like_future_day(phrase: str, shaped: bool) -> None:
    assert looks_like_future_day(phrase) is shaped


MON_11 = datetime(2026, 11, 23, 11, 0)  # Monday 11:00
MON_8 = datetime(2026, 11, 23, 8, 0)
MON_20 = datetime(2026, 11, 23, 20, 0)
SAT_BEFORE_DST = datetime(2027, 3, 27, 20, 0)  # Europe springs forward on Sunday 2027-03-28
SUN_DST_0130 = datetime(2027, 3, 28, 1, 30)

WHEN = [
    # phrase, languages, now, expected wall time
    ("mardi 10h", FR, MON_11, datetime(2026, 11, 24, 10, 0)),
    ("mardi à 10h", FR, MON_11, datetime(2026, 11, 24, 10, 0)),
    ("mardi prochain 10h", FR, MON_11, datetime(2026, 11, 24, 10, 0)),
    ("demain matin", FR, MON_11, datetime(2026, 11, 24, 9, 0)),
    ("demain après-midi", FR, MON_11, datetime(2026, 11, 24, 14, 0)),
    ("demain apres midi", FR, MON_11, datetime(2026, 11, 24, 14, 0)),
    ("demain soir", FR, MON_11, datetime(2026, 11, 24, 18, 0)),
    ("demain midi", FR, MON_11, datetime(2026, 11, 24, 12, 0)),
    ("ce soir", FR, MON_11, datetime(2026, 11, 23, 18, 0)),
    ("cet après-midi", FR, MON_11, datetime(2026, 11, 23, 14, 0)),
    ("ce midi", FR, MON_11, datetime(2026, 11, 23, 12, 0)),
    ("ce soir 20h30", FR, MON_11, datetime(2026, 11, 23, 20, 30)),
    ("tonight", EN, MON_11, datetime(2026, 11, 23, 18, 0)),
    ("this afternoon", EN, MON_11, datetime(2026, 11, 23, 14, 0)),
    ("dans 3 jours", FR, MON_11, datetime(2026, 11, 26, 9, 0)),
    ("dans 3 jours à 15h", FR, MON_11, datetime(2026, 11, 26, 15, 0)),
    ("in 3 days", EN, MON_11, datetime(2026, 11, 26, 9, 0)),
    ("next tuesday 2pm", EN, MON_11, datetime(2026, 11, 24, 14, 0)),
    ("tuesday at 2:30 pm", EN, MON_11, datetime(2026, 11, 24, 14, 30)),
    ("le 15", FR, MON_11, datetime(2026, 12, 15, 9, 0)),
    ("le 15 décembre à 15h", FR, MON_11, datetime(2026, 12, 15, 15, 0)),
    ("15/12 14:30", FR, MON_11, datetime(2026, 12, 15, 14, 30)),
    ("demain 10h30", FR, MON_11, datetime(2026, 11, 24, 10, 30)),
    ("demain à 10 heures", FR, MON_11, datetime(2026, 11, 24, 10, 0)),
    ("14h", FR, MON_11, datetime(2026, 11, 23, 14, 0)),
    ("à 14 h 30", FR, MON_11, datetime(2026, 11, 23, 14, 30)),
    ("10h", FR, MON_11, datetime(2026, 11, 24, 10, 0)),  # passed today: tomorrow
    ("10h", FR, MON_8, datetime(2026, 11, 23, 10, 0)),
    ("lundi 14h30", FR, MON_11, datetime(2026, 11, 23, 14, 30)),
    ("lundi 10h", FR, MON_11, datetime(2026, 11, 30, 10, 0)),  # passed: next Monday
    ("le 23 9h", FR, MON_11, datetime(2026, 12, 23, 9, 0)),  # passed: next month
    ("tomorrow at 10am", EN, MON_11, datetime(2026, 11, 24, 10, 0)),
    ("tomorrow noon", EN, MON_11, datetime(2026, 11, 24, 12, 0)),
    ("12am tomorrow", EN, MON_11, datetime(2026, 11, 24, 0, 0)),
    ("vendredi 8h du soir", FR, MON_11, datetime(2026, 11, 27, 20, 0)),
    ("3h de l'après-midi", FR, MON_11, datetime(2026, 11, 23, 15, 0)),
    ("in 2 hours", EN, MON_11, datetime(2026, 11, 23, 13, 0)),
    ("dans 2 heures", FR, MON_11, datetime(2026, 11, 23, 13, 0)),
    ("dans 30 minutes", FR, MON_11, datetime(2026, 11, 23, 11, 30)),
    ("dans 1h30", FR, MON_11, datetime(2026, 11, 23, 12, 30)),
    ("dans une heure", FR, MON_11, datetime(2026, 11, 23, 12, 0)),
    ("in half an hour", EN, MON_11, datetime(2026, 11, 23, 11, 30)),
    ("aujourd'hui", FR, MON_8, datetime(2026, 11, 23, 9, 0)),
    ("aujourd'hui", FR, MON_11, datetime(2026, 11, 23, 12, 0)),  # next whole hour
    ("matin", FR, MON_11, datetime(2026, 11, 24, 9, 0)),
    ("fin de journée", FR, MON_11, datetime(2026, 11, 23, 17, 0)),
    ("fin du mois", FR, MON_11, datetime(2026, 11, 30, 9, 0)),
    ("vendredi prochain", FR, MON_11, datetime(2026, 11, 27, 9, 0)),
    ("next week", EN, MON_11, datetime(2026, 11, 30, 9, 0)),
    # Past moments named explicitly stay past; the caller answers "that is in the past".
    ("ce soir", FR, MON_20, datetime(2026, 11, 23, 18, 0)),
    ("hier 10h", FR, MON_11, datetime(2026, 11, 22, 10, 0)),
    # Across the 2027-03-28 Europe DST change: naive wall times, as typed.
    ("demain 10h", FR, SAT_BEFORE_DST, datetime(2027, 3, 28, 10, 0)),
    ("dimanche 2h30", FR, SAT_BEFORE_DST, datetime(2027, 3, 28, 2, 30)),
    ("lundi 9h", FR, SAT_BEFORE_DST, datetime(2027, 3, 29, 9, 0)),
    ("tomorrow morning", EN, SAT_BEFORE_DST, datetime(2027, 3, 28, 9, 0)),
    ("dans 3 jours", FR, datetime(2027, 3, 26, 16, 0), datetime(2027, 3, 29, 9, 0)),
    ("in 2 hours", EN, SUN_DST_0130, datetime(2027, 3, 28, 3, 30)),
    ("14h", FR, SUN_DST_0130, datetime(2027, 3, 28, 14, 0)),
]


@pytest.mark.parametrize(
    ("phrase", "languages", "now", "expected"),
    WHEN,
    ids=[f"{p}-{lang[0]}-{n:%m%d%H%M}" for p, lang, n, _ in WHEN],
)
def test_when(phrase: str, languages: tuple[str, ...], now: datetime, expected: datetime) -> None:
    assert parse_when(phrase, now_local=now, languages=languages) == expected


def test_durations_are_real_hours_when_now_knows_its_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2027, 3, 28, 1, 30, tzinfo=paris)
    found = parse_when("in 2 hours", now_local=now)
    # 01:30 CET + 2 real hours = 04:30 CEST (02:00 does not exist that night).
    assert found == datetime(2027, 3, 28, 4, 30)
    back = found.replace(tzinfo=paris).astimezone(UTC) - now.astimezone(UTC)
    assert back == timedelta(hours=2)


def test_aware_now_gives_naive_wall_times() -> None:
    now = datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert parse_when("14h", now_local=now) == datetime(2026, 11, 23, 14, 0)
    assert parse_when("10h", now_local=now) == datetime(2026, 11, 24, 10, 0)


@pytest.mark.parametrize(
    "phrase",
    ["", "Gamma", "25h", "10h61", "13pm", "mardi 10h 11h", "ce soir demain", "dans 2 heures Gamma", "x" * 80],
)
def test_not_when(phrase: str) -> None:
    assert parse_when(phrase, now_local=MON_11) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from([FR, EN, ("de",), ()]))
def test_future_day_and_when_never_raise(text: str, languages: tuple[str, ...]) -> None:
    day = parse_future_day(text, today=MONDAY, languages=languages)
    assert day is None or isinstance(day, date)
    moment = parse_when(text, now_local=MON_11, languages=languages)
    assert moment is None or (isinstance(moment, datetime) and moment.tzinfo is None)
