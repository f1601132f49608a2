"""The words of dates and times, French and English, as tables: how :mod:`bot.grammar.when`
turns the many ways people write a day into one canonical spelling it can read.

Reading a phrase goes in three steps (see ``when.py``):

1. :func:`prepare` folds the phrase (case, accents, typographic signs), spells numbers in
   digits ("quinze heures trente" → "15 heures 30", "premier mars" → "#1 mars"), writes
   spoken times as clocks ("midi et quart" → "12:15", "a quarter past 3" → "3:15") and
   drops hedges ("vers", "environ", "aux alentours de", "around", "-ish");
2. ``when.py`` takes out the time of day and the part of the day (:data:`PARTS`);
3. :func:`canonical_day` rewrites what is left into the canonical spelling below, which
   a handful of shapes in ``when.py`` read.

Canonical spelling of a day:

- ``d+N`` / ``d-N``: N days from today ("demain" d+1, "la veille" d-1, "dans quinze
  jours" d+14, "a fortnight ago" d-14); ``m+N`` / ``m-N``: N months, the day kept;
- ``+Nd`` after a day adds N days ("lundi en huit": monday +7d);
- ``monday`` … ``sunday`` with ``next`` / ``last`` / ``this``; ``january`` … ``december``;
- ``#N``: a day of the month said as such ("le 3", "the 3rd", "premier"); ``#-1``: "the
  last" in "le dernier vendredi du mois";
- ``week±N``, ``month±N``, ``year±N``, ``weekend±N``: this (0), next (+1), last (-1);
  ``span <month>``: "en novembre", "courant janvier", "in november";
- ``early`` / ``mid`` / ``late`` before a period: "début", "mi-", "fin" / "early",
  "mid", "end of";
- ``by`` / ``before`` before a day: "d'ici", "au plus tard", "by" / "avant", "before".

Numbers in words are read here from a small table (0–59 and the ordinals a date needs):
text2num 3.x has no wheel for macOS on Intel (its sdist needs Rust), and a date needs
no more than these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bot.grammar.normalize import fold

MAX_PHRASE_LENGTH = 80

MONTHS: dict[str, int] = {}
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
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
        MONTHS[_name] = _number

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Full names are days anywhere; abbreviations only right before a day number or a month
# ("Fri, Jan 15", "ven. 18 déc."): "sun", "sat", "mon" or "sam" alone are other words.
WEEKDAYS: dict[str, int] = {}
_WEEKDAY_ABBREVIATIONS: dict[str, int] = {}
for _number, (_full, _short) in enumerate(
    (
        (("lundi", "monday"), ("lun", "mon")),
        (("mardi", "tuesday"), ("tue", "tues")),
        (("mercredi", "wednesday"), ("mer", "merc", "wed")),
        (("jeudi", "thursday"), ("jeu", "thu", "thur", "thurs")),
        (("vendredi", "friday"), ("ven", "vend", "fri")),
        (("samedi", "saturday"), ("sam", "sat")),
        (("dimanche", "sunday"), ("dim", "sun")),
    )
):
    for _name in _full:
        WEEKDAYS[_name] = _number
    for _name in _short:
        _WEEKDAY_ABBREVIATIONS[_name] = _number


# Abbreviations safe as a day on their own when a time comes with them ("wed at 3",
# "thurs 2pm"); "sun", "sat", "mer", "jeu", "dim" are words too and need a day number.
TIMED_ABBREVIATIONS: dict[str, str] = {
    name: WEEKDAY_NAMES[number]
    for name, number in _WEEKDAY_ABBREVIATIONS.items()
    if name not in ("sun", "sat", "sam", "dim", "mer", "jeu", "mon")
}
# "Mon morning", "Sat 10am": days with a time for an English-first member only ("mon" is
# "my" in French). "sun", "sam", "mer", "jeu", "dim" end names ("Rising Sun", "Chez Sam",
# "Hôtel de la Mer", "Dim"): with a time they are days only when written with their dot.
LANGUAGE_ABBREVIATIONS: dict[str, tuple[str, str]] = {"mon": ("en", "monday"), "sat": ("en", "saturday")}


def alternation(words: object) -> str:
    """A regex alternation of ``words``, longest first ("septembre" before "sept")."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))  # type: ignore[arg-type]


MONTH = alternation(MONTHS)
WEEKDAY = alternation(WEEKDAYS)
CANONICAL_MONTH = alternation(MONTH_NAMES)
CANONICAL_WEEKDAY = alternation(WEEKDAY_NAMES)
_UNIT_WORDS = (
    r"jours?|j|days?|semaines?|weeks?|wks?|mois|months?|ans?|annees?|years?"
    r"|heures?|h|hours?|hrs?|minutes?|mins?|mn"
)

# --- Numbers in words ------------------------------------------------------------------
_CARDINALS: dict[str, int] = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_UNIT_VALUES = {**{w: v for w, v in _CARDINALS.items() if v < 10}, "un": 1, "une": 1}
_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
         "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}  # fmt: skip
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
                  "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9}  # fmt: skip
_ORDINALS = {
    **_ORDINAL_UNITS,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
    "premier": 1, "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5,
}  # fmt: skip

_CARDINAL = re.compile(
    rf"\b(?:(?P<tens>{alternation(_TENS)})(?:(?:-|\s+)(?:et(?:-|\s+))?(?P<unit>{alternation(_UNIT_VALUES)}))?"
    rf"|dix(?:-|\s+)(?P<teen>sept|huit|neuf)"
    rf"|(?P<single>{alternation(_CARDINALS)}))\b"
)
_ORDINAL = re.compile(
    rf"\b(?:(?P<tens>twenty|thirty)(?:-|\s+)(?P<unit>{alternation(_ORDINAL_UNITS)})"
    rf"|(?P<word>{alternation(_ORDINALS)}))\b"
)
# "sept" is 7 before a unit ("sept heures") and September otherwise ("12 sept", "Sept 12").
_SEPT_IS_SEVEN = re.compile(rf"\s*(?:{_UNIT_WORDS}|{MONTH})\b")
# An ordinal word is a day only before a weekday or a month ("premier mars", "the first
# monday", "second of may"): "Hôtel Le Premier" or "Acme the Second" are names.
_ORDINAL_BEFORE_DAY = re.compile(
    rf"\s+(?:(?:of|de|d'|du)\s+)?(?:{WEEKDAY}|{MONTH}|mois|month|week|semaine|ce|this|next|prochain)\b"
)


def _cardinal(match: re.Match[str]) -> str:
    if match["tens"]:
        return str(_TENS[match["tens"]] + (_UNIT_VALUES[match["unit"]] if match["unit"] else 0))
    if match["teen"]:
        return str(10 + _CARDINALS[match["teen"]])
    word = match["single"]
    if word == "sept" and not _SEPT_IS_SEVEN.match(match.string, match.end()):
        return word
    return str(_CARDINALS[word])


def _ordinal(match: re.Match[str]) -> str:
    if not _ORDINAL_BEFORE_DAY.match(match.string, match.end()):
        return match[0]
    if match["tens"]:
        return f"#{_TENS[match['tens']] + _ORDINAL_UNITS[match['unit']]}"
    word = match["word"]
    if not _ORDINAL_BEFORE_DAY.match(match.string, match.end()):
        return word
    return f"#{_ORDINALS[word]}"


# --- Spoken times ----------------------------------------------------------------------
def _hour_minus(hour: str, minutes: int, separator: str) -> str:
    value = (int(hour) - 1) % 24
    return f"{value}{separator}{60 - minutes:02d}"


_Rewrite = tuple[re.Pattern[str], "str | Callable[[re.Match[str]], str]"]


def _rules(*pairs: tuple[str, object]) -> tuple[_Rewrite, ...]:
    return tuple((re.compile(pattern), replacement) for pattern, replacement in pairs)  # type: ignore[misc]


_HOUR_WORD = r"(?:h|heures?)"
# A meeting from one time to another is planned at its start: "de 9h à 10h", "15h-16h",
# "2-3pm", "from 2 to 3pm"; "entre 9h et 11h", "between 9 and 11" is a window to arrive
# in, not a time, and stays unread. Without a mark on the first hour, a "de"/"entre"/"from" or a
# dash must say it is a range ("le 3 à 10h" is a day and a time).
_RANGE = re.compile(
    r"(?:\b(?P<open>de|entre|from|between)\s+)?(?<![/.\d#:])\b(?P<h1>\d{1,2})"
    r"(?:\s*(?P<u1>h|:)\s*(?P<m1>\d{2})?)?\s*(?P<ap1>am|pm)?"
    r"\s*(?P<sep>-|a|et|to|and|until|till|jusqu'a)\s*"
    r"(?P<h2>\d{1,2})(?:\s*(?P<u2>h|:)\s*(?P<m2>\d{2})?)?\s*(?P<ap2>am|pm)?\b(?![/.:]?\d)"
)


def _range_start(match: re.Match[str]) -> str:
    if match["open"] in ("entre", "between"):
        return match[0]  # a window to arrive in names no time: refused (tests pin it)
    first_marked = match["u1"] or match["ap1"]
    second_marked = match["u2"] or match["ap2"]
    if not second_marked or not (first_marked or match["open"] or match["sep"] == "-"):
        return match[0]
    if match["u2"] == ":" and not match["m2"] or match["u1"] == ":" and not match["m1"]:
        return match[0]
    hour, minute = int(match["h1"]), match["m1"] or "00"
    meridiem = match["ap1"]
    if match["ap2"] and not meridiem:
        # "2-3pm" is 2pm, "11-1pm" 11am: the first hour takes the other half of the day
        # only when it comes after the second on the clock face.
        later = hour % 12 > int(match["h2"]) % 12
        meridiem = {"am": "pm", "pm": "am"}[match["ap2"]] if later else match["ap2"]
    if meridiem:
        return f"{hour}:{minute}{meridiem}"
    unit = match["u1"] or match["u2"]
    if unit == "h":
        return f"{hour}h{minute}"
    return f"{hour}:{minute}" if match["m1"] else f"at {hour}"
_SHORT_PARTS = {"eve": "evening", "aft": "afternoon", "arvo": "afternoon", "morn": "morning", "mat": "matin",
                "nite": "night", "am": "morning", "pm": "afternoon"}  # fmt: skip
_SPELLINGS = _rules(
    (r"\ba\.m\.?|\ba\.m\b", "am"),
    (r"\bp\.m\.?|\bp\.m\b", "pm"),
    # A weekday abbreviation with its dot, before more words, is a weekday ("jeu. 14h",
    # "Sat. 10am"; "chez Sam." is not); "mar." is left to the shapes (mardi or March).
    (rf"\b({alternation(n for n in _WEEKDAY_ABBREVIATIONS if n != 'mar')})\.(?=,?\s+[\w#@])",
     lambda m: WEEKDAY_NAMES[_WEEKDAY_ABBREVIATIONS[m[1]]]),
    (r"(?<=[a-z])\.(?=\s|$|,)", ""),  # abbreviation dots and a final full stop
    (r"[,;!?()\[\]\"]", " "),
    (r"\baujourd\s*'?\s*hui\b|\bauj\b", "aujourd'hui"),
    (r"\bavant\s+hier\b", "avant-hier"),
    (r"\bapres\s+demain\b", "apres-demain"),
    (r"\bapres\s+midi\b", "apres-midi"),
    (r"\bweek\s*-?\s*ends?\b|\bwe\b(?=\s*$)", "week-end"),
    (r"\blast\s+night\b", "hier soir"),
    (r"\btonite\b", "tonight"),
    (r"@", " at "),
    (r"'\s*time\b|(?<=s)\s+time\b", ""),  # "in 3 weeks' time"
    (r"\bjust\s+now\b|\ba\s+l'instant\b", "d-0"),  # a moment ago: today, for a /log
    (r"\b(?:maintenant|tout\s+de\s+suite|en\s+ce\s+moment|right\s+now|now|immediately)\s*$", "aujourd'hui"),
    (r"\b(?:dans|en|au\s+cours\s+de)\s+la\s+journee(?:\s+de)?\b", " journee "),
    (r"\bmeme\b", ""),
    (r"\b(?:tmrw|tmw|tomorow|tommorow|tommorrow|2morrow)\b", "tomorrow"),
    (r"\bfirst\s+thing(?:\s+in\s+the\s+morning)?\b|\ba\s+la\s+premiere\s+heure\b", "morning"),
    (r"\b(noon|midi)ish\b", r"\1"),
    (r"(?<![\d:])(\d{1,2})\s*-?ish\b", r"at \1"),  # "3ish" is an hour
    (r"(?:(?<=[\dh])|(?<=am)|(?<=pm))\s*-?ish\b", ""),  # "3:30ish", "3pmish", "15hish"
    (r"\baprem\b|\bap\s*-?\s*m\b", "apres-midi"),
    # Chat abbreviations: "la sem pro", "lundi proch.", "le mois pro".
    (r"\bsem\b(?=\s+(?:pro|proch|prochaine|derniere|passee|suivante|d'apres|d'avant)\b)", "semaine"),
    (rf"\b(semaine|annee|{alternation(WEEKDAYS)}|mois|week-?end)\s+(?:pro|proch)\b",
     lambda m: f"{m[1]} {'prochaine' if m[1] in ('semaine', 'annee') else 'prochain'}"),
    (r"\bmidday\b", "noon"),
    (r"\b12\s*(noon|midnight|midi|minuit)\b", r"\1"),
    (r"\bce\s+midi\b|\bthis\s+noon\b", "aujourd'hui midi"),
    # Short parts of the day right after a day: "tomorrow eve", "thu pm", "demain mat" ("Eve"
    # or "PM" alone are names).
    (rf"\b((?:tomorrow|today|tonight|yesterday|demain|hier|{alternation(WEEKDAYS)}|{alternation(_WEEKDAY_ABBREVIATIONS)})\.?)\s+"
     r"(eve|aft|arvo|morn|mat|nite|am|pm)\b",
     lambda m: f"{m[1]} {_SHORT_PARTS[m[2]]}"),
    # "earlier today", "earlier this week": the day or period itself ("later today" names no time).
    (r"\bearlier\s+(?=this\b)", ""),
    (r"\bearlier\s+today\b|\btout\s+a\s+l'heure\b|\bplus\s+tot\s+(?:aujourd'hui|dans\s+la\s+journee)\b", "d-0"),
    (r"\b(\d{1,2})\.(\d{2})\s*(am|pm)\b", r"\1:\2\3"),
    # British "at 10.30" is a time; a bare "18.30" stays unread (tests pin "demain 18.30").
    (r"(\bat\s+|@\s*)(\d{1,2})\.([0-5]\d)\b(?![./]\d)", r"\1\2:\3"),
    (r"\b(?:a\s+)?couple\s+(?:of\s+)?", "2 "),
    (_RANGE.pattern, _range_start),
    (r"\bmid-", "mid "),
    # Idioms before numbers: "quinze jours" is two weeks, "huit jours" one.
    (r"\b(?:une\s+)?quinzaine(?:\s+de\s+jours)?\b|\bquinze\s+jours\b", "14 jours"),
    (r"\b(?:une\s+)?huitaine(?:\s+de\s+jours)?\b|\bhuit\s+jours\b", "7 jours"),
    (r"\b(?:a\s+|one\s+)?fortnight\b", "14 days"),
)
_NUMBERS = _rules(
    (r"\ble\s+dernier\s+(?=(?:" + WEEKDAY + r")\s+(?:du|de|d')\b)", "#-1 "),
    (r"\bthe\s+last\s+(?=(?:" + WEEKDAY + r")\s+of\b)", "#-1 "),
    (_ORDINAL.pattern, _ordinal),
    (r"\b(\d{1,2})\s?(?:er|re|ere|eme|e|st|nd|rd|th)\b", r"#\1"),
    # "le 3", "the 3": a day of the month, in digits only ("Le Cinq" is a restaurant).
    (rf"\b(?:le|the)\s+(\d{{1,2}})\b(?!\s*(?:[/.:-]\d|{_UNIT_WORDS}\b|am\b|pm\b))", r"#\1"),
    (_CARDINAL.pattern, _cardinal),
)
_SPOKEN_TIMES = _rules(
    # Hours or minutes ago are today, for a /log ("il y a 2 heures", "an hour ago"); never a plan.
    (r"\bil\s+y\s+a\s+(?:\d{1,2}|une?|quelques)\s+(?:heures?|h|minutes?|min|mn)\b"
     r"|\b(?:\d{1,2}|an?|one|a\s+few)\s+(?:hours?|hrs?|minutes?|mins?)\s+ago\b", "d-0"),
    (r"\b(midi|noon)\s+et\s+quart\b", "12:15"),
    (r"\b(midi|noon)\s+et\s+demie?\b", "12:30"),
    (r"\b(midi|noon)\s+moins\s+le\s+quart\b", "11:45"),
    (r"\bminuit\s+et\s+quart\b", "0:15"),
    (r"\bminuit\s+et\s+demie?\b", "0:30"),
    (rf"\b(\d{{1,2}})\s*{_HOUR_WORD}\s+et\s+quart\b", r"\1h15"),
    (rf"\b(\d{{1,2}})\s*{_HOUR_WORD}\s+et\s+demie?\b", r"\1h30"),
    (rf"\b(\d{{1,2}})\s*{_HOUR_WORD}\s+moins\s+le\s+quart\b", lambda m: _hour_minus(m[1], 15, "h")),
    (rf"\b(\d{{1,2}})\s*{_HOUR_WORD}\s+moins\s+(\d{{1,2}})\b", lambda m: _hour_minus(m[1], int(m[2]), "h")),
    (r"\b(?:a\s+)?quarter\s+past\s+(\d{1,2})\b", r"\1:15"),
    (r"\bhalf\s+past\s+(\d{1,2})\b", r"\1:30"),
    (r"\bhalf\s+(\d{1,2})\b", r"\1:30"),  # British "half three"
    (r"\b(\d{1,2})\s+(?:minutes?\s+)?past\s+(\d{1,2})\b", lambda m: f"{m[2]}:{int(m[1]):02d}"),
    (r"\b(?:a\s+)?quarter\s+(?:to|of)\s+(\d{1,2})\b", lambda m: _hour_minus(m[1], 15, ":")),
    (r"\b(\d{1,2})\s+minutes?\s+to\s+(\d{1,2})\b", lambda m: _hour_minus(m[2], int(m[1]), ":")),
    (r"\b(\d{1,2})\s*o\s*'?\s*clock\b", r"\1:00"),
    # "twelve thirty", "at 11 30": an hour and its minutes at the end of the phrase.
    (r"(?<![\d#/:.])\b(\d{1,2})\s+([0-5]\d)(?=\s*(?:am|pm)?\s*$)", r"\1:\2"),
)
# A hedge before a bare hour at the end keeps it an hour: "tonight around 7", "vers 7".
_HEDGED_HOUR = re.compile(r"\b(?:around|about|roughly|circa|approx(?:imately)?|vers|environ)\s+(?=\d{1,2}\s*$)")
_HEDGES = re.compile(
    r"\b(?:a\s+)?environ\b|\baux\s+alentours\s+de\b|\bautour\s+de\b|\ba\s+peu\s+pres\b"
    r"|\bapproximativement\b|\bplutot\b|\bdisons\b|\bgrosso\s+modo\b|\bvers\b"
    r"|\baround\b|\babout\b|\bapprox(?:imately)?\b|\broughly\b|\bcirca\b|\bor\s+so\b"
    r"|-ish\b|\bish\b|\bpile\b|\bprecises?\b|\bsharp\b|\bon\s+the\s+dot\b|\bsome\s*time\b"
)


def _apply(rules: tuple[_Rewrite, ...], text: str) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)  # type: ignore[arg-type]
    return text


@lru_cache(maxsize=4096)
def prepare(phrase: str) -> str | None:
    """Fold a phrase, spell its numbers and spoken times in digits, drop hedges.

    None for what cannot be a date phrase: not a string, empty, or longer than
    :data:`MAX_PHRASE_LENGTH` (rejected before any regex runs).
    """
    if not isinstance(phrase, str) or not phrase or len(phrase) > MAX_PHRASE_LENGTH:
        return None
    text = fold(phrase)
    text = _apply(_SPELLINGS, text)
    text = _apply(_NUMBERS, text)
    text = _apply(_SPOKEN_TIMES, text)
    text = _HEDGED_HOUR.sub("at ", text)
    text = _HEDGES.sub(" ", text)
    text = " ".join(text.split()).strip(" -.:'")
    return text or None


# --- Parts of the day --------------------------------------------------------------------
# (pattern, hour, minute, names today). The first that matches is the part; more specific
# phrasings come first ("fin de matinée" before "matinée").
PARTS: tuple[tuple[re.Pattern[str], int, int, bool], ...] = tuple(
    (re.compile(pattern), hour, minute, today)
    for pattern, hour, minute, today in (
        (r"\b(?:ce\s+matin|this\s+morning)\b", 9, 0, True),
        (r"\b(?:cet\s+apres-midi|cet\s+aprem|this\s+afternoon)\b", 14, 0, True),
        (r"\b(?:ce\s+soir|this\s+evening|tonight)\b", 18, 0, True),
        (r"\b(?:ce\s+midi|this\s+noon)\b", 12, 0, True),
        (r"\b(?:(?:en|au)\s+)?debut\s+de\s+(?:la\s+)?matinee\b|\b(?:tot\s+le\s+matin|early\s+(?:in\s+the\s+)?morning)\b", 8, 0, False),
        (r"\b(?:(?:en|a\s+la)\s+)?fin\s+de\s+(?:la\s+)?matinee\b|\b(?:in\s+the\s+)?late\s+morning\b", 11, 0, False),
        (r"\b(?:(?:en|au)\s+)?debut\s+d'apres-midi\b|\b(?:in\s+the\s+)?early\s+afternoon\b", 14, 0, False),
        (r"\b(?:(?:en|a\s+la)\s+)?fin\s+(?:d'|de\s+l')apres-midi\b|\b(?:in\s+the\s+)?late\s+afternoon\b", 17, 0, False),
        (r"\b(?:(?:en|a\s+la)\s+)?fin\s+de\s+(?:la\s+)?journee\b|\b(?:by\s+|at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+)?day\b|\beod\b|\bcob\b", 17, 0, False),
        (r"\b(?:(?:en|au)\s+)?debut\s+de\s+(?:la\s+)?soiree\b|\b(?:in\s+the\s+)?early\s+evening\b", 18, 0, False),
        (r"\bapres\s+(?:le\s+)?(?:dejeuner|dej|repas)\b|\bafter\s+lunch\b", 14, 0, False),
        (r"\b(?:(?:a\s+l'heure\s+du|au|pendant\s+le|pour\s+le|a\s+la\s+pause)\s+)?dejeuner\b|\ba\s+l'heure\s+de\s+midi\b|\b(?:at\s+|over\s+)?lunch(?:\s*time)?\b", 12, 0, False),
        (r"\b(?:(?:dans\s+l'|de\s+l'|l')apres-midi|apres-midi|aprem|(?:in\s+the\s+)?afternoon)\b", 14, 0, False),
        (r"\b(?:(?:dans\s+la\s+|en\s+)?matinee|(?:le\s+|au\s+|du\s+)?matin|(?:in\s+the\s+)?morning)\b", 9, 0, False),
        (r"\b(?:(?:dans\s+la\s+|en\s+)?soiree|(?:le\s+|au\s+|du\s+)?soir|(?:in\s+the\s+)?evening|(?:at\s+)?night)\b", 18, 0, False),
    )  # fmt: skip
)


# --- Canonical day words -------------------------------------------------------------------
_N = r"(?P<n>\d{1,4}|un|une|a|an|one)"
_UNIT = r"(?P<unit>jours?|j|days?|semaines?|sem|weeks?|wks?|mois|months?|ans?|annees?|years?)"


def _count(match: re.Match[str], sign: int) -> str:
    text = match["n"]
    n = int(text) if text.isdigit() else 1
    unit = match["unit"]
    if unit.startswith(("j", "d")):
        return f"d{sign * n:+d}"
    if unit.startswith(("s", "w")):
        return f"d{sign * 7 * n:+d}"
    months = n if unit.startswith("m") else 12 * n
    return f"m{sign * months:+d}"


def _from(match: re.Match[str]) -> str:
    """ "a week from tomorrow": the count added to that day (months are not counted so)."""
    counted = _count(match, 1)
    if match["base"] and int(match["base"]) == 0:
        return counted  # "3 months from today" is "in 3 months"
    if not match["base"] or not counted.startswith("d"):
        return counted if not match["base"] else match[0]
    return f"d{int(counted[1:]) + int(match['base']):+d}"


def _translate(table: dict[str, int], names: tuple[str, ...]) -> Callable[[re.Match[str]], str]:
    return lambda match: names[table[match[0]]]


_HOLIDAY_BEFORE = r"a|avant|apres|pour|d'ici|jusqu'a|la|le|de|des|depuis"
_DAY_RULES = _rules(
    # Holidays France, the UK and the US share, as the days they fall on.
    (r"\b(?:la\s+)?veille\s+de\s+noel\b|\bchristmas\s+eve\b", "#24 december"),
    # "Noël", "Toussaint", "Pâques" are surnames too: a day only after a preposition.
    (rf"\b({_HOLIDAY_BEFORE})\s+noel\b|\bchristmas(?:\s+day)?\b|\bxmas\b", lambda m: f"{m[1] or ''} #25 december"),
    (r"\b(?:la\s+)?saint-sylvestre\b|\bnew\s+year'?s\s+eve\b", "#31 december"),
    (r"\b(?:le\s+)?jour\s+de\s+l'an\b|\b(?:le\s+)?nouvel\s+an\b|\bnew\s+year'?s(?:\s+day)?\b", "#1 january"),
    (r"\b(?:la\s+)?saint-valentin\b|\bvalentine'?s(?:\s+day)?\b", "#14 february"),
    (rf"\b({_HOLIDAY_BEFORE})\s+toussaint\b", r"\1 #1 november"),
    (r"\bhalloween\b", "#31 october"),
    (r"\bthanksgiving(?:\s+day)?\b", "#4 thursday november"),
    (r"\b(?:le\s+)?lundi\s+de\s+paques\b|\beaster\s+monday\b", "easter+1"),
    (r"\b(?:le\s+)?vendredi\s+saint\b|\bgood\s+friday\b", "easter-2"),
    (r"\b(?:le\s+)?lundi\s+de\s+(?:la\s+)?pentecote\b|\bwhit\s+monday\b", "easter+50"),
    (r"\b(?:l')?ascension\b", "easter+39"),
    (rf"\b({_HOLIDAY_BEFORE})\s+paques\b|\beaster(?:\s+sunday)?\b(?![+-])", lambda m: f"{m[1] or ''} easter+0"),
    # "dans la journée": today, unless another day is named.
    (r"^\s*journee\s*$", "d+0"),
    (r"\bjournee\b", ""),
    # Relative days.
    (r"\b(?:the\s+)?day\s+after\s+tomorrow\b|\bapres-demain\b|\b(?:le\s+)?surlendemain\b", "d+2"),
    (r"\b(?:the\s+)?day\s+before\s+yesterday\b|\bavant-hier\b|\b(?:l')?avant-veille\b", "d-2"),
    (r"\baujourd'hui\b|\btoday\b|\bce\s+jour\b", "d+0"),
    (r"\bdemain\b|\btomorrow\b|\b(?:le\s+)?lendemain\b|\bthe\s+(?:next|following)\s+day\b|\bthe\s+day\s+after\b", "d+1"),
    (r"\bhier\b|\byesterday\b|\b(?:la\s+)?veille\b|\bthe\s+(?:previous\s+day|day\s+before)\b", "d-1"),
    # Counts.
    (rf"\b{_N}\s+{_UNIT}\s+from\s+(?:now|d(?P<base>[+-]\d+))\b", _from),
    (rf"\b{_N}\s+(?P<unit>weeks?)\s+from\s+(?P<day>{WEEKDAY})\b", lambda m: f"{m['day']} +{7 * (int(m['n']) if m['n'].isdigit() else 1)}d"),
    (rf"\bil\s+y\s+a\s+{_N}\s+{_UNIT}\b", lambda m: _count(m, -1)),
    (rf"\b{_N}\s+{_UNIT}\s+(?:ago|earlier|back)\b", lambda m: _count(m, -1)),
    (rf"\b(?:dans|in|d'ici|d\s+ici|sous|within|in\s+the\s+next)\s+{_N}\s+{_UNIT}\b", lambda m: _count(m, 1)),
    # Weekdays and months in canonical English.
    (rf"\b(?:{alternation(_WEEKDAY_ABBREVIATIONS)})\b(?=\s+(?:(?:the|le)\s+)?(?:#?\d|{MONTH}\b))",
     _translate(_WEEKDAY_ABBREVIATIONS, WEEKDAY_NAMES)),
    (rf"\b(next|last|this)\s+({alternation(_WEEKDAY_ABBREVIATIONS)})\b",
     lambda m: f"{m[1]} {WEEKDAY_NAMES[_WEEKDAY_ABBREVIATIONS[m[2]]]}"),
    (rf"\b(?:{WEEKDAY})\b", _translate(WEEKDAYS, WEEKDAY_NAMES)),
    (rf"\b(?:du\s+|le\s+)?mois\s+(?:de\s+|d')(?=(?:{MONTH})\b)", ""),
    (r"\bau\s+mois\s+(?:de\s+|d')", "en "),
    (r"(?<=\d\s)mar\b|(?<=\d)mar\b", "march"),
    (r"\bmar\b(?=\s+#?\d)", "mar?"),
    (rf"\b(?!mar\b)(?:{MONTH})\b", lambda m: MONTH_NAMES[MONTHS[m[0]] - 1]),
    # British "monday week", "a week today", "a week on monday": as "lundi en huit".
    (rf"\b((?:{CANONICAL_WEEKDAY})|d[+-]\d+)\s+week\b(?![+-])", r"\1 en 8"),
    (rf"\ba\s+week\s+(?:on\s+)?((?:{CANONICAL_WEEKDAY})|d[+-]\d+)\b", r"\1 en 8"),
    # "the friday after next": a week after the next one.
    (rf"\b(?:the\s+)?({CANONICAL_WEEKDAY})\s+after\s+next\b", r"next \1 +7d"),
    # "lundi en huit", "aujourd'hui en huit": a week (two) after that day.
    (rf"\b((?:{CANONICAL_WEEKDAY})|d[+-]\d+)\s+en\s+(8|15)\b", lambda m: f"{m[1]} +{7 if m[2] == '8' else 14}d"),
    # This, next and last weeks, months, years and weekends.
    # Week numbers: "semaine 51", "S51", "wk 51", "week #51" (ISO weeks, Monday first).
    (r"\b(?:(?:la\s+)?semaine|sem|(?:the\s+)?week|wk)\s*(?:n\s*[o°]\.?\s*|#|no\.?\s*)?(\d{1,2})\b(?![/.:-]?\d)(?!\s*(?:h|am|pm)\b)",
     lambda m: f"isoweek {m[1]}"),
    (r"\b(?:la\s+)?semaine\s+du\b|\b(?:the\s+)?week\s+of\b", "weekof"),
    (r"\b(?:the\s+)?week\s+before\s+last\b|\b(?:l')?avant-derniere\s+semaine\b", "week-2"),
    (r"\b(?:le\s+)?week-end\s+(?:prochain|suivant|d'apres)\b|\b(?:the\s+)?(?:next|following)\s+week-end\b", "weekend+1"),
    (r"\b(?:le\s+)?week-end\s+(?:dernier|passe|precedent)\b|\b(?:the\s+)?(?:last|past|previous)\s+week-end\b", "weekend-1"),
    (r"\b(?:over|during|pendant|durant)\s+(?=(?:(?:ce|le|this|the)\s+)?week-end\b)", ""),
    (r"\b(?:(?:ce|le|this|the|du)\s+)?week-end\b", "weekend+0"),
    (r"\b(?:la\s+|cette\s+)?semaine\s+(?:prochaine|suivante|d'apres|qui\s+vient)\b|\b(?:the\s+)?(?:next|following|coming)\s+week\b|\bthe\s+week\s+after\b", "week+1"),
    (r"\b(?:la\s+)?semaine\s+(?:derniere|passee|precedente|d'avant)\b|\b(?:the\s+)?(?:last|previous|past)\s+week\b|\bthe\s+week\s+before\b", "week-1"),
    (r"\bcette\s+semaine(?:-ci)?\b|\b(?:la\s+)?semaine\s+en\s+cours\b|\bthis\s+week\b|\b(?:the|la|de)\s+semaine\b|\bthe\s+week\b", "week+0"),
    (r"\b(?:le\s+)?mois\s+(?:prochain|suivant|d'apres|qui\s+vient)\b|\b(?:the\s+)?(?:next|following|coming)\s+month\b", "month+1"),
    (r"\b(?:le\s+)?mois\s+(?:dernier|passe|precedent|d'avant)\b|\b(?:the\s+)?(?:last|previous|past)\s+month\b", "month-1"),
    (r"\bce\s+mois(?:-ci)?\b|\b(?:le\s+)?mois\s+en\s+cours\b|\bthis\s+month\b|\bthe\s+month\b|\b(?:du|de|le)\s+mois\b", "month+0"),
    (r"\b(?:l'|l\s)?(?:annee|an)\s+(?:prochaine?|suivante?)\b|\b(?:the\s+)?next\s+year\b", "year+1"),
    (r"\b(?:l'|l\s)?(?:annee|an)\s+(?:derniere?|passee?|precedente?)\b|\b(?:the\s+)?(?:last|previous|past)\s+year\b", "year-1"),
    (r"\bcette\s+annee\b|\bthis\s+year\b|\bthe\s+year\b|\b(?:de\s+l'|d'|l')(?:annee|an)\b", "year+0"),
    # "le 15 décembre prochain", "le 20 novembre dernier": that date, forwards or backwards.
    (rf"(#?\d{{1,2}} (?:{CANONICAL_MONTH}))\s+(?:prochain|qui\s+vient|next)\b", r"\1 >"),
    (rf"(#?\d{{1,2}} (?:{CANONICAL_MONTH}))\s+(?:dernier|passe|last)\b", r"\1 <"),
    # Weekday modifiers, French after the day, English before it.
    (rf"\b({CANONICAL_WEEKDAY})\s+(?:prochain|qui\s+vient|suivant|d'apres|qui\s+suit|next)\b", r"next \1"),
    (rf"\b(?:this\s+coming|coming|the\s+following|following)\s+({CANONICAL_WEEKDAY})\b", r"next \1"),
    (rf"\b({CANONICAL_WEEKDAY})\s+(?:dernier|passe|precedent|d'avant|last)\b", r"last \1"),
    (rf"\b(?:past)\s+({CANONICAL_WEEKDAY})\b", r"last \1"),
    # Edges of a period.
    (r"\b(?:(?:au|en|a\s+la|vers\s+la|des\s+le)\s+)?debut\s+(?:de\s+la\s+|de\s+l'|du\s+|de\s+|d')?", "early "),
    (r"\b(?:(?:at|by)\s+)?(?:the\s+)?(?:beginning|start)\s+of\s+(?:the\s+)?", "early "),
    (r"\b(?:(?:a\s+la|en|vers\s+la)\s+)?mi-\s*|\bmi\s+(?=[a-z])", "mid "),
    (r"\b(?:au\s+)?milieu\s+(?:de\s+la\s+|de\s+l'|du\s+|de\s+|d')?|\b(?:the\s+)?middle\s+of\s+(?:the\s+)?", "mid "),
    (r"\b(?:(?:a\s+la|en|vers\s+la)\s+)?fin\s+(?:de\s+la\s+|de\s+l'|du\s+|de\s+|d')?", "late "),
    (r"\b(?:at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?", "late "),
    # "fin de mois", "end of week": this one.
    (r"\b(early|mid|late)\s+(?:(?:de|du|of|the|la)\s+)*(?:mois|month)\b(?![+-])", r"\1 month+0"),
    (r"\b(early|mid|late)\s+(?:(?:de|du|of|the|la)\s+)*(?:semaine|week)\b(?![+-])", r"\1 week+0"),
    (r"\b(early|mid|late)\s+(?:(?:de|du|of|the|la|l')\s*)*(?:annee|year)\b(?![+-])", r"\1 year+0"),
    (r"\bearlier\s+(?=week|month)", ""),
    # "sunday from last week"
    (rf"\b({CANONICAL_WEEKDAY})\s+from\s+(?=week)", r"\1 "),
    # "en novembre", "courant janvier": the whole month.
    (rf"\b(?:en|in|during|courant|tout)\s+(?=(?:{CANONICAL_MONTH})\b)", "span "),
    # Deadlines.
    (r"\b(?:d'ici|d\s+ici|au\s+plus\s+tard|no\s+later\s+than|at\s+the\s+latest|by|jusqu'(?:a|au)|until|till)\b", " by "),
    (r"\b(?:avant|before)\b", " before "),
    # Words that only join the others.
    (r"\b(?:le|la|les|l'|the|on|at|a|de|du|des|d'|of|au|aux|en|in|ce|cet|cette|this|courant)(?=\s|$)", " "),
)  # fmt: skip


@lru_cache(maxsize=4096)
def canonical_day(text: str) -> str:
    """Rewrite the day words of a prepared phrase (times already taken out) canonically."""
    text = _apply(_DAY_RULES, text)
    words = text.split()
    # "vendredi au plus tard": a deadline said after its day.
    if words == ["by"]:
        return ""  # "by end of day": the deadline word of a time
    if len(words) > 1 and words[-1] == "by":
        words = ["by", *words[:-1]]
    return " ".join(words)
