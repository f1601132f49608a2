"""Days in words: when did a past action happen ("hier", "lundi dernier", "3 avril", "3/4")?

Only whole phrases of a known shape are read as days; anything else is "not a date",
so account names such as "Gamma Sud" or "Le Procope" never turn into dates. Shapes:

- today / yesterday words: aujourd'hui, today, hier, yesterday, avant-hier, (the) day
  before yesterday, demain, tomorrow, après-demain, (the) day after tomorrow;
  "ce matin", "ce soir", "this morning", "tonight"... mean today;
- counts: "il y a 3 jours", "il y a une semaine", "3 days ago", "a week ago",
  "dans 3 jours", "in 3 days";
- "la semaine dernière" / "last week" (7 days ago), "la semaine prochaine" / "next week";
- weekdays: "lundi", "le lundi", "this monday" = the most recent such day, **today
  included** (a rep typing "lundi" on a Monday means today, not a week ago);
  "lundi dernier", "lundi passé", "last monday" = the most recent one strictly before
  today; "lundi prochain", "next monday" = the next one strictly after today;
- numeric days: "3/4", "03/04/2026", "3.4.26", "2026-04-03" — day/month when the first
  language is French, month/day when it is English; ISO year-month-day always;
- month names (French and English, abbreviations too): "3 avril", "le 1er avril",
  "april 3rd", "3 avril 2026", "lundi 3 avril", "dec 3, 2025";
- "le 3", "the 3rd": that day of the current month.

A day typed without a year (or without a month) is never in the future: "3 décembre"
said on 2026-11-23 is 2025-12-03, "le 28" said on 2026-11-23 is 2026-10-28. Times of day
("à 14h", "10:30", "hier soir") are dropped: only the day matters.

dateparser reads the today/yesterday words and the counts, with explicit languages and
settings (it is slow and guesses wildly without them, see docs/library-notes.md).
Weekdays, numeric days and month names are computed here: dateparser returns None for
"lundi dernier", reads "32/13" as 1932-11-13 and "lundi" on a Monday as a week ago.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser

from bot.grammar.normalize import fold

MAX_PHRASE_LENGTH = 60
SUPPORTED_LANGUAGES: tuple[str, ...] = ("fr", "en")

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("janvier", "janv", "jan", "january"),
        ("fevrier", "fevr", "fev", "feb", "february"),
        ("mars", "mar", "march"),
        ("avril", "avr", "apr", "april"),
        ("mai", "may"),
        ("juin", "jun", "june"),
        ("juillet", "juil", "jul", "july"),
        ("aout", "aug", "august"),
        ("septembre", "sept", "sep", "september"),
        ("octobre", "oct", "october"),
        ("novembre", "nov", "november"),
        ("decembre", "dec", "december"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

# Full names only: "sun", "sat" or "wed" at the end of an account name are not days.
_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("lundi", "monday"),
        ("mardi", "tuesday"),
        ("mercredi", "wednesday"),
        ("jeudi", "thursday"),
        ("vendredi", "friday"),
        ("samedi", "saturday"),
        ("dimanche", "sunday"),
    )
):
    for _name in _names:
        _WEEKDAYS[_name] = _number


def _alternation(words: Sequence[str]) -> str:
    # Longest first so "septembre" is not read as "sept" + "embre".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MONTH = _alternation(list(_MONTHS))
_WEEKDAY = _alternation(list(_WEEKDAYS))
_NUMBER_WORDS = (
    "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|quinze|"
    "a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen"
)
_COUNT = rf"(?:\d{{1,4}}|{_NUMBER_WORDS})"
_ORDINAL = r"(?:er|re|e|eme|st|nd|rd|th)?"
_ARTICLE = r"(?:(?:le|on|the|on the)\s+)?"

_RELATIVE_WORD = re.compile(
    r"(?:aujourd'hui|today|hier|yesterday|avant-hier|(?:the\s+)?day\s+before\s+yesterday"
    r"|demain|tomorrow|apres-demain|(?:the\s+)?day\s+after\s+tomorrow)"
)
_COUNT_AGO = re.compile(
    rf"(?:il\s+y\s+a\s+{_COUNT}\s+(?:jours?|semaines?|mois|ans?|annees?)"
    rf"|{_COUNT}\s+(?:days?|weeks?|months?|years?)\s+ago"
    rf"|dans\s+{_COUNT}\s+(?:jours?|semaines?|mois)"
    rf"|in\s+{_COUNT}\s+(?:days?|weeks?|months?))"
)
_LAST_WEEK = re.compile(r"(?:la\s+)?semaine\s+(?:derniere|passee)|last\s+week")
_NEXT_WEEK = re.compile(r"(?:la\s+)?semaine\s+prochaine|next\s+week")
_WEEKDAY_PHRASE = re.compile(
    rf"(?:(?:le|on|this|ce)\s+)?(?:(?P<before>last|past|next)\s+)?(?P<day>{_WEEKDAY})"
    rf"(?:\s+(?P<after>dernier|passe|prochain|qui\s+vient|next|last))?"
)
_NUMERIC = re.compile(
    rf"{_ARTICLE}(?P<a>\d{{1,2}})[/.-](?P<b>\d{{1,2}})(?:[/.-](?P<year>\d{{4}}|\d{{2}}))?"
)
_ISO = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})")
_DAY_MONTH = re.compile(
    rf"{_ARTICLE}(?:(?:{_WEEKDAY})\s+)?(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+|de\s+)?"
    rf"(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?"
)
_MONTH_DAY = re.compile(
    rf"(?:on\s+)?(?:(?:{_WEEKDAY}),?\s+)?(?P<month>{_MONTH})\.?\s+(?:the\s+)?"
    rf"(?P<day>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<year>\d{{4}}))?"
)
_DAY_ONLY = re.compile(rf"(?:le|the|on\s+the)\s+(?P<day>\d{{1,2}}){_ORDINAL}")
# Date-shaped digits that no shape accepts ("2026-13-45", "1/2/3") still mean "a date".
_LOOSE_NUMERIC = re.compile(rf"{_ARTICLE}\d{{1,4}}(?:[/.-]\d{{1,4}}){{1,2}}")

# "à 14h", "10h30", "14:00", "9am": the day is what matters, and dateparser reads "10h"
# as "in 10 hours" (library-notes), so times are removed before anything else.
_TIME = re.compile(
    r"(?:\b(?:a|at|vers|around)\s+)?\b\d{1,2}\s*"
    r"(?:h\s*(?:\d{2})?|:\d{2}\s*(?:am|pm)?|(?:am|pm))(?=\s|$)"
)
_TODAY_PART = re.compile(
    r"\b(?:ce\s+matin|ce\s+midi|cet\s+apres-midi|cet\s+apres\s+midi|ce\s+soir"
    r"|this\s+morning|this\s+afternoon|this\s+evening|tonight)\b"
)
_DAY_PART = re.compile(
    r"\s+(?:(?:dans\s+la\s+|le\s+|in\s+the\s+)?(?:matinee|matin|midi|apres-midi|soir|soiree)"
    r"|(?:in\s+the\s+)?(?:morning|afternoon|evening|night))$"
)
_SPELLINGS = (
    (re.compile(r"\baujourd\s*'?\s*hui\b|\bauj\b"), "aujourd'hui"),
    (re.compile(r"\bavant\s+hier\b"), "avant-hier"),
    (re.compile(r"\bapres\s+demain\b"), "apres-demain"),
)
_EDGE_PUNCTUATION = " ,;:!?"


def _normalise(phrase: str) -> str | None:
    """Fold the phrase, drop times of day and edge punctuation; None when unusable."""
    if not isinstance(phrase, str) or len(phrase) > MAX_PHRASE_LENGTH:
        return None
    text = fold(phrase).strip(_EDGE_PUNCTUATION)
    # A final dot ends a sentence ("hier."), but "3 dec." keeps its abbreviation dot harmlessly.
    text = text.rstrip(".").strip(_EDGE_PUNCTUATION)
    for pattern, spelling in _SPELLINGS:
        text = pattern.sub(spelling, text)
    text = _TODAY_PART.sub("aujourd'hui", text)
    text = _TIME.sub(" ", text)
    text = " ".join(text.split())
    text = _DAY_PART.sub("", text).strip(_EDGE_PUNCTUATION)
    return text or None


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    # Only French and English shapes exist here; an unknown code must not reach dateparser.
    chosen = tuple(dict.fromkeys(code for code in languages if code in SUPPORTED_LANGUAGES))
    return chosen or SUPPORTED_LANGUAGES


@lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...], today: date) -> DateDataParser:
    """The dateparser parser for a language order and a "today".

    RELATIVE_BASE is a constructor setting, so there is one parser per (languages, day),
    kept in a small cache: building one costs about a millisecond.
    """
    return DateDataParser(
        languages=list(languages),
        use_given_order=True,
        settings={
            "RELATIVE_BASE": datetime(today.year, today.month, today.day),
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "DATE_ORDER": "MDY" if languages[0] == "en" else "DMY",
            # No Unix timestamps or "20260403"-style blobs: only words and dates.
            "PARSERS": ["relative-time", "absolute-time"],
        },
    )


def _dateparser_day(text: str, today: date, languages: tuple[str, ...]) -> date | None:
    try:
        data = _parser(languages, today).get_date_data(text)
    except Exception:  # noqa: BLE001 - a third-party parser bug must read as "not a date"
        return None
    return data.date_obj.date() if data.date_obj is not None else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _yearless(month: int, day: int, today: date) -> date | None:
    """Most recent ``day``/``month`` on or before today (back to a leap year for 29 Feb)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for year in range(today.year, today.year - 9, -1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def _with_year(year_text: str | None, month: int, day: int, today: date) -> date | None:
    if year_text is None:
        return _yearless(month, day, today)
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000
    return _safe_date(year, month, day) if year >= 1 else None


def _monthless(day: int, today: date) -> date | None:
    """Most recent ``day`` of a month on or before today ("le 31" in November → 31 Oct)."""
    year, month = today.year, today.month
    for _ in range(12):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def _weekday_day(match: re.Match[str], today: date) -> date:
    target = _WEEKDAYS[match.group("day")]
    modifier = " ".join((match.group("before") or match.group("after") or "").split())
    if modifier in ("prochain", "qui vient", "next"):
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    back = (today.weekday() - target) % 7
    if modifier in ("dernier", "passe", "last", "past"):
        back = back or 7
    return today - timedelta(days=back)


def _read(text: str, today: date, languages: tuple[str, ...]) -> date | None:
    """Read a normalised phrase of a known shape; None when no shape fits or it is invalid."""
    if _RELATIVE_WORD.fullmatch(text) or _COUNT_AGO.fullmatch(text):
        return _dateparser_day(text, today, languages)
    if _LAST_WEEK.fullmatch(text):
        return today - timedelta(days=7)
    if _NEXT_WEEK.fullmatch(text):
        return today + timedelta(days=7)
    if match := _WEEKDAY_PHRASE.fullmatch(text):
        return _weekday_day(match, today)
    if match := _ISO.fullmatch(text):
        return _safe_date(int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _NUMERIC.fullmatch(text):
        first, second = int(match["a"]), int(match["b"])
        day, month = (second, first) if languages[0] == "en" else (first, second)
        return _with_year(match["year"], month, day, today)
    if match := _DAY_MONTH.fullmatch(text) or _MONTH_DAY.fullmatch(text):
        return _with_year(match["year"], _MONTHS[match["month"]], int(match["day"]), today)
    if match := _DAY_ONLY.fullmatch(text):
        return _monthless(int(match["day"]), today)
    return None


_SHAPES = (
    _RELATIVE_WORD,
    _COUNT_AGO,
    _LAST_WEEK,
    _NEXT_WEEK,
    _WEEKDAY_PHRASE,
    _ISO,
    _NUMERIC,
    _DAY_MONTH,
    _MONTH_DAY,
    _DAY_ONLY,
    _LOOSE_NUMERIC,
)


def parse_day_any(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day a phrase names, past or future ("demain" gives tomorrow); None if not a day.

    Used to tell "a date in the future" from "not a date at all".
    """
    text = _normalise(phrase)
    if text is None:
        return None
    return _read(text, today, _languages(languages))


def parse_past_day(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day a past action happened, read in the member's language first; None otherwise.

    Returns None for phrases that are not a day and for days after ``today``.
    """
    day = parse_day_any(phrase, today=today, languages=languages)
    return day if day is not None and day <= today else None


def looks_like_date(phrase: str) -> bool:
    """True when a phrase has the shape of a day, valid or not ("32/13", "31 février").

    The /log grammar uses it to refuse a mistyped date rather than file it in a name.
    """
    text = _normalise(phrase)
    return text is not None and any(shape.fullmatch(text) for shape in _SHAPES)


def warm_up() -> None:
    """Load dateparser's French and English data now, not during the first command."""
    parse_past_day("hier", today=date(2026, 1, 1))
    parse_past_day("3 days ago", today=date(2026, 1, 1), languages=("en", "fr"))
