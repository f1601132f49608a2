"""Words of dates and times, in French and English: which words belong to a date phrase.

:mod:`bot.grammar.when` *reads* date phrases; this module only tells which words *look
like* a part of one, so that the words of a date the grammars could not read are never
filed silently into an account or contact name (issue 13, "never store a date the rep
did not say"). Case and accents never matter. Decisions:

- A **date word**, alone, belongs to a date or a time (:func:`is_date_word`): weekdays
  and month names (full names; "sun", "mar", "dec" alone are not, they end company names
  too), relative days (hier, demain, veille, lendemain, today, tonight…), parts of the
  day (matin, midi, soir, après-midi, morning, noon…), units (jours, semaines, mois,
  heures, days, weeks…), order words (dernier, prochain, suivant, passé, last, next,
  ago), hedges (vers, environ, alentours, around), clock times ("10h", "14h30", "14:30",
  "3pm", even "25h"), numeric days with a slash ("12/12", "32/13"), with dots or dashes
  when they could be a day and a month ("12.12", "2026-12-12"; not "2.0"). A hyphenated
  word is one when a part is ("mi-décembre", "week-end").
- Some **pairs** start a date too: "il y a", a number and an hour mark ("3 pm", "10 h"),
  "à"/"at"/"vers"/"@" before a clock number ("at 4"), "dans"/"in"/"d'ici"/"sous"/"within"
  before a number, "half/quarter past/to".
- A date phrase (:func:`find_date_phrase`) is such a start with the small words around
  it: articles and prepositions before it ("le mois dernier", "à environ 10h"), ordinals
  before it ("le premier mercredi"), numbers before a month or a unit ("12 décembre",
  "3 days ago"), and after it numbers, small words and abbreviations ("samedi 5 à",
  "premier mars", "Mon, Feb 18"); small words at its end are dropped unless the words
  run out there (a time that was read may follow them).
- Small words, numbers and abbreviations are never a date alone: "Café Le Procope",
  "Groupe 3M", "Alpha 2000", "Saveurs d'ici" stay names.

:func:`read_clock` reads the time typed in a form field ("10", "10h", "10h30", "10:30").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time
from functools import lru_cache

from bot.grammar.normalize import fold
from bot.grammar.tokens import Token
from bot.grammar.when import looks_like_date, looks_like_when

_WEEKDAYS = frozenset(
    "lundi mardi mercredi jeudi vendredi samedi dimanche "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_MONTHS = frozenset(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "january february march april may june july august september october november december".split()
)
_UNITS = frozenset(
    "jour jours journee journees semaine semaines quinzaine mois ans annee annees "
    "heure heures minute minutes day days week weeks fortnight month months year years "
    "hour hours".split()
)
_DATE_WORDS = (
    _WEEKDAYS
    | _MONTHS
    | _UNITS
    | frozenset(
        # relative days
        "aujourd'hui aujourdhui auj hier demain avant-hier apres-demain veille lendemain "
        "surlendemain today tomorrow yesterday tonight tonite "
        # parts of the day
        "matin matinee midi apres-midi aprem soir soiree nuit minuit dejeuner weekend "
        "week-end morning afternoon evening night noon midnight "
        # order in time, hedges
        "dernier derniere derniers dernieres prochain prochaine prochains prochaines passe "
        "passee suivant suivante suivants precedent precedente ago last next "
        "vers environ alentours around o'clock oclock".split()
    )
)
# Abbreviations: part of a date next to one ("Mon, Feb 18", "12 dec"), never one alone.
_MONTH_ABBREVIATIONS = frozenset("janv jan fevr fev feb avr apr juil jul jun aug sept sep oct nov dec".split())
_ABBREVIATIONS = _MONTH_ABBREVIATIONS | frozenset(
    "lun mar mer jeu ven sam dim mon tue tues wed thu thur thurs fri sat sun".split()
)
# A number before one of these is part of the date ("12 décembre", "3 jours", "3 days ago").
_COUNTED = _MONTHS | _MONTH_ABBREVIATIONS | _UNITS
# Small words that join the parts of a date phrase, before or inside it.
_SMALL_WORDS = frozenset(
    "le la les l' the on at a au aux dans in d'ici sous within de du des d' of en et and "
    "ce cet cette this from depuis avant apres before after until jusqu'au jusqu'a par by "
    "for pour debut fin mi mid early late end beginning plutot autour about tout @".split()
)
# Words that end a time: "3 pm", "midi pile", "10 h".
_HOUR_MARKS = frozenset({"h", "hr", "hrs", "am", "pm", "a.m.", "p.m."})
_TAIL_WORDS = _HOUR_MARKS | {"pile", "precises", "sharp"}
_ORDINAL_WORDS = frozenset(
    "premier premiere deuxieme second seconde troisieme quatrieme cinquieme "
    "first second third fourth fifth".split()
)
_NUMBER_WORDS = _ORDINAL_WORDS | frozenset(
    "un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize vingt trente quarante cinquante one two three four five six seven eight nine ten "
    "eleven twelve thirteen fourteen fifteen twenty thirty forty fifty half quart quarter "
    "demi demie".split()
)
_CLOCK_LEADERS = frozenset({"a", "at", "vers", "around", "@"})
_COUNT_LEADERS = frozenset({"dans", "in", "d'ici", "sous", "within"})

_CLOCK = re.compile(r"\d{1,2}(?:h\d{0,2}|heures?\d{0,2}|:\d{2}(?:am|pm)?|am|pm|a\.m\.|p\.m\.)")
_SLASH_DAY = re.compile(r"\d{1,4}/\d{1,4}(?:/\d{1,4})?")
_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_DOTTED_DAY = re.compile(r"(\d{1,2})[.-](\d{1,2})(?:[.-](?:\d{2}|\d{4}))?")
_NUMBER = re.compile(r"\d{1,4}")
_ORDINAL = re.compile(r"\d{1,2}(?:er|re|e|eme|ieme|st|nd|rd|th)")
_EDGE = " ,;:!?()[]\"'«»“”"
_ELISIONS = ("l'", "d'", "qu'", "jusqu'")


@lru_cache(maxsize=4096)
def _key(word: str) -> str:
    """The word folded, without edge punctuation or a final dot ("Lundi," → "lundi")."""
    key = fold(word).strip(_EDGE)
    if key.endswith(".") and not key.endswith(("a.m.", "p.m.")):
        key = key[:-1]
    return key


def _unelided(key: str) -> str:
    for elision in _ELISIONS:
        if key.startswith(elision) and len(key) > len(elision):
            return key[len(elision) :]
    return key


def _is_day_and_month(first: str, second: str) -> bool:
    a, b = int(first), int(second)
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def is_date_word(word: str) -> bool:
    """True when ``word`` alone belongs to a date or a time ("lundi", "demain", "10h", "12/12").

    Small words ("le", "à"), numbers ("2000") and abbreviations ("dec") are not: they are
    parts of a date only next to one (see :func:`find_date_phrase`). Never raises.
    """
    return isinstance(word, str) and _is_date_text(word)


@lru_cache(maxsize=4096)
def _is_date_text(word: str) -> bool:
    key = _unelided(_key(word))
    if not key:
        return False
    if _is_date_key(key):
        return True
    dotted = _DOTTED_DAY.fullmatch(key)
    if dotted is not None and _is_day_and_month(dotted[1], dotted[2]):
        return True
    return "-" in key and any(_is_date_key(part) for part in key.split("-") if part)


def _is_date_key(key: str) -> bool:
    return key in _DATE_WORDS or any(
        shape.fullmatch(key) for shape in (_CLOCK, _SLASH_DAY, _ISO_DAY)
    )


def _is_number(key: str) -> bool:
    return bool(_NUMBER.fullmatch(key) or _ORDINAL.fullmatch(key)) or key in _NUMBER_WORDS


def _is_ordinal(key: str) -> bool:
    return bool(_ORDINAL.fullmatch(key)) or key in _ORDINAL_WORDS


def _is_small(key: str) -> bool:
    """A small word (or bare punctuation) that links the parts of a date phrase."""
    return not key or key in _SMALL_WORDS or _unelided(key) in _SMALL_WORDS


def _joins(key: str) -> bool:
    """A word that may stand inside a date phrase without being a date alone."""
    return _is_small(key) or key in _TAIL_WORDS or key in _ABBREVIATIONS or _is_number(key)


def _start(keys: Sequence[str | None], texts: Sequence[str], i: int) -> int:
    """How many words start a date phrase at ``i``: a date word (1), a pair (2), "il y a" (3)."""
    key, after = keys[i], keys[i + 1] if i + 1 < len(keys) else None
    if key is None:
        return 0
    if is_date_word(texts[i]):
        return 1
    if key == "il" and keys[i + 1 : i + 3] == ["y", "a"]:
        return 3
    if after is None:
        return 0
    pairs = (
        _NUMBER.fullmatch(key) and (after in _HOUR_MARKS or after in _MONTH_ABBREVIATIONS),
        key in _MONTH_ABBREVIATIONS and _NUMBER.fullmatch(after),
        key in _CLOCK_LEADERS and _NUMBER.fullmatch(after) and int(after) <= 24,
        key in _COUNT_LEADERS and _is_number(after),
        key in ("half", "quarter") and after in ("past", "to"),
    )
    return 2 if any(pairs) else 0


def _keys(words: Sequence[Token | str]) -> list[str | None]:
    """Each word's key; None for a quoted word, which is never part of a date."""
    keys: list[str | None] = []
    for word in words:
        if isinstance(word, Token):
            keys.append(None if word.quoted else _key(word.text))
        else:
            keys.append(_key(word))
    return keys


def find_date_phrase(words: Sequence[Token | str], start: int = 0) -> tuple[int, int] | None:
    """The first date phrase in ``words[start:]``: ``(first, end)`` indexes, or None.

    ``words`` are plain words or :class:`~bot.grammar.tokens.Token` (quoted ones are never
    part of a date). The phrase never reaches before ``start``. See the module's decisions.
    """
    keys = _keys(words)
    texts = [w.text if isinstance(w, Token) else w for w in words]
    found = next(((i, size) for i in range(start, len(keys)) if (size := _start(keys, texts, i))), None)
    if found is None:
        return None
    first = found[0]
    end = core_end = found[0] + found[1]
    while first > start and (key := keys[first - 1]) is not None and _leads(key, keys[first]):
        first -= 1
    while end < len(keys) and (key := keys[end]) is not None and (is_date_word(texts[end]) or _joins(key)):
        end += 1
    if end < len(keys):  # small words at the end belong to what follows
        while end > core_end and _is_small(str(keys[end - 1])):
            end -= 1
    return first, end


def _leads(key: str, next_key: str | None) -> bool:
    """True when ``key`` belongs to a date phrase that starts with ``next_key``."""
    if _is_small(key) or _is_ordinal(key) or key in _ABBREVIATIONS:
        return True
    return _is_number(key) and next_key is not None and _unelided(next_key) in _COUNTED


def unread_date_phrase(words: Sequence[Token | str], name_size: int | None = None) -> tuple[int, int] | None:
    """The date phrase that starts inside a name, if any: ``(first, end)`` indexes, or None.

    ``words[:name_size]`` are the name's words; the words after them, if any, are a date
    that was read right after the name (so "samedi 5" + "à 18h" is found whole, and "Gamma
    dans" + "2 heures" is found). A name keeps its first word unless that word starts a
    date that reads as one ("Lundi Matin SARL", "Demain Gamma", "10h Beta") or is a small
    word before a date that takes all the name ("le mois dernier"); so "Mai", "Mars
    Industries", "Next Generation" and "Sun" (before "hier") stay names.
    """
    size = len(words) if name_size is None else name_size
    span = find_date_phrase(words)
    if span is not None and span[0] == 0:
        keys = _keys(words)
        texts = [w.text if isinstance(w, Token) else w for w in words]
        reads = _start(keys, texts, 0) > 0 and any(
            looks_like_date(phrase) or looks_like_when(phrase)
            for phrase in (texts[0], " ".join(texts[: span[1]]))
        )
        leads = keys[0] is not None and _is_small(keys[0]) and span[1] >= size
        if not (reads or leads):
            span = find_date_phrase(words, 1)
    return span if span is not None and span[0] < size else None


# A form's time field: "10", "10h", "10 h 30", "10:30", "10.30", "10H".
_FIELD_CLOCK = re.compile(r"\s*(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?\s*", re.IGNORECASE)


def read_clock(text: str) -> time | None:
    """The time typed in a time field ("10", "10h", "10h30", "10:30", "10.30"); None otherwise."""
    match = _FIELD_CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None
