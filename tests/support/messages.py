"""Reading Carnet's replies in tests: rendered text checked against the message catalogue's own
sentences, so that a test names the message it expects (its key) rather than copying its wording.

``says(shown, "log.error.bad_date", word="32/13")`` is true when ``shown`` (what Slack or the
console shows) contains that sentence as the catalogue writes it in French, with ``word`` filled
in; blanks not given match any text within a line (a ``re.Pattern`` value matches as a pattern).
It fails when another message (or none) was given, or when a given value differs.
``console_line(key, **values)`` is a sentence exactly as the console prints it, to compare lines.
"""

from __future__ import annotations

import re
import string
from typing import Any

from bot.core import Text
from bot.messages import CATALOGUES, normalize_locale, translate
from bot.render.text import plain

__all__ = ["console_line", "flat", "says", "sentence", "word"]

# plural forms (chosen by ``count``), then grammatical genders (chosen by ``gender``)
_FORMS = ("zero", "one", "two", "few", "many", "feminine", "masculine", "other")
_BLANK = "\x00{}\x00"
_BLANK_RE = re.compile("\x00\\d+\x00")


def flat(value: str) -> str:
    """Babel's French amounts use (narrow) no-break spaces: compare them as plain spaces."""
    return value.replace("\u202f", " ").replace("\u00a0", " ")


def _forms(catalogue: dict[str, str], key: str, values: dict[str, Any]) -> list[str]:
    """The catalogue keys ``key`` may be written with: itself, or its plural (gender) forms unless
    ``count`` (``gender``) is given."""
    if key in catalogue or "count" in values or "gender" in values:
        return [key]
    forms = [f"{key}.{form}" for form in _FORMS if f"{key}.{form}" in catalogue]
    if not forms:
        raise KeyError(f"no message {key!r} in the catalogue")
    return forms


def sentence(key: str, locale: str = "fr", /, *, console: bool = False, **values: Any) -> re.Pattern[str]:
    """A pattern of the sentence ``key`` as shown in ``locale`` (in Slack's mrkdwn, or as the console
    prints it): the values given are filled in as written (a ``re.Pattern`` value matches as a
    pattern), the other blanks match any text in a line."""
    catalogue = CATALOGUES[normalize_locale(locale)]
    alternatives = []
    for form in _forms(catalogue, key, values):
        names = {name for _, name, _, _ in string.Formatter().parse(catalogue.get(form, "")) if name}
        patterns = {name: ".*?" for name in names - set(values)}
        patterns.update({name: v.pattern for name, v in values.items() if isinstance(v, re.Pattern)})
        order = sorted(patterns)
        filled = {name: value for name, value in values.items() if not isinstance(value, re.Pattern)}
        filled.update({name: _BLANK.format(i) for i, name in enumerate(order)})
        shown = plain(locale, Text(form, filled)) if console else translate(locale, form, **filled)
        parts = _BLANK_RE.split(shown)
        blanks = [patterns[order[int(b.strip("\x00"))]] for b in _BLANK_RE.findall(shown)]
        alternatives.append(re.escape(parts[0]) + "".join(b + re.escape(p) for b, p in zip(blanks, parts[1:])))
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def says(shown: str, key: str, locale: str = "fr", /, *, console: bool = False, **values: Any) -> bool:
    """Whether ``shown`` contains the sentence ``key`` (see :func:`sentence`)."""
    return sentence(key, locale, console=console, **values).search(shown) is not None


def console_line(key: str, locale: str = "fr", /, **values: Any) -> str:
    """The sentence ``key`` with ``values`` exactly as the console prints it (no mrkdwn, emoji as symbols)."""
    return plain(locale, Text(key, values))


def word(key: str, locale: str = "fr") -> str:
    """A catalogue entry as it is written, for words shown inside other text (a type, a field name)."""
    return translate(locale, key)
