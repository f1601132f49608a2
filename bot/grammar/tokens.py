"""Words of a command line, shared by the /log, /opp and /plan grammars.

A quoted name is one word (straight quotes, “ ” and « »); ``--`` (or a phone's em dash) starts
the note; control characters go, emoji and right-to-left text stay.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from collections.abc import Iterator, Sequence

QUOTES: dict[str, frozenset[str]] = {
    '"': frozenset({'"', "\u201d", "\u201c"}),
    "\u201c": frozenset({"\u201d", "\u201c", '"'}),
    "\u201d": frozenset({"\u201d", '"'}),
    "\u201e": frozenset({"\u201c", "\u201d", '"'}),
    "\u00ab": frozenset({"\u00bb"}),
}
# Phones turn "--" into an em dash; a lone dash word is read as the note separator too.
NOTE_DASHES = ("\u2014", "\u2013")
NAME_TRAILING_PUNCTUATION = ",;:"


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Split:
    tokens: list[Token]
    note: str | None
    unclosed: str | None  # the text from an unclosed quote on, if any


def clean(text: str) -> str:
    """Line breaks and tabs become spaces; other control characters and lone surrogates go."""
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            if ch.isspace():
                kept.append(" ")
        elif category != "Cs":  # lone surrogates cannot be stored nor sent to Slack
            kept.append(ch)
    return "".join(kept)


def split(text: str, *, notes: bool = True) -> Split:
    """Cut the line into words (a quoted name is one word) and, with ``notes``, the note."""
    tokens: list[Token] = []
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        if notes and (
            text.startswith("--", i) or (text[i] in NOTE_DASHES and (i + 1 == end or text[i + 1].isspace()))
        ):
            start = i + 2 if text.startswith("--", i) else i + 1
            note = text[start:].strip()
            return Split(tokens, note or None, None)
        closers = QUOTES.get(text[i])
        if closers is not None:
            close = next((j for j in range(i + 1, end) if text[j] in closers), None)
            if close is None:
                return Split(tokens, None, text[i:])
            tokens.append(Token(text[i + 1 : close].strip(), True))
            i = close + 1
            continue
        start = i
        while i < end and not text[i].isspace():
            i += 1
        tokens.append(Token(text[start:i], False))
    return Split(tokens, None, None)


def join(tokens: Sequence[Token]) -> str:
    return " ".join(t.text for t in tokens if t.text)


def name(tokens: Sequence[Token]) -> str:
    # "visite Gamma, proposition": the comma separates, it is not part of the name.
    return join(tokens).strip().rstrip(NAME_TRAILING_PUNCTUATION).strip()


def final_runs(tokens: Sequence[Token], max_words: int) -> Iterator[Sequence[Token]]:
    """The runs of final unquoted words, longest first.

    At most ``max_words`` words, and always one word left before them (the account's).
    """
    for size in range(min(max_words, len(tokens) - 1), 0, -1):
        run = tokens[len(tokens) - size :]
        if not any(t.quoted for t in run):
            yield run
