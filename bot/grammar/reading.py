"""What the /log, /plan and /opp grammars share: the limits, the error, one way of reading.

One way of reading: a grammar reads a line in small steps, each a method of a
:class:`Reading` that returns what it read or raises :class:`Failure` (built by
:meth:`Reading.fail`) carrying the :class:`ParseError` to answer, with what was
understood before the problem. :func:`answer` runs the reading: a Failure becomes its
error, and any other exception ``invalid_text`` (a member gets an answer, never a stack
trace).

One length policy: a line over ``MAX_TEXT_LENGTH`` (12,000) characters is
``invalid_text`` for every command, before any word is read. The bound only caps the
work a line can cost; it is far above any real command so that a part that is too long
(a note over ``MAX_NOTE_LENGTH``, an account name) is answered by its own error, with its
length, rather than by "unreadable".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.grammar import vocabulary
from bot.grammar.datewords import unread_date_phrase
from bot.grammar.normalize import has_letter_or_digit
from bot.grammar.tokens import Split, Token, clean, join, name, split
from bot.grammar.when import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 12_000
MAX_NOTE_LENGTH = 1000
# Error details are echoed in replies: enough to recognise the words, never a wall of text.
DETAIL_LENGTH = 40
# The errors any command line can get; each grammar adds its own to its ERROR_CODES.
LINE_ERRORS: tuple[str, ...] = ("invalid_text", "unclosed_quote", "missing_account")

_T = TypeVar("_T")


@dataclass(frozen=True)
class ParseError:
    """Why a command line was refused, and what was understood before the problem."""

    code: str  # one of the grammar's ERROR_CODES
    understood: dict[str, str] = field(default_factory=dict)  # field name -> value, as strings
    # The offending words (DETAIL_LENGTH characters at most); the whole note for note_too_long.
    detail: str | None = None
    suggestion: str | None = None  # e.g. the nearest keyword, "visite"


class Failure(Exception):
    """Stops a reading with the error to answer."""

    def __init__(self, error: ParseError) -> None:
        super().__init__(error.code)
        self.error = error


def short(text: str) -> str:
    return text[:DETAIL_LENGTH]


class Reading:
    """One line being read: what was understood so far, and how to stop with an error."""

    def __init__(self) -> None:
        self.understood: dict[str, str] = {}

    def error(self, code: str, detail: str | None = None, suggestion: str | None = None) -> ParseError:
        """The error ``code`` with what is understood now; ``detail`` cut to DETAIL_LENGTH."""
        return ParseError(code, dict(self.understood), short(detail) if detail else detail, suggestion)

    def fail(self, code: str, detail: str | None = None, suggestion: str | None = None) -> Failure:
        return Failure(self.error(code, detail, suggestion))

    def refuse_unclosed_quote(self, split: Split, *, typed: bool = True) -> None:
        """``unclosed_quote`` when a quote never closes, with the action type typed before it."""
        if split.unclosed is None:
            return
        if typed and (found := action_type_at(split.tokens)) is not None:
            self.understood.setdefault("action_type", found[0])
        raise self.fail("unclosed_quote", split.unclosed)

    def note(self, note: str | None) -> str | None:
        """The note after ``--``; ``note_too_long`` (with the whole note, to count it) past the limit."""
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise Failure(ParseError("note_too_long", dict(self.understood), note))
        return note

    def refuse_unread_date(
        self,
        name_words: Sequence[Token],
        read_after: Sequence[Token] = (),
        *,
        field: str = "account",
        also: Mapping[str, str] | None = None,
    ) -> None:
        """``unread_date`` when words of a date that no reading took sit in a name.

        ``read_after`` is the date read right after the name, if any: "samedi 5" before
        "à 18h" is reported as "samedi 5 à 18h", and "dans" before "2 heures" is caught.
        The name's words before the date are understood as ``field``, with ``also``.
        """
        words = [*name_words, *read_after]
        span = unread_date_phrase(words, len(name_words))
        if span is None:
            return
        start, end = span
        before = name(name_words[:start])
        if has_letter_or_digit(before):
            self.understood[field] = before
        self.understood.update(also or {})
        raise self.fail("unread_date", join(words[start:end]))

    def action_type(self, tokens: Sequence[Token]) -> int:
        """Read the action type that starts ``tokens``; how many words it took."""
        found = action_type_at(tokens)
        if found is None:
            word = tokens[0].text
            raise self.fail("unknown_type", word, vocabulary.nearest_action_type(word))
        self.understood["action_type"] = found[0]
        return found[1]


def words_of(text: object, *, notes: bool = True) -> Split:
    """The line's words (and note); ``invalid_text`` when it is not text or too long."""
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        raise Failure(ParseError("invalid_text"))
    return split(clean(text), notes=notes)


def action_type_at(tokens: Sequence[Token]) -> tuple[str, int] | None:
    """The action type in the first one to three unquoted words: ``(code, words)``, or None."""
    words: list[str] = []
    for token in tokens[:3]:
        if token.quoted:
            break
        words.append(token.text)
    return vocabulary.match_action_type(words, 0) if words else None


def language_order(languages: Sequence[str]) -> tuple[str, ...]:
    """The member's languages as a tuple, first preferred; French then English when none."""
    if isinstance(languages, str):
        languages = (languages,)
    return tuple(languages) or SUPPORTED_LANGUAGES


def answer(read: Callable[[], _T], command: str) -> _T | ParseError:
    """Run a reading: its result, its Failure's error, or ``invalid_text`` if it broke."""
    try:
        return read()
    except Failure as failure:
        return failure.error
    except Exception:  # noqa: BLE001 - a member must get an answer, never a stack trace
        logger.exception("unexpected failure while parsing a /%s line", command)
        return ParseError("invalid_text", {}, detail="internal")
