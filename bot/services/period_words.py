"""A report's period as people type it, in French or English, and as ``carnet report --period`` takes it.

It answers the domain's ``PeriodChoice`` (``bot.services.periods``), so it lives beside it rather than
with the pure parsers of ``bot/grammar``.

- nothing, ``current``, ``en cours``: each member's own current period (week, month or quarter);
- ``previous``, ``précédente``, ``dernière période``: each member's previous own period;
- ``mois`` / ``month``, ``trimestre`` / ``quarter``, ``semaine`` / ``week``: the calendar one
  containing the member's today; with ``dernier``/``précédent``/``last``/``previous`` (either
  side: ``mois dernier``, ``last month``), the one before;
- ``2026-11`` (a month) and ``2026-Q4`` (also ``2026-T4``, ``q4 2026``): that period, the same
  days for everybody.

``parse_period`` answers a ``PeriodChoice``, or None for text that names no period (the caller
says so and shows the forms above).
"""

from __future__ import annotations

import re

from bot.grammar.normalize import fold
from bot.services.periods import CURRENT, PeriodChoice, month_of, quarter_of

_OWN = {"", "current", "courant", "courante", "en cours", "actuel", "actuelle", "periode", "period", "cette periode",
        "this period", "periode en cours", "current period"}
_OWN_BEFORE = {"previous", "precedent", "precedente", "derniere", "dernier", "periode precedente", "derniere periode",
               "previous period", "last period"}
_UNITS = {"mois": "month", "month": "month", "trimestre": "quarter", "quarter": "quarter", "semaine": "week",
          "week": "week"}
_THIS = {"ce", "cette", "this", "current", "en cours"}
_BEFORE = {"dernier", "derniere", "precedent", "precedente", "last", "previous"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[qt]([1-4])$|^[qt]([1-4])[ -]?(\d{4})$")


def parse_period(text: str) -> PeriodChoice | None:
    """The period ``text`` names (see the module's forms), or None."""
    words = fold(text)
    if words in _OWN:
        return CURRENT
    if words in _OWN_BEFORE:
        return PeriodChoice(offset=-1)
    month = _MONTH.match(words)
    if month:
        try:
            return PeriodChoice(fixed=month_of(int(month.group(1)), int(month.group(2))))
        except ValueError:
            return None
    quarter = _QUARTER.match(words)
    if quarter:
        year, number = (quarter.group(1), quarter.group(2)) if quarter.group(1) else (quarter.group(4), quarter.group(3))
        try:
            return PeriodChoice(fixed=quarter_of(int(year), int(number)))
        except ValueError:
            return None
    return _calendar(words.split())


def _calendar(words: list[str]) -> PeriodChoice | None:
    """``mois``, ``ce mois``, ``mois en cours``, ``mois dernier``, ``last quarter``…: one unit word and
    one qualifier at most."""
    units = [w for w in words if w in _UNITS]
    if len(units) != 1:
        return None
    unit = _UNITS[units[0]]
    qualifier = " ".join(w for w in words if w not in _UNITS)
    if not qualifier or qualifier in _THIS:
        return PeriodChoice(unit=unit)
    if qualifier in _BEFORE:
        return PeriodChoice(unit=unit, offset=-1)
    return None
