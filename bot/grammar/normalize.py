"""Text folding shared by the grammar and by storage: case and accents never matter."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Return ``text`` without accents, in lower case, with runs of blanks made one space.

    ``fold("Négociation")`` and ``fold("NEGOCIATION ")`` are both ``"negociation"``.
    Used for keywords and for the unique key of account names.
    """
    if text.isascii():  # most words: nothing to decompose, no typographic marks
        return _SPACES.sub(" ", text.casefold()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Typographic apostrophes and dashes are typed by phones; fold them to ASCII.
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def has_letter_or_digit(text: str) -> bool:
    """True when ``text`` holds at least one letter or digit (a usable name)."""
    return any(ch.isalnum() for ch in text)
