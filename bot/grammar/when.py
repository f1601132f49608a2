"""Days and times in words, French and English: when did an action happen, when is one planned?

Every function takes the member's local wall time ("today", or a naive "now") and their
languages, the first one preferred; none of them raises. A phrase is read whole or not at
all: anything that is not a date ("Gamma Sud", "Le Procope") reads as None, and so does a
date that could mean two days — **a refusal is always better than a wrong day**.

How a phrase is read (tables in :mod:`bot.grammar.when_phrases`): it is folded, numbers
in words become digits, spoken times become clocks and hedges go ("plutôt vers 18h" is
18:00); the time of day and the part of the day are taken out; the rest is rewritten into
one canonical spelling ("lundi en huit" → ``monday +7d``) and matched against a few shapes.

Decisions for words that could mean several days (all tested in ``tests/grammar``):

- **Past or future.** :func:`parse_past_day` / :func:`past_span` read backwards: a day
  without year or month is the most recent one, today included ("3 décembre" said on
  2026-11-23 is 2025-12-03, "lundi" on a Monday is today). :func:`parse_future_day` and
  :func:`parse_when` read forwards: the next such day, today included ("15/12",
  "vendredi", "le 15"). Words naming a definite day are read as they are on both sides
  ("hier", "demain", "15/12/2025"): callers compare with today and answer "past".
- **Weekdays.** "lundi prochain", "next monday", "lundi suivant", "mardi d'après", "the
  following tuesday", "this coming thursday" = the next one strictly after today;
  "lundi dernier", "last monday" = the most recent one strictly before today;
  "lundi en huit" = the coming Monday (today included) + 7 days, "mardi en quinze" + 14;
  "dimanche de la semaine dernière", "sunday from last week" = that day of the previous
  Monday-to-Sunday week; "mardi de la semaine prochaine", "tuesday next week" likewise.
- **Weekday + day number.** "samedi 16", "Monday the 11th": the next (or, for a past
  day, the most recent) 16th that is a Saturday, among the next (last) three 16ths;
  none → refused. A weekday that contradicts a full date ("lundi 15 décembre" in 2026) is
  refused forwards; backwards the date wins (an older test pins "lundi 3 avril" → 3 April).
- **Counts.** "dans 3 jours", "in two weeks", "il y a un mois", "a week from tomorrow";
  "quinze jours" / "une quinzaine" / "a fortnight" are 14 days and "huit jours" 7 (the
  idioms), while digits are literal ("sous 15 jours" is 15). Months keep the day of the
  month, clamped (31 January + 1 month = 28 February).
- **Ordinals.** "premier mars", "le 1er", "the first of march"; "le premier mercredi du mois
  prochain", "the last friday of the month", "the 20th of next month".
- **Periods** name several days: ``span`` gives them, ``rule`` says which one was chosen:
  ``early`` / ``début`` = days 1–10 of a month (Monday–Tuesday of a week, January of a
  year), ``mid`` / ``mi-`` = 11–20 (Wednesday–Thursday), ``late`` / ``fin`` / ``end of`` =
  21 to the end (Friday–Sunday, December). Forwards a single day is chosen: début = the
  first workday (``first_workday``: Monday to Friday, not 1 January nor 25 December), mi =
  the 15th or the nearest workday (``fifteenth``), fin = the last day for a deadline
  (``last_day``, :func:`parse_future_day`) and the last workday for a visit
  (``last_workday``, :func:`parse_when`); a week's début is its Monday, mi its Wednesday,
  fin its Friday. When the chosen day has passed but the span has not, the next workday.
  "ce week-end", "this weekend", "le week-end prochain" = the coming Saturday (today on a
  weekend). "la semaine prochaine", "next week" = today + 7 and "le mois prochain" = the
  same day next month (older tests pin both). Backwards, a period has no single day
  (:func:`parse_past_day` returns None; :func:`past_span` the days, up to today), except
  "la semaine dernière" / "last week", kept at 7 days ago (an older test pins it): ask
  :func:`past_span` first to know that a phrase names a span.
- **Deadlines.** "d'ici vendredi", "by friday", "au plus tard vendredi" = that Friday;
  "avant vendredi", "before friday" = the day before (Thursday).
- **Dates with a direction.** "le 15 décembre prochain" is read forwards and "le 20
  novembre dernier" backwards, whatever the function; "the friday after next" = next
  Friday + 7 days.
- **Week numbers.** "semaine 51", "sem 51", "week 51", "wk 51" = that ISO week (Monday
  first), this year or the nearest one in the reading's direction; a plan takes its Monday.
- **A moment ago.** "il y a 2 heures", "an hour ago", "just now", "à l'instant", "tout à
  l'heure", "earlier today" name today for a /log and nothing for a plan.

Times (:func:`parse_when`):

- "10h", "10h30", "10 h 30", "10 heures", "14:30", "2pm", "2:30 pm", "midi", "noon",
  "minuit", "midnight"; spoken: "midi et quart" 12:15, "quinze heures trente" 15:30,
  "17h moins le quart" 16:45, "a quarter past 3" 3:15, "half past 3 pm" 15:30, "quarter to 4"
  3:45, "3 o'clock", "twelve thirty". French "h" times are 24-hour and read as written.
- **Business hours**: a clock written without am/pm and without "h" — "3:30", "at 4",
  "a quarter past 3" — with an hour from 1 to 7 is in the afternoon (15:30, 16:00, 15:15):
  nobody plans a visit at 3:30 in the night. 8 to 12 stay in the morning; "03:30", "3:30
  am", "3h30" are read as written.
- Parts of the day without a time: matin / morning 09:00, début de matinée 08:00, fin de
  matinée / late morning 11:00, midi / déjeuner / lunch 12:00, après déjeuner / after lunch
  and après-midi / afternoon 14:00, fin d'après-midi / late afternoon and fin de journée /
  end of day 17:00, soir / evening / tonight 18:00. "8h du soir", "8 tonight", "6 in the
  evening" move a morning hour to the afternoon.
- A day alone is at 09:00; "aujourd'hui" once 09:00 has passed is the next whole hour. A
  time alone is today, or tomorrow once it has passed ("14h" said at 15:00). A day that
  recurs ("lundi 10h", "le 15 10h") moves to its next occurrence when the time has passed.
- A meeting from one time to another starts at the first: "de 9h à 10h", "15h-16h",
  "2-3pm" (14:00), "11-1pm" (11:00), "from 2 to 3pm"; a window to arrive in ("entre 9h
  et 11h", "between 9 and 11") names no time and is refused.
- Durations "dans 2 heures", "in 2 hours", "dans 1h30", "dans une demi-heure" add to now:
  in real elapsed time when ``now_local`` is time-zone aware (across a DST change the wall
  time moves by one hour more or less), to the wall time when it is naive.
- The result is a naive local wall time, as typed: a wall time that does not exist (02:30
  the night clocks go forward) is returned as it is and converting it is the caller's job
  (``ZoneInfo`` with ``fold``); a phrase naming a past moment gives that past moment.

Names are not dates: weekday abbreviations ("sun", "mon", "mer") are days only before a day
number or a month, or with a time ("wed at 3"); those that are words or end names ("sun",
"sam", "mer", "jeu", "dim") take a time only with their dot ("jeu. 14h"), and "mon" / "sat"
only for an English-first member ("Mon morning"); short parts of the day ("eve", "aft",
"am", "pm" alone) only right after a day ("tomorrow eve", "thu pm": "Eve" is a name); number words alone never make a day of the
month ("Le Cinq", "Le Quinze" are restaurants, "le 5" is a day); ordinal words need a month
or weekday after them ("Hôtel Le Premier"); "Noël", "Toussaint", "Pâques" (surnames too)
need a word before them ("à Noël", "la Toussaint").

Library choice (issue 13; figures in the report and ``benchmarks/parse.py``): on the corpus
of ``tests/grammar/test_when_corpus.py``, plain dateparser 1.5 read 43 % of the English and
24 % of the French phrases right and 58 wrong, parsedatetime, ctparse, timefhuman and
recognizers-text fewer and with more wrong days; text2num 3.x has no macOS Intel wheel. So
the shapes are hand-written, from tables; dateparser stays as the last resort, asked with
strict parsing about what no shape reads and is only month names, weekdays and numbers
with a year ("2027 3 january"), with explicit languages and one cached parser per
(languages, day, direction).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser

from bot.grammar import when_phrases as words
from bot.grammar.when_phrases import MAX_PHRASE_LENGTH as MAX_PHRASE_LENGTH  # re-exported
from bot.grammar.when_phrases import canonical_day, prepare

SUPPORTED_LANGUAGES: tuple[str, ...] = ("fr", "en")


@dataclass(frozen=True)
class Reading:
    """The day a phrase names and, when its words cover several days, which ones.

    ``rule`` says how ``day`` was chosen in ``span`` ("first_workday", "fifteenth",
    "last_day", "last_workday", "saturday", "monday", "wednesday", "friday",
    "same_weekday", "same_day", "next_workday"), so a reply can say "fin mars → 31 March".
    """

    day: date | None
    span: tuple[date, date] | None = None
    rule: str | None = None
    recurring: bool = False  # the same words would also name a later day ("lundi", "le 15")


@dataclass(frozen=True)
class WhenReading:
    """A planned moment (naive local wall time), whether a time was said, and the span."""

    moment: datetime
    has_time: bool
    span: tuple[date, date] | None = None
    rule: str | None = None


@dataclass(frozen=True)
class _Context:
    today: date
    past: bool  # read backwards (a /log day) rather than forwards
    visit: bool  # a planned visit (workdays matter) rather than a deadline
    languages: tuple[str, ...]


# --- Calendar helpers -------------------------------------------------------------------


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _month_length(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _add_months(day: date, months: int) -> date | None:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _shift(day: date, days: int) -> date | None:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _monday(today: date, weeks: int) -> date | None:
    return _shift(today, 7 * weeks - today.weekday())


def _is_workday(day: date) -> bool:
    # Weekends, and the two holidays France, the UK and the US share.
    return day.weekday() < 5 and (day.month, day.day) not in ((1, 1), (12, 25))


def _first_workday(start: date, end: date) -> date | None:
    day = start
    while day <= end:
        if _is_workday(day):
            return day
        day += timedelta(days=1)
    return None


def _last_workday(start: date, end: date) -> date | None:
    day = end
    while day >= start:
        if _is_workday(day):
            return day
        day -= timedelta(days=1)
    return None


def _with_year(year_text: str | None, month: int, day: int, ctx: _Context) -> tuple[date | None, bool]:
    """A day and month, with the year typed or the nearest one in the reading's direction."""
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return (_safe_date(year, month, day) if year >= 1 else None), False
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None, True
    step = -1 if ctx.past else 1
    for offset in range(9):  # back or forward to a leap year for 29 February
        candidate = _safe_date(ctx.today.year + step * offset, month, day)
        if candidate is not None and (candidate <= ctx.today if ctx.past else candidate >= ctx.today):
            return candidate, True
    return None, True


def _months_around(ctx: _Context, count: int) -> list[tuple[int, int]]:
    """This month and the next (previous, backwards) ``count - 1`` ones, as (year, month)."""
    index = ctx.today.year * 12 + ctx.today.month - 1
    step = -1 if ctx.past else 1
    return [divmod(index + step * i, 12) for i in range(count)]


def _monthly(day_number: int, ctx: _Context, count: int = 13) -> list[date]:
    """The next (or last) days numbered ``day_number``, nearest first."""
    found = []
    for year, month0 in _months_around(ctx, count):
        candidate = _safe_date(year, month0 + 1, day_number) if 1 <= year <= 9999 else None
        if candidate is None:
            continue
        if (candidate <= ctx.today) if ctx.past else (candidate >= ctx.today):
            found.append(candidate)
    return found


# --- Shapes of the canonical day text ------------------------------------------------------

_WD = words.CANONICAL_WEEKDAY
_MO = words.CANONICAL_MONTH
_WEEK = r"week[+-]\d"
_MONTH_REF = rf"month[+-]\d|(?:{_MO})(?: \d{{4}})?"


def _weekday_number(name: str) -> int:
    return words.WEEKDAY_NAMES.index(name)


def _month_number(name: str) -> int:
    return words.MONTH_NAMES.index(name) + 1


def _relative(m: re.Match[str], ctx: _Context) -> Reading:
    if m["off"] == "-0" and not ctx.past:
        return Reading(None)  # "earlier today", "tout à l'heure": a past moment, not a plan
    return Reading(_shift(ctx.today, int(m["off"]) + int(m["more"] or 0)))


def _months(m: re.Match[str], ctx: _Context) -> Reading:
    return Reading(_add_months(ctx.today, int(m["off"])))


def _weekday(m: re.Match[str], ctx: _Context) -> Reading:
    target = _weekday_number(m["wd"])
    today = ctx.today
    if m["week"]:
        monday = _monday(today, int(m["week"][4:]))
        return Reading(monday and _shift(monday, target))
    ahead = (target - today.weekday()) % 7
    if m["mod"] == "next":
        return Reading(_shift(today, (ahead or 7) + int(m["more"] or 0)))
    if m["mod"] == "last":
        return Reading(_shift(today, -(((today.weekday() - target) % 7) or 7)))
    if m["more"]:
        return Reading(_shift(today, ahead + int(m["more"])))
    if ctx.past:
        return Reading(_shift(today, -((today.weekday() - target) % 7)))
    return Reading(_shift(today, ahead), recurring=True)


def _full_date(m: re.Match[str], ctx: _Context) -> Reading:
    if m["dir"]:  # "le 15 décembre prochain", "le 20 novembre dernier"
        ctx = _Context(ctx.today, m["dir"] == "<", ctx.visit, ctx.languages)
    day, recurring = _with_year(m["year"], _month_number(m["mo"]), int(m["day"]), ctx)
    if day is not None and m["wd"] and not ctx.past and day.weekday() != _weekday_number(m["wd"]):
        return Reading(None)  # "lundi 15 décembre" when the 15th is a Tuesday
    return Reading(day, recurring=recurring)


def _weekday_and_number(m: re.Match[str], ctx: _Context) -> Reading:
    target = _weekday_number(m["wd"])
    for day in _monthly(int(m["day"]), ctx, count=4)[:3]:
        if day.weekday() == target:
            return Reading(day, recurring=True)
    return Reading(None)


def _day_of_month(m: re.Match[str], ctx: _Context) -> Reading:
    number = int(m["day"])
    if m["ref"]:
        first = _add_months(ctx.today.replace(day=1), int(m["ref"][5:]))
        return Reading(first and _safe_date(first.year, first.month, number))
    found = _monthly(number, ctx)
    return Reading(found[0] if found else None, recurring=True)


def _numeric(m: re.Match[str], ctx: _Context) -> Reading:
    found = _numeric_day(m, ctx)
    if found.day is not None and m["wd"] and found.day.weekday() != _weekday_number(m["wd"]):
        return Reading(None)  # "samedi 15/01" when the 15th is a Friday
    return found


def _numeric_day(m: re.Match[str], ctx: _Context) -> Reading:
    first, second = int(m["a"]), int(m["b"])
    orders = [(first, second), (second, first)]  # (day, month)
    if ctx.languages[0] == "en":
        orders.reverse()
    if ctx.past and orders[0][1] <= 12:
        orders = orders[:1]  # backwards, the member's own order only, unless it has no month
    for day_number, month in orders:
        if 1 <= month <= 12:
            day, recurring = _with_year(m["year"], month, day_number, ctx)
            if day is not None:
                return Reading(day, recurring=recurring)
    return Reading(None)


def _iso(m: re.Match[str], ctx: _Context) -> Reading:
    return Reading(_safe_date(int(m["year"]), int(m["month"]), int(m["day"])))


def _month_of(ref: str, ctx: _Context, fits: Callable[[int, int], bool]) -> tuple[int, int] | None:
    """(year, month) of "month+1", "march 2027" or "march" (the nearest that ``fits``)."""
    if ref.startswith("month"):
        first = _add_months(ctx.today.replace(day=1), int(ref[5:]))
        return (first.year, first.month) if first else None
    name, _, year = ref.partition(" ")
    month = _month_number(name)
    if year:
        return int(year), month
    step = -1 if ctx.past else 1
    for offset in range(2):
        if fits(ctx.today.year + step * offset, month):
            return ctx.today.year + step * offset, month
    return None


def _nth_weekday_in(year: int, month: int, target: int, nth: int) -> date | None:
    if nth == -1:
        last = date(year, month, _month_length(year, month))
        return last - timedelta(days=(last.weekday() - target) % 7)
    first = date(year, month, 1)
    return _safe_date(year, month, 1 + (target - first.weekday()) % 7 + 7 * (nth - 1))


def _nth_weekday(m: re.Match[str], ctx: _Context) -> Reading:
    target, nth = _weekday_number(m["wd"]), int(m["n"])

    def fits(year: int, month: int) -> bool:
        day = _nth_weekday_in(year, month, target, nth)
        return day is not None and (day <= ctx.today if ctx.past else day >= ctx.today)

    found = _month_of(m["ref"], ctx, fits)
    return Reading(_nth_weekday_in(found[0], found[1], target, nth) if found else None)


def _period_days(ref: str, ctx: _Context) -> tuple[date, date] | None:
    """First and last day of "week+1", "month-1", "year+0", "weekend+0", "march 2027"."""
    today = ctx.today
    kind, sign = ref.rstrip("+-0123456789"), ref[len(ref.rstrip("+-0123456789")) :]
    if kind == "week":
        monday = _monday(today, int(sign))
        return (monday, monday + timedelta(days=6)) if monday else None
    if kind == "weekend":
        offset, on_weekend = int(sign), today.weekday() >= 5
        if offset > 0:
            weeks = 1 if on_weekend else 0
        elif offset < 0:
            weeks = -1
        else:
            weeks = 0 if on_weekend or not ctx.past else -1
        monday = _monday(today, weeks)
        return (monday + timedelta(days=5), monday + timedelta(days=6)) if monday else None
    if kind == "year":
        year = today.year + int(sign)
        return (date(year, 1, 1), date(year, 12, 31)) if 1 <= year <= 9999 else None

    def fits(year: int, month: int) -> bool:
        start, end = date(year, month, 1), date(year, month, _month_length(year, month))
        return start <= today if ctx.past else end >= today

    found = _month_of(ref, ctx, fits)
    if found is None:
        return None
    year, month = found
    return date(year, month, 1), date(year, month, _month_length(year, month))


def _edge_days(edge: str, ref: str, ctx: _Context) -> tuple[date, date] | None:
    if ref.startswith("week"):
        period = _period_days(ref, ctx)
        if period is None:
            return None
        monday = period[0]
        first, last = {"early": (0, 1), "mid": (2, 3), "late": (4, 6)}[edge]
        return monday + timedelta(days=first), monday + timedelta(days=last)
    if ref.startswith("year"):
        period = _period_days(ref, ctx)
        if period is None or edge == "mid":
            return None
        year = period[0].year
        return (date(year, 1, 1), date(year, 1, 31)) if edge == "early" else (date(year, 12, 1), date(year, 12, 31))
    first_day, last_day = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}[edge]

    def span_of(year: int, month: int) -> tuple[date, date]:
        return date(year, month, first_day), date(year, month, min(last_day, _month_length(year, month)))

    def fits(year: int, month: int) -> bool:
        start, end = span_of(year, month)
        return start <= ctx.today if ctx.past else end >= ctx.today

    found = _month_of(ref, ctx, fits)
    return span_of(*found) if found else None


def _pick(edge: str, ref: str, span: tuple[date, date], ctx: _Context) -> tuple[date | None, str]:
    """The single day a plan or a deadline takes in an edge of a period."""
    start, end = span
    if ref.startswith("week"):
        day, rule = {"early": (start, "monday"), "mid": (start, "wednesday"), "late": (start, "friday")}[edge]
    elif edge == "early":
        day, rule = _first_workday(start, end), "first_workday"
    elif edge == "mid":
        fifteenth = start.replace(day=15) if not ref.startswith("year") else None
        if fifteenth is None:
            return None, "fifteenth"
        nudge = {5: -1, 6: 1}.get(fifteenth.weekday(), 0)  # Saturday → Friday, Sunday → Monday
        day, rule = fifteenth + timedelta(days=nudge), "fifteenth"
    elif ctx.visit:
        day, rule = _last_workday(start, end), "last_workday"
    else:
        day, rule = end, "last_day"
    if day is not None and day < ctx.today <= end:
        later = _first_workday(ctx.today, end)
        if later is not None:
            return later, "next_workday"
    return day, rule


def _edge(m: re.Match[str], ctx: _Context) -> Reading:
    span = _edge_days(m["edge"], m["ref"], ctx)
    if span is None:
        return Reading(None)
    if ctx.past:
        return _past_span_reading(span, ctx)
    day, rule = _pick(m["edge"], m["ref"], span, ctx)
    if m["ref"] == "week+0" and day is not None and day < ctx.today:
        # "fin de semaine" said on Saturday: next week's Friday.
        span = (span[0] + timedelta(days=7), span[1] + timedelta(days=7))
        day = day + timedelta(days=7)
    return Reading(day, span, rule)


def _past_span_reading(span: tuple[date, date], ctx: _Context, day: date | None = None, rule: str | None = None) -> Reading:
    start, end = span
    if start > ctx.today:
        return Reading(day, None, rule)
    return Reading(day, (start, min(end, ctx.today)), rule)


def _period(m: re.Match[str], ctx: _Context) -> Reading:
    ref = m["ref"].removeprefix("span ")
    span = _period_days(ref, ctx)
    if span is None:
        return Reading(None)
    day: date | None = None
    rule: str | None = None
    if ref in ("week+1", "week-1"):  # older tests pin next week = +7, last week = -7
        day, rule = _shift(ctx.today, 7 if ref == "week+1" else -7), "same_weekday"
    elif ref == "month+1":
        day, rule = _add_months(ctx.today, 1), "same_day"
    elif ref.startswith("weekend") and not ctx.past:
        day, rule = max(span[0], ctx.today), "saturday"
    if ctx.past:
        return _past_span_reading(span, ctx, day, rule)
    return Reading(day, span, rule)


def _easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the computus's own letters
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _easter(m: re.Match[str], ctx: _Context) -> Reading:
    """Easter and the days counted from it (Monday +1, Ascension +39, Whit Monday +50)."""
    offset = timedelta(days=int(m["off"]))
    step = -1 if ctx.past else 1
    for year in (ctx.today.year, ctx.today.year + step):
        day = _easter_sunday(year) + offset
        if (day <= ctx.today) if ctx.past else (day >= ctx.today):
            return Reading(day)
    return Reading(None)


def _week_of(m: re.Match[str], ctx: _Context) -> Reading:
    """ "la semaine du 14", "the week of december 14": Monday to Sunday around that day."""
    rest = m["rest"]
    inner = _read_canonical(f"#{rest}" if rest.isdigit() else rest, ctx)
    if inner is None or inner.day is None or inner.span is not None:
        return Reading(None)
    monday = inner.day - timedelta(days=inner.day.weekday())
    span = (monday, monday + timedelta(days=6))
    if ctx.past:
        return _past_span_reading(span, ctx)
    day = monday if monday >= ctx.today else _first_workday(ctx.today, span[1])
    return Reading(day, span, "monday" if day == monday else "next_workday")


def _iso_week(m: re.Match[str], ctx: _Context) -> Reading:
    """ "semaine 51", "wk 51": the ISO week of that number, this year or the nearest one."""
    number = int(m["n"])
    step = -1 if ctx.past else 1
    for year in (ctx.today.year, ctx.today.year + step):
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:
            continue
        span = (monday, monday + timedelta(days=6))
        if ctx.past and monday <= ctx.today:
            return _past_span_reading(span, ctx)
        if not ctx.past and span[1] >= ctx.today:
            day = monday if monday >= ctx.today else _first_workday(ctx.today, span[1])
            return Reading(day, span, "monday" if day == monday else "next_workday")
    return Reading(None)


def _deadline(m: re.Match[str], ctx: _Context) -> Reading:
    if ctx.past:
        return Reading(None)
    inner = _read_canonical(m["rest"], _Context(ctx.today, False, False, ctx.languages))
    if inner is None or inner.day is None:
        return Reading(None)
    if m["op"] == "before" and inner.span is None:
        return Reading(inner.day - timedelta(days=1), (ctx.today, inner.day - timedelta(days=1)), "day_before")
    return Reading(inner.day, inner.span, inner.rule)


_Handler = Callable[[re.Match[str], _Context], Reading]
_SHAPES: tuple[tuple[re.Pattern[str], _Handler], ...] = tuple(
    (re.compile(pattern), handler)
    for pattern, handler in (
        (r"d(?P<off>[+-]\d{1,5})(?: \+(?P<more>\d{1,3})d)?", _relative),
        (r"m(?P<off>[+-]\d{1,4})", _months),
        (rf"(?:(?P<mod>next|last) )?(?P<wd>{_WD})(?: (?P<week>{_WEEK}))?(?: \+(?P<more>\d{{1,2}})d)?", _weekday),
        (rf"(?P<week>{_WEEK}) (?P<wd>{_WD})(?P<mod>)(?P<more>)", _weekday),
        (rf"(?:(?P<wd>{_WD}) )?#?(?P<day>\d{{1,2}}) (?P<mo>{_MO})(?: (?P<year>\d{{4}}))?(?: (?P<dir>[<>]))?", _full_date),
        (rf"(?:(?P<wd>{_WD}) )?(?P<mo>{_MO}) #?(?P<day>\d{{1,2}})(?: (?P<year>\d{{4}}))?(?P<dir>)", _full_date),
        (rf"(?P<wd>{_WD}) #?(?P<day>\d{{1,2}})", _weekday_and_number),
        (r"#(?P<day>\d{1,2})(?: (?P<ref>month[+-]\d))?", _day_of_month),
        (r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})", _iso),
        (rf"(?:(?P<wd>{_WD}) )?#?(?P<a>\d{{1,2}})[/.-](?P<b>\d{{1,2}})(?:[/.-](?P<year>\d{{4}}|\d{{2}}))?", _numeric),
        (r"weekof (?P<rest>.+)", _week_of),
        (r"isoweek (?P<n>\d{1,2})", _iso_week),
        (r"easter(?P<off>[+-]\d{1,2})", _easter),
        (rf"#(?P<n>-1|[1-5]) (?P<wd>{_WD}) (?P<ref>{_MONTH_REF})", _nth_weekday),
        (rf"(?P<edge>early|mid|late) (?P<ref>week[+-]\d|year[+-]\d|{_MONTH_REF})", _edge),
        (rf"(?P<ref>week[+-]\d|month[+-]\d|year[+-]\d|weekend[+-]\d|span (?:{_MO})(?: \d{{4}})?)", _period),
        (r"(?P<op>by|before) (?P<rest>.+)", _deadline),
    )
)
# Date-shaped digits that no shape accepts ("2026-13-45", "1/2/3") still mean "a date".
_LOOSE_NUMERIC = re.compile(r"#?\d{1,4}(?:[/.-]\d{1,4}){1,2}")


def _read_canonical(text: str, ctx: _Context) -> Reading | None:
    """Read canonical day words; None when no shape fits, ``day`` None when it names no day."""
    if "mar?" in text:  # "mar 8": mardi 8 in French, March 8 in English
        text = text.replace("mar?", "tuesday" if ctx.languages[0] == "fr" else "march")
    name, _, language = text.partition(" ?")
    if language:  # "mon 10am": a weekday only in the member's own language
        if language != ctx.languages[0]:
            return None
        text = name
    for pattern, handler in _SHAPES:
        match = pattern.fullmatch(text)
        if match is not None:
            try:
                return handler(match, ctx)
            except (ValueError, OverflowError):
                return Reading(None)
    return None


def _has_shape(text: str) -> bool:
    for pattern, handler in _SHAPES:
        match = pattern.fullmatch(text)
        if match is not None:
            # "by <x>" / "before <x>" ("d'ici", "avant") has a day's shape only when <x> has one:
            # "Saveurs d'ici" is a name.
            return handler is not _deadline or _has_shape(match.group("rest"))
    return _LOOSE_NUMERIC.fullmatch(text) is not None


# --- Times of day --------------------------------------------------------------------------

_CLOCK = re.compile(
    r"(?:\b(?:a|at|for|pour|@)\s+)?"
    r"(?:\b(?P<h1>\d{1,2})\s*(?:h|heures?)(?:\s*(?P<m1>\d{2})\b)?(?![a-z])"
    r"|\b(?P<h2>\d{1,2}):(?P<m2>\d{2})(?:\s*(?P<ap2>am|pm))?"
    r"|\b(?P<h3>\d{1,2})\s*(?P<ap3>am|pm)"
    r"|(?<!-)\b(?P<word>midi|minuit|noon|midnight)\b"
    r")(?=\s|$)"
)
# "at 4", "à 8", "8 tonight": an hour without h, colon or am/pm.
_BARE_HOUR = re.compile(
    rf"(?:\b(?:a|at|@)\s+(?P<h1>\d{{1,2}})(?!\s*(?:[/.:\d-]|(?:{words.MONTH}|{words._UNIT_WORDS})\b))(?=\s|$)"
    r"|(?:^|(?<=\s))(?P<h2>\d{1,2})(?=\s+(?:(?:tomorrow|demain|today)\s+(?:morning|afternoon|evening|night|matin|soir)"
    r"|tonight|ce\s+soir|this\s+evening|du\s+soir|du\s+matin"
    r"|de\s+l'apres-midi|in\s+the\s+(?:morning|afternoon|evening)|at\s+night)\b))"
)
_CLOCK_WORDS = {"midi": 12, "noon": 12, "minuit": 0, "midnight": 0}
# Clock-shaped words, in range or not ("25h", "10h61", "13pm"): a mistyped time is still
# "a time", so a planning grammar can say "bad time" instead of filing it in a name.
_LOOSE_CLOCK = re.compile(
    r"(?:\b(?:a|at|for|pour|@)\s+)?"
    r"(?:\b\d{1,4}\s*(?:h|heures?)(?:\s*\d{1,4})?(?![a-z0-9])"
    r"|\b\d{1,4}:\d{1,4}(?:\s*(?:am|pm))?(?![a-z0-9])"
    r"|\b\d{1,4}\s*(?:am|pm)(?![a-z0-9])"
    r"|(?<!-)\b(?:midi|minuit|noon|midnight)\b)"
)
_DURATION = re.compile(
    r"(?:dans|d'ici|in|within)\s+(?:(?P<count>\d{1,4}|une?|a|an|one|une\s+demi|half\s+an|a\s+half)[\s-]*"
    r"(?P<unit>heures?|h|hours?|hrs?|minutes?|mins?|mn)(?P<half>\s+et\s+demie?|\s+and\s+a\s+half)?"
    r"|(?P<hours>\d{1,2})\s*h\s*(?P<minutes>\d{2}))"
)


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    business: bool  # no am/pm, no "h": 1 to 7 means the afternoon unless a part says otherwise


@dataclass(frozen=True)
class _Split:
    """A prepared phrase cut into its time of day, its part of the day and its day words."""

    clock: _Clock | None
    part: tuple[int, int] | None
    today_part: bool  # "ce soir", "this morning": the part names today
    day: str  # canonical day words, "" when none


def _clock_of(match: re.Match[str], bare: bool = False) -> _Clock | None:
    if bare:
        hour = int(match["h1"] or match["h2"])
        return _Clock(hour, 0, True) if hour <= 23 else None
    if match["word"]:
        return _Clock(_CLOCK_WORDS[match["word"]], 0, False)
    hour = int(match["h1"] or match["h2"] or match["h3"])
    minute = int(match["m1"] or match["m2"] or "0")
    meridiem = match["ap2"] or match["ap3"]
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    colon = match["h2"] is not None and not meridiem and not match["h2"].startswith("0")
    return _Clock(hour, minute, colon)


_INVALID = _Split(None, None, False, "\0")  # a clock that is not a time: "25h", "13pm"


@lru_cache(maxsize=4096)
def _split(text: str) -> _Split | None:
    """Take the clock and the part of the day out of a prepared phrase; None if ambiguous."""
    clocks = list(_CLOCK.finditer(text))
    bare = False
    if not clocks:
        clocks = list(_BARE_HOUR.finditer(text))
        bare = True
    if len(clocks) > 1:
        return None
    clock = None
    if clocks:
        clock = _clock_of(clocks[0], bare)
        if clock is None:
            return _INVALID
        text = text[: clocks[0].start()] + " " + text[clocks[0].end() :]
    part: tuple[int, int] | None = None
    today_part = False
    for pattern, hour, minute, names_today in words.PARTS:
        found = pattern.search(text)
        if found is not None:
            if part is not None:
                return None  # two parts of the day: "ce soir demain matin"
            part, today_part = (hour, minute), names_today
            text = text[: found.start()] + " " + text[found.end() :]
    rest = " ".join(text.split()).strip(" -.:'")
    if clock is not None or part is not None:
        if rest in words.LANGUAGE_ABBREVIATIONS:
            language, name = words.LANGUAGE_ABBREVIATIONS[rest]
            return _Split(clock, part, today_part, f"{name} ?{language}")
        rest = words.TIMED_ABBREVIATIONS.get(rest, rest)
    return _Split(clock, part, today_part, canonical_day(rest) if rest else "")


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    # Only French and English shapes exist here; an unknown code must not reach dateparser.
    chosen = tuple(dict.fromkeys(code for code in languages if code in SUPPORTED_LANGUAGES))
    return chosen or SUPPORTED_LANGUAGES


# --- dateparser, the last resort -------------------------------------------------------------

# Words a phrase handed to dateparser may hold: canonical day words, numbers, years.
_DATEPARSER_WORDS = re.compile(rf"(?:(?:{_MO}|{_WD}|\d{{1,4}})\s*)+")


@lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...], today: date, past: bool) -> DateDataParser:
    """The dateparser parser for a language order, a "today" and a direction.

    RELATIVE_BASE is a constructor setting, so there is one parser per (languages, day,
    direction), kept in a small cache: building one costs about a millisecond.
    """
    return DateDataParser(
        languages=list(languages),
        use_given_order=True,
        settings={
            "RELATIVE_BASE": datetime(today.year, today.month, today.day),
            "PREFER_DATES_FROM": "past" if past else "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "DATE_ORDER": "MDY" if languages[0] == "en" else "DMY",
            "STRICT_PARSING": True,  # a day, a month and a year, or nothing
            "PARSERS": ["absolute-time"],
        },
    )


def _dateparser_day(text: str, ctx: _Context) -> Reading | None:
    """Ask dateparser about a canonical phrase of month names, weekdays and numbers only."""
    if not _DATEPARSER_WORDS.fullmatch(text) or not re.search(r"\d{4}", text):
        return None
    try:
        data = _parser(ctx.languages, ctx.today, ctx.past).get_date_data(text)
    except Exception:  # noqa: BLE001 - a third-party parser bug must read as "not a date"
        return None
    return Reading(data.date_obj.date()) if data.date_obj is not None else None


# --- Reading a day ---------------------------------------------------------------------------


def _read_day(phrase: str, ctx: _Context) -> Reading | None:
    """Read a phrase as a day (times of day dropped); None when it is not one."""
    text = prepare(phrase)
    if text is None:
        return None
    split = _split(text)
    if split is None or split is _INVALID:
        return None
    if not split.day:
        return Reading(ctx.today) if split.today_part else None
    if split.today_part and split.day != "d+0":
        return None  # "ce soir" names today; another day with it is a contradiction
    return _read_canonical(split.day, ctx) or _dateparser_day(split.day, ctx)


def read_day(
    phrase: str,
    *,
    today: date,
    languages: Sequence[str] = SUPPORTED_LANGUAGES,
    past: bool = False,
    visit: bool = False,
) -> Reading | None:
    """The day a phrase names, with its span and the rule that chose it; None if not a day.

    Forwards by default (a deadline; ``visit=True`` for a planned visit), backwards with
    ``past=True``. ``Reading.day`` is None when the words have the shape of a day but name
    none ("31/02") or name several days backwards ("le mois dernier"). Never raises.
    """
    try:
        return _read_day(phrase, _Context(today, past, visit, _languages(languages)))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def parse_day_any(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day a phrase names, read backwards but past or future ("demain" gives tomorrow).

    Used to tell "a date in the future" from "not a date at all". None for what is not a
    day, and for a span of several days (:func:`past_span` gives those).
    """
    found = read_day(phrase, today=today, languages=languages, past=True)
    return found.day if found is not None else None


def parse_past_day(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day a past action happened, read in the member's language first; None otherwise.

    Returns None for phrases that are not a day, for spans ("le mois dernier", "fin
    novembre"; "la semaine dernière" is kept at 7 days ago, see the module's decisions)
    and for days after ``today``.
    """
    day = parse_day_any(phrase, today=today, languages=languages)
    return day if day is not None and day <= today else None


def past_span(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> tuple[date, date] | None:
    """The days a past phrase covers, first and last (a single day gives it twice).

    "le mois dernier" (1–30 November said in December), "la semaine dernière" / "last
    week" (Monday to Sunday), "le week-end dernier", "cette semaine" (Monday to today),
    "début novembre" (1–10), "en novembre", "hier" (that day twice). None when the phrase
    is not a past day or span. A /log line asks which day when the two differ.
    """
    found = read_day(phrase, today=today, languages=languages, past=True)
    if found is None:
        return None
    if found.span is not None:
        return found.span
    if found.day is not None and found.day <= today:
        return found.day, found.day
    return None


def parse_future_day(
    phrase: str, *, today: date, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> date | None:
    """The day of a deadline: the next such day on or after today; None if not a day.

    "15/12", "15 décembre", "le 15", "demain", "dans 3 semaines", "vendredi prochain",
    "fin du mois", "mi-janvier", "d'ici vendredi", "the first monday of march"… Times of
    day are ignored. A phrase that names a past day explicitly ("hier", "15/12/2025")
    gives that past day: compare with ``today``. Never raises.
    """
    found = read_day(phrase, today=today, languages=languages)
    return found.day if found is not None else None


def looks_like_date(phrase: str) -> bool:
    """True when a phrase has the shape of a day, valid or not ("32/13", "31 février").

    The grammars use it to refuse a mistyped date rather than file it in a name.
    """
    try:
        text = prepare(phrase)
        split = _split(text) if text is not None else None
        if split is None or split is _INVALID:
            return False
        return split.today_part if not split.day else _has_shape(split.day)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return False


def looks_like_future_day(phrase: str) -> bool:
    """True when a phrase has the shape of a day for :func:`parse_future_day`, valid or not."""
    return looks_like_date(phrase)


def warm_up() -> None:
    """Compile the tables and load dateparser's French and English data now, not in a command."""
    today = date(2026, 1, 1)
    for languages in (("fr", "en"), ("en", "fr")):
        for past in (True, False):
            _dateparser_day("january 3 2026", _Context(today, past, False, languages))
    parse_when("demain 10h", now_local=datetime(2026, 1, 1, 9, 0))


# --- parse_when: a day and a time for planning ------------------------------------------------


def _duration(match: re.Match[str]) -> timedelta | None:
    if match["hours"] is not None:
        return timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
    count_text = " ".join(match["count"].split())
    if count_text in ("une demi", "half an", "a half"):
        minutes = 30
    else:
        count = int(count_text) if count_text.isdigit() else 1
        minutes = count * 60 if match["unit"].startswith("h") else count
        if match["half"]:
            minutes += 30 if match["unit"].startswith("h") else 0
    if minutes > 60 * 24 * 366:
        return None
    return timedelta(minutes=minutes)


def _add_real_time(now: datetime, delta: timedelta) -> datetime:
    """Now + delta, in real elapsed time when ``now`` knows its zone; naive wall time out."""
    if now.tzinfo is None:
        return now.replace(second=0, microsecond=0) + delta
    moved = (now.astimezone(UTC) + delta).astimezone(now.tzinfo)
    return moved.replace(tzinfo=None, second=0, microsecond=0)


def read_when(
    phrase: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> WhenReading | None:
    """:func:`parse_when` with what the reply needs: whether a time was said, the span, the rule."""
    try:
        return _read_when(phrase, now_local, _languages(languages))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def parse_when(
    phrase: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> datetime | None:
    """When a visit or follow-up is planned, as naive local wall time; None if unreadable.

    "mardi 10h", "samedi 16 à 18h", "demain vers 9h", "lundi en huit", "fin mars",
    "en fin d'après-midi", "next tuesday 2pm", "at 4", "a quarter past 3", "in 2 hours"…
    Always in the future when the words allow it (see the module's decisions). Never raises.
    """
    found = read_when(phrase, now_local=now_local, languages=languages)
    return found.moment if found is not None else None


def _read_when(phrase: str, now: datetime, languages: tuple[str, ...]) -> WhenReading | None:
    text = prepare(phrase)
    if text is None:
        return None
    if match := _DURATION.fullmatch(text):
        delta = _duration(match)
        return WhenReading(_add_real_time(now, delta), True) if delta is not None else None

    # Beyond durations, only the wall time matters: compare naive with naive.
    now = now.replace(tzinfo=None)
    split = _split(text)
    if split is None or split is _INVALID:
        return None
    clock, part = split.clock, split.part
    if clock is None and part is None and not split.day:
        return None

    today = now.date()
    ctx = _Context(today, False, True, languages)
    reading: Reading | None
    if split.day in ("", "d+0"):
        reading = Reading(today, recurring=not split.day and not split.today_part)
    elif split.today_part:
        return None  # "ce soir" names today; another day with it is a contradiction
    else:
        reading = _read_canonical(split.day, ctx) or _dateparser_day(split.day, ctx)
        if reading is None or reading.day is None:
            return None

    if clock is not None:
        hour, minute = clock.hour, clock.minute
        if part is not None and part[0] >= 14 and hour < 12:
            hour += 12  # "8h du soir", "8 tonight", "3h de l'après-midi"
        elif part is None and clock.business and 1 <= hour <= 7:
            hour += 12  # "at 4", "3:30": business hours, not the night
    elif part is not None:
        hour, minute = part
    else:
        hour, minute = 9, 0
    assert reading.day is not None
    moment = datetime.combine(reading.day, datetime.min.time()).replace(hour=hour, minute=minute)

    if moment <= now and reading.day == today:
        if reading.recurring:
            later = (
                _read_canonical(split.day, _Context(today + timedelta(days=1), False, True, languages))
                if split.day
                else Reading(today + timedelta(days=1))
            )
            if later is not None and later.day is not None:
                moment = datetime.combine(later.day, moment.time())
        elif clock is None and part is None:
            # "aujourd'hui" after 09:00: the next whole hour.
            moment = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return WhenReading(moment, clock is not None, reading.span, reading.rule)


def when_has_time(phrase: str) -> bool:
    """True when the words of a :func:`parse_when` phrase give a time of day.

    "mardi 10h", "2pm", "midi", "at 4", "in 2 hours" do; "demain", "demain matin" (a part
    of the day, not a time), "aujourd'hui" do not. Never raises.
    """
    try:
        text = prepare(phrase)
        if text is None:
            return False
        if _DURATION.fullmatch(text):
            return True
        split = _split(text)
        return split is not None and split is not _INVALID and split.clock is not None
    except (ValueError, OverflowError, TypeError, AttributeError):
        return False


def looks_like_when(phrase: str) -> bool:
    """True when a phrase has the shape of a planning time, valid or not.

    "25h", "mardi 26h", "32/13", "32/13 10h", "le 32 à 10h" look like one; "Gamma Sud"
    and "Beta 10h" (a name before the time) do not. Never raises.
    """
    try:
        text = prepare(phrase)
        if text is None:
            return False
        if _DURATION.fullmatch(text):
            return True
        rest = _LOOSE_CLOCK.sub(" ", text)
        found = rest != text
        for pattern, _hour, _minute, _today in words.PARTS:
            rest, count = pattern.subn(" ", rest)
            found = found or count > 0
        rest = " ".join(rest.split()).strip(" -.:'")
        if not rest:
            return found
        return _has_shape(canonical_day(rest))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return False
