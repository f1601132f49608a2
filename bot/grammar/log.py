"""The /log grammar: one line of the activity report, typed in French or English.

``/log <type> <account> [result] [with|avec <contact> [(<function>)]] [<date>] [-- <note>]``

How a line is read (decisions for the ambiguous cases):

- Quotes: only double quotes delimit a name: ``"…"``, ``«…»`` and typographic ``“…”``
  (phones type those). The apostrophe is a letter, so ``email O'Neil & Co`` works
  unquoted. A quote that opens a word but never closes is ``unclosed_quote``.
- The note starts at the first ``--`` (or a phone's ``—`` / ``–``) that begins a word
  outside quotes; everything after it is the note, as typed.
- The type is the first word (or two: "follow up"); keywords ignore case and accents.
- The date is the longest run of words with the shape of a day (see
  :mod:`bot.grammar.when`) at the end of the line; when there is none there, at the end
  of the words before ``with``/``avec``, then at the end of the account when a result
  follows it ("visite Gamma hier proposition"). Words that are not a day simply belong
  to the account or the contact ("visite Gamma Sud", "visite Café Le Procope").
  ``bad_date`` is reserved for words that clearly try to be a day and are not one:
  date-shaped digits ("32/13", "2026-13-45") or a day number with a month name
  ("31 février", "le 32 avril"). A day after ``today`` is ``future_date``.
- The result is the longest result keyword that ends the words before the contact; a
  keyword followed by other words is part of the account ("visite Gamma Proposition
  Sud" is the account "Gamma Proposition Sud"). Words after a quoted account that are
  neither a result, a contact nor a date also belong to the account.
- The account keeps at least its first word, even if it is a keyword ("visite Commande
  SA"). A line whose words after the type are only ``with …`` or only a date has no
  account (``missing_account``).
- ``avec Mr. X (acheteur)``: the words in the final parentheses are the contact's
  function, read word by word ("(chef des achats)" is a buyer); an unknown one is ``other``.
- Control characters are removed (line breaks become spaces); emoji and right-to-left
  text are kept. A line over ``MAX_TEXT_LENGTH`` characters is ``invalid_text``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.grammar.tokens import Token as _Token
from bot.grammar.tokens import clean as _clean
from bot.grammar.tokens import join as _join
from bot.grammar.tokens import name as _name
from bot.grammar.tokens import split as _split
from bot.grammar import vocabulary
from bot.grammar.normalize import has_letter_or_digit
from bot.grammar.when import looks_like_date, parse_day_any

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 1000
MAX_ACCOUNT_LENGTH = 120
MAX_TEXT_LENGTH = 12_000  # room for a note that is too long, so the answer can say so
# The longest day phrase ("the day before yesterday at 10:30") has about 6 words.
_MAX_DATE_WORDS = 8

# Opening quote → the characters that may close it. Phones sometimes type ” at both ends.
# Error details are echoed in replies: enough to recognise the words, never a wall of text.
_DETAIL_LENGTH = 40

ERROR_CODES: tuple[str, ...] = (
    "empty",
    "unknown_type",
    "missing_account",
    "unclosed_quote",
    "bad_date",
    "future_date",
    "note_too_long",
    "account_too_long",
    "invalid_account",
    "invalid_text",
)


@dataclass(frozen=True)
class LogCommand:
    """A /log line that was fully understood."""

    action_type: str  # canonical code from vocabulary.ACTION_TYPES
    account: str  # as typed, quotes removed, stripped
    result: str | None  # canonical code from vocabulary.RESULTS
    contact: str | None
    contact_function: str | None  # canonical code from vocabulary.CONTACT_FUNCTIONS
    occurred_on: date  # today when no date phrase
    date_phrase: str | None  # the words read as the date, as typed
    note: str | None


@dataclass(frozen=True)
class LogParseError:
    """Why a /log line was refused, and what was understood before the problem."""

    code: str  # one of ERROR_CODES
    understood: dict[str, str] = field(default_factory=dict)
    # The offending words: the unknown type word, the bad date phrase, the start of a bad
    # account name (40 characters at most) — and the whole note for note_too_long.
    detail: str | None = None
    suggestion: str | None = None  # e.g. the nearest action keyword, "visite"


@dataclass(frozen=True)
class _DateFound:
    day: date | None  # None when the words look like a date but are not one
    phrase: str
    size: int  # how many words it took


def parse_log(
    text: str, *, today: date, languages: Sequence[str] = ("fr", "en")
) -> LogCommand | LogParseError:
    """Read the words after ``/log``; never raises, whatever the text."""
    try:
        return _parse(text, today, tuple(languages))
    except Exception:  # noqa: BLE001 - a member must get an answer, never a stack trace
        logger.exception("unexpected failure while parsing a /log line")
        return LogParseError("invalid_text", {}, detail="internal")


def _parse(text: str, today: date, languages: tuple[str, ...]) -> LogCommand | LogParseError:
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return LogParseError("invalid_text")
    split = _split(_clean(text))
    if split.unclosed is not None:
        seen: dict[str, str] = {}
        if split.tokens and (found := _action_type(split.tokens)):
            seen["action_type"] = found[0]
        return LogParseError("unclosed_quote", seen, detail=split.unclosed[:_DETAIL_LENGTH])
    tokens = split.tokens
    if not tokens:
        return LogParseError("empty")

    found_type = _action_type(tokens)
    if found_type is None:
        word = tokens[0].text
        suggestion = vocabulary.nearest_action_type(word)
        detail = word[:_DETAIL_LENGTH]
        return LogParseError("unknown_type", {}, detail=detail, suggestion=suggestion)
    action_type, used = found_type
    understood: dict[str, str] = {"action_type": action_type}
    rest = tokens[used:]

    if not rest or _is_date(rest):
        if rest:
            understood["date_phrase"] = _join(rest)
        return LogParseError("missing_account", understood)

    # The date, at the end of the line first.
    found_date = _trailing_date(rest, today, languages)
    if found_date is not None:
        rest = rest[: len(rest) - found_date.size]

    with_at = next(
        (i for i, t in enumerate(rest) if not t.quoted and vocabulary.is_with_word(t.text)), None
    )
    if with_at == 0:
        return LogParseError("missing_account", understood)
    head = rest if with_at is None else rest[:with_at]
    contact_tokens = [] if with_at is None else rest[with_at + 1 :]

    if found_date is None and contact_tokens:
        found_date = _trailing_date(head, today, languages)
        if found_date is not None:
            head = head[: len(head) - found_date.size]

    result, account_tokens = _trailing_result(head)
    if found_date is None and result is not None:
        found_date = _trailing_date(account_tokens, today, languages)
        if found_date is not None:
            account_tokens = account_tokens[: len(account_tokens) - found_date.size]

    account = _name(account_tokens)
    if not account:
        return LogParseError("missing_account", understood)
    if not has_letter_or_digit(account):
        return LogParseError("invalid_account", understood, detail=account[:_DETAIL_LENGTH])
    if len(account) > MAX_ACCOUNT_LENGTH:
        return LogParseError("account_too_long", understood, detail=account[:_DETAIL_LENGTH])
    understood["account"] = account
    if result is not None:
        understood["result"] = result

    contact, contact_function = _contact(contact_tokens)
    if contact is not None:
        understood["contact"] = contact
    if contact_function is not None:
        understood["contact_function"] = contact_function

    occurred_on = today
    date_phrase: str | None = None
    if found_date is not None:
        if found_date.day is None:
            return LogParseError("bad_date", understood, detail=found_date.phrase)
        if found_date.day > today:
            return LogParseError("future_date", understood, detail=found_date.phrase)
        occurred_on, date_phrase = found_date.day, found_date.phrase
        understood["date_phrase"] = date_phrase
        understood["occurred_on"] = occurred_on.isoformat()

    note = split.note
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        # The whole note, so the reply can say how long it is; it is never stored cut.
        return LogParseError("note_too_long", understood, detail=note)

    return LogCommand(
        action_type=action_type,
        account=account,
        result=result,
        contact=contact,
        contact_function=contact_function,
        occurred_on=occurred_on,
        date_phrase=date_phrase,
        note=note,
    )






def _action_type(tokens: Sequence[_Token]) -> tuple[str, int] | None:
    words: list[str] = []
    for token in tokens[:3]:
        if token.quoted:
            break
        words.append(token.text)
    return vocabulary.match_action_type(words, 0) if words else None


def _is_date(tokens: Sequence[_Token]) -> bool:
    """True when all these words together are a day, or clearly try to be one."""
    if len(tokens) > _MAX_DATE_WORDS or any(t.quoted for t in tokens):
        return False
    return looks_like_date(_join(tokens))


def _trailing_date(
    tokens: Sequence[_Token], today: date, languages: tuple[str, ...]
) -> _DateFound | None:
    """The longest run of final words that is a day, keeping at least one word before it.

    When no final run is a day but one looks like a date ("32/13"), it is returned with
    ``day=None`` so the caller can say ``bad_date`` instead of filing it in a name.
    """
    mistyped: _DateFound | None = None
    for size in range(min(_MAX_DATE_WORDS, len(tokens) - 1), 0, -1):
        suffix = tokens[len(tokens) - size :]
        if any(t.quoted for t in suffix):
            continue
        phrase = _join(suffix)
        day = parse_day_any(phrase, today=today, languages=languages)
        if day is not None:
            return _DateFound(day, phrase, size)
        if mistyped is None and looks_like_date(phrase):
            mistyped = _DateFound(None, phrase, size)
    return mistyped


def _trailing_result(tokens: Sequence[_Token]) -> tuple[str | None, list[_Token]]:
    """Split off the longest result keyword ending ``tokens``, keeping one word of account."""
    for size in range(min(vocabulary.result_max_words(), len(tokens) - 1), 0, -1):
        suffix = tokens[len(tokens) - size :]
        if any(t.quoted for t in suffix):
            continue
        found = vocabulary.match_result([t.text for t in suffix], 0)
        if found is not None and found[1] == size:
            return found[0], list(tokens[: len(tokens) - size])
    return None, list(tokens)


def _contact(tokens: Sequence[_Token]) -> tuple[str | None, str | None]:
    """Contact name and function code from the words after with/avec."""
    name_tokens = list(tokens)
    function: str | None = None
    if tokens and not tokens[-1].quoted and tokens[-1].text.endswith(")"):
        for j in range(len(tokens) - 1, -1, -1):
            token = tokens[j]
            if token.quoted:
                break
            opening = token.text.rfind("(")
            if opening < 0:
                continue
            inside = " ".join([token.text[opening + 1 :], *(t.text for t in tokens[j + 1 :])])
            word = inside[:-1].strip()
            if "(" not in word and ")" not in word:
                before = token.text[:opening]
                name_tokens = [*tokens[:j], *([_Token(before, False)] if before else [])]
                if has_letter_or_digit(word):
                    function = _function(word)
            break
    name = _name(name_tokens)
    return (name if has_letter_or_digit(name) else None), function


def _function(words: str) -> str:
    """Function code for the words in parentheses: "(chef des achats)" is a buyer."""
    found = vocabulary.lookup_function(words)
    if found is None:
        found = next(
            (code for w in words.split() if (code := vocabulary.lookup_function(w))), None
        )
    # The member named a function we have no code for: keep that there was one.
    return found or "other"
