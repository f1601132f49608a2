"""Past days in words, French and English, against a fixed "today"."""

from __future__ import annotations

from datetime import date

import pytest

from bot.grammar.when import looks_like_date, parse_day_any, parse_past_day, warm_up

MONDAY = date(2026, 11, 23)  # a Monday
NEW_YEAR_MONDAY = date(2026, 1, 5)  # a Monday just after a year boundary
FR = ("fr", "en")
EN = ("en", "fr")

PAST_DAYS = [
    # phrase, languages, expected (today = Monday 2026-11-23)
    ("aujourd'hui", FR, date(2026, 11, 23)),
    ("Aujourd’hui", FR, date(2026, 11, 23)),
    ("aujourdhui", FR, date(2026, 11, 23)),
    ("today", EN, date(2026, 11, 23)),
    ("ce matin", FR, date(2026, 11, 23)),
    ("this morning", EN, date(2026, 11, 23)),
    ("hier", FR, date(2026, 11, 22)),
    ("Hier soir", FR, date(2026, 11, 22)),
    ("hier à 14h", FR, date(2026, 11, 22)),
    ("yesterday", EN, date(2026, 11, 22)),
    ("yesterday at 10:30", EN, date(2026, 11, 22)),
    ("avant-hier", FR, date(2026, 11, 21)),
    ("avant hier", FR, date(2026, 11, 21)),
    ("day before yesterday", EN, date(2026, 11, 21)),
    ("the day before yesterday", EN, date(2026, 11, 21)),
    ("lundi dernier", FR, date(2026, 11, 16)),
    ("lundi passé", FR, date(2026, 11, 16)),
    ("last monday", EN, date(2026, 11, 16)),
    ("vendredi dernier", FR, date(2026, 11, 20)),
    ("last friday", EN, date(2026, 11, 20)),
    # A bare weekday is the most recent one, today included.
    ("lundi", FR, date(2026, 11, 23)),
    ("monday", EN, date(2026, 11, 23)),
    ("vendredi", FR, date(2026, 11, 20)),
    ("Friday", EN, date(2026, 11, 20)),
    ("mardi", FR, date(2026, 11, 17)),
    ("le mercredi", FR, date(2026, 11, 18)),
    ("on sunday", EN, date(2026, 11, 22)),
    ("jeudi matin", FR, date(2026, 11, 19)),
    ("il y a 3 jours", FR, date(2026, 11, 20)),
    ("il y a trois jours", FR, date(2026, 11, 20)),
    ("3 days ago", EN, date(2026, 11, 20)),
    ("two days ago", EN, date(2026, 11, 21)),
    ("il y a une semaine", FR, date(2026, 11, 16)),
    ("a week ago", EN, date(2026, 11, 16)),
    ("la semaine dernière", FR, date(2026, 11, 16)),
    ("last week", EN, date(2026, 11, 16)),
    ("3 avril", FR, date(2026, 4, 3)),
    ("le 3 avril", FR, date(2026, 4, 3)),
    ("le 1er avril", FR, date(2026, 4, 1)),
    ("lundi 3 avril", FR, date(2026, 4, 3)),
    ("3 avr.", FR, date(2026, 4, 3)),
    ("april 3", EN, date(2026, 4, 3)),
    ("April 3rd", EN, date(2026, 4, 3)),
    ("on april 3rd, 2025", EN, date(2025, 4, 3)),
    ("3 avril 2026", FR, date(2026, 4, 3)),
    ("3/4", FR, date(2026, 4, 3)),
    ("3/4", EN, date(2026, 3, 4)),
    ("03/04/2026", FR, date(2026, 4, 3)),
    ("03/04/2026", EN, date(2026, 3, 4)),
    ("3.4.26", FR, date(2026, 4, 3)),
    ("2026-04-03", FR, date(2026, 4, 3)),
    ("2026-04-03", EN, date(2026, 4, 3)),
    # Without a year, a day that would be in the future is last year's.
    ("3 décembre", FR, date(2025, 12, 3)),
    ("december 3", EN, date(2025, 12, 3)),
    ("25/12", FR, date(2025, 12, 25)),
    ("12/25", EN, date(2025, 12, 25)),
    ("le 28", FR, date(2026, 10, 28)),
    ("le 2", FR, date(2026, 11, 2)),
    ("the 3rd", EN, date(2026, 11, 3)),
    ("29/02", FR, date(2024, 2, 29)),
]


@pytest.mark.parametrize(("phrase", "languages", "expected"), PAST_DAYS)
def test_parse_past_day(phrase: str, languages: tuple[str, ...], expected: date) -> None:
    assert parse_past_day(phrase, today=MONDAY, languages=languages) == expected


ACROSS_NEW_YEAR = [
    ("hier", FR, date(2026, 1, 4)),
    ("lundi dernier", FR, date(2025, 12, 29)),
    ("last monday", EN, date(2025, 12, 29)),
    ("vendredi", FR, date(2026, 1, 2)),
    ("wednesday", EN, date(2025, 12, 31)),
    ("il y a 10 jours", FR, date(2025, 12, 26)),
    ("10 days ago", EN, date(2025, 12, 26)),
    ("3 décembre", FR, date(2025, 12, 3)),
    ("december 31", EN, date(2025, 12, 31)),
    ("31/12", FR, date(2025, 12, 31)),
    ("12/31", EN, date(2025, 12, 31)),
    ("2 janvier", FR, date(2026, 1, 2)),
    ("le 28", FR, date(2025, 12, 28)),
    ("la semaine dernière", FR, date(2025, 12, 29)),
]


@pytest.mark.parametrize(("phrase", "languages", "expected"), ACROSS_NEW_YEAR)
def test_parse_past_day_across_new_year(
    phrase: str, languages: tuple[str, ...], expected: date
) -> None:
    assert parse_past_day(phrase, today=NEW_YEAR_MONDAY, languages=languages) == expected


FUTURE_DAYS = [
    ("demain", date(2026, 11, 24)),
    ("tomorrow", date(2026, 11, 24)),
    ("après-demain", date(2026, 11, 25)),
    ("dans 3 jours", date(2026, 11, 26)),
    ("in 3 days", date(2026, 11, 26)),
    ("lundi prochain", date(2026, 11, 30)),
    ("next friday", date(2026, 11, 27)),
    ("la semaine prochaine", date(2026, 11, 30)),
    ("3 décembre 2026", date(2026, 12, 3)),
    ("2027-01-01", date(2027, 1, 1)),
]


@pytest.mark.parametrize(("phrase", "expected"), FUTURE_DAYS)
def test_future_days_are_days_but_not_past(phrase: str, expected: date) -> None:
    assert parse_day_any(phrase, today=MONDAY) == expected
    assert parse_past_day(phrase, today=MONDAY) is None


@pytest.mark.parametrize(
    "phrase",
    [
        "",
        "   ",
        "Gamma",
        "Gamma Sud",
        "le truc",
        "Le Procope",
        "a",
        "avec",
        "3",
        "2026",
        "avril",
        "sun",
        "10h",
        "32/13",
        "31 février",
        "le 32 avril",
        "2026-13-45",
        "lundi prochain dernier",
        "hier " * 20,
    ],
)
def test_not_a_past_day(phrase: str) -> None:
    assert parse_day_any(phrase, today=MONDAY) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("32/13", True),
        ("31 février", True),
        ("le 32 avril", True),
        ("2026-13-45", True),
        ("hier", True),
        ("demain", True),
        ("Gamma", False),
        ("avril", False),
        ("le truc", False),
        ("", False),
    ],
)
def test_looks_like_date(phrase: str, expected: bool) -> None:
    assert looks_like_date(phrase) is expected


def test_unknown_languages_fall_back_to_french_and_english() -> None:
    assert parse_past_day("hier", today=MONDAY, languages=("de",)) == date(2026, 11, 22)
    assert parse_past_day("3/4", today=MONDAY, languages=()) == date(2026, 4, 3)


def test_warm_up_runs() -> None:
    warm_up()
