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
from datetime import UTC, date, datetime, timedelta
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


# --- Future days and planning times -----------------------------------------------------
#
# ``parse_future_day`` reads the day of a deadline (a deal's close date, a next step) and
# ``parse_when`` the day and time of a planned visit or follow-up. Where a phrase could
# name several days, they choose the next one **on or after today**:
#
# - "15/12", "15 décembre", "december 15", "le 15", "fin décembre": the next such day,
#   today included ("15/12" said on 2026-11-23 is 2026-12-15; "15/01" is 2027-01-15;
#   "le 31" in November is 31 December, the next month that has one).
# - A numeric day is read day/month when the first language is French, month/day when it
#   is English — and in the other order when the first one is impossible ("15/12" read
#   by an English speaker is still 15 December).
# - "vendredi", "ce vendredi", "this friday": the next Friday, today included;
#   "vendredi prochain", "next friday": the next one strictly after today;
#   "vendredi de la semaine prochaine", "friday next week": that day of next week.
# - "fin du mois", "end of month": the last day of this month ("fin du mois prochain":
#   of next month); "fin décembre", "end of december": the last day of that month;
#   "fin de semaine", "end of week": the coming Friday (next one on a weekend);
#   "fin d'année", "end of year": 31 December.
# - "dans 3 semaines", "d'ici 2 mois", "sous 15 jours", "in 2 weeks", "within 3 days":
#   counted from today (months keep the day of the month, clamped: 31 Jan + 1 month is
#   28 Feb). "le mois prochain", "next month": the same day next month.
# - Words naming a definite day are read as they are: "demain", "tomorrow",
#   "après-demain", "aujourd'hui", "la semaine prochaine" (today + 7), ISO "2026-12-15",
#   a day with its year "15/12/2026". **A phrase naming a past day gives that past day**
#   ("hier", "lundi dernier", "15/12/2025", "il y a 3 jours"), so a caller can answer
#   "that is in the past" rather than "I cannot read that"; callers compare with today.

_NUMBER_VALUES: dict[str, int] = {
    "un": 1, "une": 1, "a": 1, "an": 1, "one": 1,
    "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4, "four": 4,
    "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8,
    "neuf": 9, "nine": 9, "dix": 10, "ten": 10, "quinze": 15, "fifteen": 15,
}  # fmt: skip
_FUTURE_COUNT = re.compile(
    rf"(?:dans|d'ici|d\s+ici|sous|in|within)\s+(?:the\s+next\s+)?(?P<count>{_COUNT})\s+"
    r"(?P<unit>jours?|semaines?|mois|ans?|annees?|days?|weeks?|months?|years?)"
)
_NEXT_MONTH = re.compile(r"(?:le\s+)?mois\s+prochain|next\s+month")
_END_OF_MONTH = re.compile(
    r"(?:(?:a\s+la|la|en)\s+)?fin\s+(?:du|de|de\s+ce)\s+mois(?P<fr_next>\s+prochain)?"
    r"|(?:by\s+(?:the\s+)?)?end\s+of\s+(?:the\s+|this\s+|(?P<en_next>next\s+))?month"
)
_END_OF_NAMED_MONTH = re.compile(
    rf"(?:(?:a\s+la|la|en|d'ici)\s+)?fin\s+(?:de\s+|d')?(?P<month>{_MONTH})\.?(?:\s+(?P<year>\d{{4}}))?"
    rf"|(?:by\s+(?:the\s+)?)?end\s+of\s+(?P<en_month>{_MONTH})\.?(?:,?\s+(?P<en_year>\d{{4}}))?"
)
_END_OF_WEEK = re.compile(
    r"(?:(?:a\s+la|la|en)\s+)?fin\s+(?:de\s+)?(?:la\s+)?semaine|(?:by\s+(?:the\s+)?)?end\s+of\s+(?:the\s+|this\s+)?week"
)
_END_OF_YEAR = re.compile(
    r"(?:(?:a\s+la|la|en)\s+)?fin\s+(?:d'|de\s+l'|de\s+l\s+|de\s+)?(?:annee|an)"
    r"|(?:by\s+(?:the\s+)?)?end\s+of\s+(?:the\s+|this\s+)?year"
)
_WEEKDAY_NEXT_WEEK = re.compile(
    rf"(?:le\s+)?(?P<day>{_WEEKDAY})\s+(?:de\s+)?(?:la\s+)?semaine\s+prochaine"
    rf"|(?P<en_day>{_WEEKDAY})\s+(?:of\s+)?next\s+week"
)


def _count_value(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_VALUES[text]


def _add_months(day: date, months: int) -> date | None:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _next_yearly(month: int, day: int, today: date) -> date | None:
    """Next ``day``/``month`` on or after today (forward to a leap year for 29 Feb)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for year in range(today.year, min(today.year + 9, 9999) + 1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _next_monthly(day: int, today: date) -> date | None:
    """Next ``day`` of a month on or after today ("le 31" in November → 31 December)."""
    year, month = today.year, today.month
    for _ in range(13):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return None


def _future_weekday(match: re.Match[str], today: date) -> tuple[date, bool]:
    """Weekday phrase read forwards; the flag says "another week would also fit"."""
    target = _WEEKDAYS[match.group("day")]
    modifier = " ".join((match.group("before") or match.group("after") or "").split())
    if modifier in ("dernier", "passe", "last", "past"):
        return _weekday_day(match, today), False
    if modifier in ("prochain", "qui vient", "next"):
        return today + timedelta(days=(target - today.weekday()) % 7 or 7), False
    return today + timedelta(days=(target - today.weekday()) % 7), True


def _future_numeric(match: re.Match[str], today: date, languages: tuple[str, ...]) -> date | None:
    first, second = int(match["a"]), int(match["b"])
    orders = [(first, second), (second, first)]  # (day, month)
    if languages[0] == "en":
        orders.reverse()
    for day, month in orders:
        if 1 <= month <= 12 and 1 <= day <= 31:
            found = (
                _next_yearly(month, day, today)
                if match["year"] is None
                else _with_year(match["year"], month, day, today)
            )
            if found is not None:
                return found
    return None


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, _month_length(year, month))


def _read_future(
    text: str, today: date, languages: tuple[str, ...]
) -> tuple[date | None, bool] | None:
    """Read a normalised phrase forwards: ``(day, recurring)``, or None when no shape fits.

    ``day`` is None when the shape fits but names no real day ("31/02"); ``recurring``
    is True when the same words would also name a later day (a weekday, "15/12", "le 15"),
    which lets :func:`parse_when` move "lundi 10h", said on a Monday at 11:00, a week on.
    """
    if match := _FUTURE_COUNT.fullmatch(text):
        count, unit = _count_value(match["count"]), match["unit"]
        if unit.startswith(("jour", "day")):
            days = count
        elif unit.startswith(("semaine", "week")):
            days = 7 * count
        else:
            months = count if unit.startswith(("mois", "month")) else 12 * count
            return _add_months(today, months), False
        return (today + timedelta(days=days) if days <= 36500 else None), False
    if _NEXT_MONTH.fullmatch(text):
        return _add_months(today, 1), False
    if match := _END_OF_MONTH.fullmatch(text):
        base = _add_months(today, 1) if match["fr_next"] or match["en_next"] else today
        return (_end_of_month(base.year, base.month) if base else None), False
    if match := _END_OF_NAMED_MONTH.fullmatch(text):
        month = _MONTHS[match["month"] or match["en_month"]]
        year_text = match["year"] or match["en_year"]
        if year_text is not None:
            return _end_of_month(int(year_text), month), False
        year = today.year if month >= today.month else today.year + 1
        return _end_of_month(year, month), True
    if _END_OF_WEEK.fullmatch(text):
        return today + timedelta(days=(4 - today.weekday()) % 7), False
    if _END_OF_YEAR.fullmatch(text):
        return date(today.year, 12, 31), False
    if match := _WEEKDAY_NEXT_WEEK.fullmatch(text):
        target = _WEEKDAYS[match["day"] or match["en_day"]]
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=target), False
    if match := _WEEKDAY_PHRASE.fullmatch(text):
        return _future_weekday(match, today)
    if match := _ISO.fullmatch(text):
        return _safe_date(int(match["year"]), int(match["month"]), int(match["day"])), False
    if match := _NUMERIC.fullmatch(text):
        return _future_numeric(match, today, languages), match["year"] is None
    if match := _DAY_MONTH.fullmatch(text) or _MONTH_DAY.fullmatch(text):
        month, day = _MONTHS[match["month"]], int(match["day"])
        if match["year"] is None:
            return _next_yearly(month, day, today), True
        return _with_year(match["year"], month, day, today), False
    if match := _DAY_ONLY.fullmatch(text):
        return _next_monthly(int(match["day"]), today), True
    if any(shape.fullmatch(text) for shape in (_RELATIVE_WORD, _COUNT_AGO, _LAST_WEEK, _NEXT_WEEK)):
        return _read(text, today, languages), False
    return None


def parse_future_day(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day of a deadline: the next such day on or after today; None if not a day.

    "15/12", "15 décembre", "le 15", "demain", "tomorrow", "dans 3 semaines",
    "in 2 weeks", "vendredi", "vendredi prochain", "next friday", "fin du mois",
    "end of month", "2026-12-15"… Times of day are ignored. A phrase that names a past
    day explicitly ("hier", "15/12/2025") gives that past day: compare with ``today``.
    Never raises.
    """
    try:
        text = _normalise(phrase)
        if text is None:
            return None
        found = _read_future(text, today, _languages(languages))
        return found[0] if found is not None else None
    except (ValueError, OverflowError):
        return None


def looks_like_future_day(phrase: str) -> bool:
    """True when a phrase has the shape of a day for :func:`parse_future_day`, valid or not."""
    if looks_like_date(phrase):
        return True
    text = _normalise(phrase)
    return text is not None and _read_future(text, date(2000, 1, 3), SUPPORTED_LANGUAGES) is not None


# --- parse_when: a day and a time for planning ----------------------------------------------
#
# Decisions:
# - Times: "10h", "10h30", "10 h 30", "à 14 h", "10 heures", "14:30", "2pm", "2:30 pm",
#   "10am", "midi"/"noon" (12:00), "minuit"/"midnight" (00:00). French times are read
#   here, never by dateparser (it reads "10h" as "in ten hours").
# - Parts of the day without a time: matin/morning 09:00, midi/noon 12:00,
#   après-midi/afternoon 14:00, soir/evening/tonight 18:00, fin de journée/end of day
#   17:00. "8h du soir" and "3 de l'après-midi" move a morning hour to the afternoon.
# - A day without time or part of the day is at 09:00 ("demain", "dans 3 jours",
#   "le 15"). "aujourd'hui" when 09:00 has passed is the next whole hour.
# - A time without a day is today, or tomorrow when that time has passed ("14h" said at
#   15:00 is tomorrow 14:00). A day that recurs ("lundi 10h", "le 15 10h", "15/12 10h")
#   moves to its next occurrence when the time has passed today.
# - Durations "dans 2 heures", "in 2 hours", "dans 30 minutes", "dans 1h30", "in an
#   hour" add to now (seconds dropped). If ``now_local`` is time-zone aware, the hours are
#   real elapsed hours (across a DST change the wall time moves by one hour more or less);
#   with a naive ``now_local`` they are added to the wall time.
# - The result is a naive local wall time. A phrase that names a past moment ("hier
#   10h", "ce matin" said at noon, "ce soir" at 20:00) gives that past moment: callers
#   compare with now and answer "that is in the past". A wall time that does not exist
#   (02:30 on the night clocks go forward) is returned as typed; converting it is the
#   caller's job (``ZoneInfo`` with ``fold``).

_DEFAULT_HOUR = 9
_DURATION = re.compile(
    rf"(?:dans|d'ici|in|within)\s+(?:(?P<count>{_COUNT}|une\s+demi|half\s+an|a\s+half)\s*"
    r"(?P<unit>heures?|h|hours?|hrs?|minutes?|mins?|mn)"
    r"|(?P<hours>\d{1,2})\s*h\s*(?P<minutes>\d{2}))"
)
_CLOCK = re.compile(
    r"(?:\b(?:a|at|vers|around|for|pour|@)\s+)?"
    r"(?:\b(?P<h1>\d{1,2})\s*(?:h|heures?)(?:\s*(?P<m1>\d{2})\b)?(?![a-z])"
    r"|\b(?P<h2>\d{1,2}):(?P<m2>\d{2})(?:\s*(?P<ap2>am|pm|a\.m\.|p\.m\.))?"
    r"|\b(?P<h3>\d{1,2})\s*(?P<ap3>am|pm|a\.m\.|p\.m\.)"
    r"|(?<!-)\b(?P<word>midi|minuit|noon|midnight)\b"
    r")(?=\s|$|,)"
)
_PARTS: tuple[tuple[re.Pattern[str], int, bool], ...] = (
    # (pattern, default hour, means today)
    (re.compile(r"\b(?:ce\s+matin|this\s+morning)\b"), 9, True),
    (re.compile(r"\b(?:cet\s+apres-midi|cet\s+aprem|this\s+afternoon)\b"), 14, True),
    (re.compile(r"\b(?:ce\s+soir|this\s+evening|tonight)\b"), 18, True),
    (re.compile(r"\b(?:en\s+)?fin\s+de\s+(?:la\s+)?journee\b|\b(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?day\b"), 17, False),
    (re.compile(r"\b(?:(?:dans\s+|de\s+)?l'apres-midi|apres-midi|aprem|(?:in\s+the\s+)?afternoon)\b"), 14, False),
    (re.compile(r"\b(?:(?:dans\s+la\s+|en\s+)?matinee|(?:le\s+|au\s+|du\s+)?matin|(?:in\s+the\s+)?morning)\b"), 9, False),
    (re.compile(r"\b(?:(?:dans\s+la\s+|en\s+)?soiree|(?:le\s+|au\s+|du\s+)?soir|(?:in\s+the\s+)?evening|(?:at\s+)?night)\b"), 18, False),
)  # fmt: skip
_APRES_MIDI = re.compile(r"\bapres\s+midi\b")
_THIS_NOON = re.compile(r"\b(?:ce\s+midi|this\s+noon)\b")
_CLOCK_WORDS = {"midi": 12, "noon": 12, "minuit": 0, "midnight": 0}


def _clean_when(phrase: str) -> str | None:
    if not isinstance(phrase, str) or len(phrase) > MAX_PHRASE_LENGTH:
        return None
    text = fold(phrase).strip(_EDGE_PUNCTUATION).rstrip(".").strip(_EDGE_PUNCTUATION)
    for pattern, spelling in _SPELLINGS:
        text = pattern.sub(spelling, text)
    text = _APRES_MIDI.sub("apres-midi", text)
    text = _THIS_NOON.sub("aujourd'hui midi", text)
    return " ".join(text.split()) or None


def _duration(match: re.Match[str]) -> timedelta | None:
    if match["hours"] is not None:
        return timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
    count_text = " ".join(match["count"].split())
    if count_text in ("une demi", "half an", "a half"):
        minutes = 30
    else:
        count = _count_value(count_text)
        minutes = count * 60 if match["unit"].startswith("h") else count
    if minutes > 60 * 24 * 366:
        return None
    return timedelta(minutes=minutes)


def _clock(match: re.Match[str]) -> tuple[int, int] | None:
    if match["word"]:
        return _CLOCK_WORDS[match["word"]], 0
    hour_text = match["h1"] or match["h2"] or match["h3"]
    minute_text = match["m1"] or match["m2"] or "0"
    meridiem = (match["ap2"] or match["ap3"] or "").replace(".", "")
    hour, minute = int(hour_text), int(minute_text)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute


def _add_real_time(now: datetime, delta: timedelta) -> datetime:
    """Now + delta, in real elapsed time when ``now`` knows its zone; naive wall time out."""
    if now.tzinfo is None:
        return now.replace(second=0, microsecond=0) + delta
    moved = (now.astimezone(UTC) + delta).astimezone(now.tzinfo)
    return moved.replace(tzinfo=None, second=0, microsecond=0)


def parse_when(
    phrase: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> datetime | None:
    """When a visit or follow-up is planned, as naive local wall time; None if unreadable.

    "mardi 10h", "mardi prochain 10h", "demain matin", "ce soir", "dans 3 jours",
    "next tuesday 2pm", "le 15", "14h", "à 14 h 30", "tomorrow at 10am", "in 2 hours"…
    Always in the future when the words allow it (see the decisions above). Never raises.
    """
    try:
        return _parse_when(phrase, now_local, _languages(languages))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def _parse_when(phrase: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    text = _clean_when(phrase)
    if text is None:
        return None
    if match := _DURATION.fullmatch(text):
        delta = _duration(match)
        return _add_real_time(now, delta) if delta is not None else None

    # Beyond durations, only the wall time matters: compare naive with naive.
    now = now.replace(tzinfo=None)
    clock: tuple[int, int] | None = None
    clocks = list(_CLOCK.finditer(text))
    if len(clocks) > 1:
        return None
    if clocks:
        clock = _clock(clocks[0])
        if clock is None:
            return None
        text = (text[: clocks[0].start()] + " " + text[clocks[0].end() :]).strip()

    part_hour: int | None = None
    today_part = False
    for pattern, hour, means_today in _PARTS:
        found = pattern.search(text)
        if found is not None:
            part_hour, today_part = hour, means_today
            text = (text[: found.start()] + " " + text[found.end() :]).strip()
            break
    text = " ".join(text.split()).strip(_EDGE_PUNCTUATION + "-")
    if clock is None and part_hour is None and not text:
        return None

    today = now.date()
    if text in ("", "aujourd'hui", "today"):
        day, recurring = today, not text and not today_part
    elif today_part:
        return None  # "ce soir" names today; another day with it is a contradiction
    else:
        found_day = _read_future(text, today, languages)
        if found_day is None or found_day[0] is None:
            return None
        day, recurring = found_day[0], found_day[1]

    if clock is not None:
        hour, minute = clock
        if part_hour is not None and part_hour >= 14 and hour < 12:
            hour += 12  # "8h du soir", "3h de l'après-midi"
    elif part_hour is not None:
        hour, minute = part_hour, 0
    else:
        hour, minute = _DEFAULT_HOUR, 0
    moment = datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)

    if moment <= now and day == today:
        if recurring:
            later = _read_future(text, today + timedelta(days=1), languages) if text else (
                today + timedelta(days=1),
                True,
            )
            if later is not None and later[0] is not None:
                moment = moment.replace(year=later[0].year, month=later[0].month, day=later[0].day)
        elif clock is None and part_hour is None:
            # "aujourd'hui" after 09:00: the next whole hour.
            moment = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return moment


# Clock-shaped words, in range or not ("25h", "10h61", "13pm"): a mistyped time is still
# "a time", so a planning grammar can say "bad time" instead of filing it in a name.
_LOOSE_CLOCK = re.compile(
    r"(?:\b(?:a|at|vers|around|for|pour|@)\s+)?"
    r"(?:\b\d{1,4}\s*(?:h|heures?)(?:\s*\d{1,4})?(?![a-z0-9])"
    r"|\b\d{1,4}:\d{1,4}(?:\s*(?:am|pm|a\.m\.|p\.m\.))?(?![a-z0-9])"
    r"|\b\d{1,4}\s*(?:am|pm|a\.m\.|p\.m\.)(?![a-z0-9])"
    r"|(?<!-)\b(?:midi|minuit|noon|midnight)\b)"
)


def when_has_time(phrase: str) -> bool:
    """True when the words of a :func:`parse_when` phrase give a time of day.

    "mardi 10h", "2pm", "midi", "in 2 hours" do; "demain", "demain matin" (a part of the
    day, not a time), "aujourd'hui" do not. Never raises.
    """
    try:
        text = _clean_when(phrase)
        if text is None:
            return False
        if _DURATION.fullmatch(text):
            return True
        return any(_clock(match) is not None for match in _CLOCK.finditer(text))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return False


def looks_like_when(phrase: str) -> bool:
    """True when a phrase has the shape of a planning time, valid or not.

    "25h", "mardi 26h", "32/13", "32/13 10h", "le 32 à 10h" look like one; "Gamma Sud"
    and "Beta 10h" (a name before the time) do not. Never raises.
    """
    try:
        text = _clean_when(phrase)
        if text is None:
            return False
        if _DURATION.fullmatch(text):
            return True
        rest = _LOOSE_CLOCK.sub(" ", text)
        for pattern, _hour, _today in _PARTS:
            rest = pattern.sub(" ", rest)
        rest = " ".join(rest.split()).strip(_EDGE_PUNCTUATION + "-")
        return not rest or looks_like_future_day(rest)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return False
