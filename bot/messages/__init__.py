"""The message catalogue: every sentence Carnet says, once per language.

``translate(locale, key, **values)`` is the only way text reaches a user; dates and
numbers are formatted with Babel in the member's locale.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_time
from babel.numbers import format_currency, format_decimal, get_decimal_symbol

from bot.messages import en, fr

CATALOGUES: dict[str, dict[str, str]] = {"fr": fr.MESSAGES, "en": en.MESSAGES}
DEFAULT_LOCALE = "fr"


def normalize_locale(locale: str | None) -> str:
    """Map Slack locales (``fr-FR``, ``en-US``) and anything else to a supported one."""
    short = (locale or "").lower()[:2]
    return short if short in CATALOGUES else "en" if short else DEFAULT_LOCALE


def translate(locale: str, key: str, /, **values: Any) -> str:
    """The sentence ``key`` in ``locale`` with ``values`` filled in (English, then the key, as fallback).

    A sentence written in several forms is chosen by its values: ``key.one`` / ``key.other`` by
    ``count`` (see ``_plural``), ``key.feminine`` / ``key.other`` by ``gender`` (see ``gender``).
    A sentence with two counts takes them as counted words (see ``counted``)."""
    catalogue = CATALOGUES.get(normalize_locale(locale), CATALOGUES[DEFAULT_LOCALE])
    template = catalogue.get(key) or CATALOGUES["en"].get(key)
    if template is None and isinstance(values.get("count"), int):
        template, values = _plural(locale, catalogue, key, values)
    if template is None and isinstance(values.get("gender"), str):
        template = catalogue.get(f"{key}.{values['gender']}") or catalogue.get(f"{key}.other")
    template = template or key
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


@lru_cache(maxsize=8)
def _plural_rule(locale: str):
    return Locale.parse(locale).plural_form


def _plural(locale: str, catalogue: dict[str, str], key: str, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """A counted sentence: ``key.one`` / ``key.other`` (any CLDR form: ``zero``, ``two``, ``few``,
    ``many``) chosen by Babel's plural rules for ``count``, ``other`` when that form is absent;
    the count is written as the locale writes numbers (``1 000`` / ``1,000``)."""
    loc = normalize_locale(locale)
    count = values["count"]
    form = _plural_rule(loc)(abs(count))
    template = catalogue.get(f"{key}.{form}") or catalogue.get(f"{key}.other")
    if template is None:
        return None, values
    return template, {**values, "count": format_decimal(count, locale=loc)}


def counted(locale: str, count: int, noun: str) -> str:
    """``count`` things in words, for a sentence with several counts: ``counted("fr", 3, "deals")`` is
    ``3 affaires``, ``counted("fr", 1, "deals")`` ``1 affaire`` (the ``count.deals.one`` / ``.other``
    entries, chosen by the locale's plural rules)."""
    return translate(locale, f"count.{noun}", count=count)


def gender(locale: str, kind: str, code: str | None) -> str:
    """The grammatical gender of a vocabulary word in ``locale`` (``feminine``, ``masculine``; ``other``
    where the language does not inflect or the word is unknown): the form agreeing words take."""
    catalogue = CATALOGUES[normalize_locale(locale)]
    return catalogue.get(f"gender.{kind}.{code}", "other")


def label(locale: str, kind: str, code: str | None) -> str:
    """The display word for a vocabulary code, e.g. ``label("fr", "action_type", "visit") == "visite"``."""
    if not code:
        return ""
    return translate(locale, f"{kind}.{code}")


# Babel formats a pattern in ~50 µs; a morning scan writes thousands of the same few days and
# times (one agenda per rep), so the results are kept (days and minutes are few and small).
@lru_cache(maxsize=4096)
def _day_text(day: date, pattern: str, locale: str) -> str:
    return _babel_format_date(day, format=pattern, locale=locale)


@lru_cache(maxsize=4096)
def _short_time_text(moment: clock_time, locale: str) -> str:
    return format_time(moment, format="short", locale=locale)


def format_day(locale: str, day: date) -> str:
    """A calendar day as people of ``locale`` write it (``23 nov. 2026`` / ``Nov 23, 2026``)."""
    return _day_text(day, "medium", normalize_locale(locale))


def format_money(locale: str, amount: Decimal, currency: str) -> str:
    """An amount as people of ``locale`` write it: ``12 000 €`` / ``€12,000``; cents only when there are some."""
    loc = normalize_locale(locale)
    text = format_currency(amount, currency, locale=loc)
    if amount == amount.to_integral_value():
        # Whole amounts read better without ",00": drop the decimal part Babel always adds.
        text = text.replace(f"{get_decimal_symbol(loc)}00", "", 1)
    return text


def format_percent(locale: str, value: int) -> str:
    return format_decimal(value, locale=normalize_locale(locale)) + ("\u202f%" if normalize_locale(locale) == "fr" else "%")


def format_when(locale: str, moment: datetime, *, has_time: bool, today: date | None = None) -> str:
    """A planned moment in the member's words: ``mardi 24 nov. à 10:00`` / ``Tuesday, Nov 24 at 10:00 AM``
    (with the year when it is not ``today``'s)."""
    loc = normalize_locale(locale)
    other_year = today is not None and moment.year != today.year
    if loc == "fr":
        pattern = "EEEE d MMM y" if other_year else "EEEE d MMM"
    else:
        pattern = "EEEE, MMM d, y" if other_year else "EEEE, MMM d"
    day = _day_text(moment.date(), pattern, loc)
    if not has_time:
        return day
    return translate(loc, "plan.when_time", day=day, time=_short_time_text(moment.time(), loc))


def format_clock(locale: str, moment: datetime) -> str:
    """A time of day as people of ``locale`` write it: ``10:00`` / ``10:00 AM``."""
    return _short_time_text(moment.time(), normalize_locale(locale))
