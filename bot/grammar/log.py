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
  follows it ("visite Gamma hier proposition"). A time of day alone ("à 10h", "vers
  midi", "at 3pm") is today. Words that are not a date belong to the account or the
  contact ("visite Gamma Sud", "visite Café Le Procope", "visite Groupe 3M").
  ``bad_date`` is reserved for words that clearly try to be a day and are not one:
  date-shaped digits ("32/13", "2026-13-45") or a day number with a month name
  ("31 février", "le 32 avril"). A day after ``today`` is ``future_date``.
- A day nobody said is never stored: words of a date or a time that no reading took
  (:mod:`bot.grammar.datewords`: "lundi", "veille", "mois dernier", "à", "10h"…) left
  in the account or the contact make the line ``unread_date``, with those words as
  ``detail`` (and the date read right after them: "lundi 11", "samedi 5 à 18h") and
  the name before them understood. "visite Gamma lundi 11" is no longer the account
  "Gamma lundi 11" dated today. A name holding such words is quoted: ``visite "Lundi
  Matin SARL" hier``; the account's first word is kept unless it starts a date
  ("visite Mai" is the account Mai, "visite Demain Gamma" is refused).
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
  text are kept. A line over ``MAX_TEXT_LENGTH`` characters is ``invalid_text`` (the
  limit and the error type are shared by the grammars: see :mod:`bot.grammar.reading`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.grammar import vocabulary
from bot.grammar.datewords import find_date_phrase
from bot.grammar.normalize import has_letter_or_digit
from bot.grammar.reading import LINE_ERRORS, MAX_NOTE_LENGTH, MAX_TEXT_LENGTH, ParseError, Reading, answer, language_order, words_of
from bot.grammar.tokens import Token, final_runs, join, name
from bot.grammar.when import looks_like_date, parse_day_any, parse_when, past_span

__all__ = [
    "ERROR_CODES",
    "MAX_ACCOUNT_LENGTH",
    "MAX_NOTE_LENGTH",
    "MAX_TEXT_LENGTH",
    "LogCommand",
    "LogParseError",
    "parse_log",
]

MAX_ACCOUNT_LENGTH = 120
# The longest day phrase ("the day before yesterday at 10:30") has about 6 words.
_MAX_DATE_WORDS = 8

ERROR_CODES: tuple[str, ...] = (
    *LINE_ERRORS, "empty", "unknown_type", "bad_date", "which_day", "future_date", "note_too_long",
    "account_too_long", "invalid_account", "unread_date",
)

# The error every grammar returns; the old name stays for the dialogue and the tests.
LogParseError = ParseError


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
class _DateFound:
    day: date | None  # None when the words look like a date but are not one
    words: tuple[Token, ...]
    several_days: bool = False  # a span ("le mois dernier", "last week"): the rep says which day

    @property
    def phrase(self) -> str:
        return join(self.words)

    @property
    def size(self) -> int:
        return len(self.words)


@dataclass(frozen=True)
class _Parts:
    """The words after the type, sorted into their places."""

    account: list[Token]
    result: str | None
    contact: list[Token]
    date: _DateFound | None
    date_after: str  # what the date follows: "account", "contact" or "" (a result)

    def read_after(self, place: str) -> tuple[Token, ...]:
        """The words of the date read right after ``place`` ("account", "contact"), if any."""
        return self.date.words if self.date is not None and self.date_after == place else ()


def parse_log(
    text: str, *, today: date, languages: Sequence[str] = ("fr", "en")
) -> LogCommand | ParseError:
    """Read the words after ``/log``; never raises, whatever the text."""
    return answer(lambda: _LogReading(today, language_order(languages)).read(text), "log")


class _LogReading(Reading):
    def __init__(self, today: date, languages: tuple[str, ...]) -> None:
        super().__init__()
        self.today = today
        self.languages = languages

    def read(self, text: str) -> LogCommand:
        split = words_of(text)
        self.refuse_unclosed_quote(split)
        if not split.tokens:
            raise self.fail("empty")
        rest = split.tokens[self.action_type(split.tokens) :]
        parts = self._parts(rest)
        result = {"result": parts.result} if parts.result else None
        self.refuse_unread_date(parts.account, parts.read_after("account"), also=result)
        account = self._account(parts.account, parts.result)
        contact, contact_function = self._contact(parts)
        occurred_on, date_phrase = self._day(parts.date)
        note = self.note(split.note)
        return LogCommand(
            action_type=self.understood["action_type"],
            account=account,
            result=parts.result,
            contact=contact,
            contact_function=contact_function,
            occurred_on=occurred_on,
            date_phrase=date_phrase,
            note=note,
        )

    def _parts(self, rest: list[Token]) -> _Parts:
        """Find the date (end of line, else before ``with``, else before the result)."""
        if not rest or self._is_date(rest):
            if rest:
                self.understood["date_phrase"] = join(rest)
            raise self.fail("missing_account")
        found, where = self._final_date(rest), "line"
        if found is not None:
            rest = rest[: len(rest) - found.size]
        with_at = next(
            (i for i, t in enumerate(rest) if not t.quoted and vocabulary.is_with_word(t.text)), None
        )
        if with_at == 0:
            raise self.fail("missing_account")
        head = rest if with_at is None else rest[:with_at]
        contact = [] if with_at is None else rest[with_at + 1 :]
        if found is None and contact:
            found, where = self._final_date(head), "head"
            if found is not None:
                head = head[: len(head) - found.size]
        result, account = _final_result(head)
        if found is None and result is not None:
            found, where = self._final_date(account), "account"
            if found is not None:
                account = account[: len(account) - found.size]
        return _Parts(account, result, contact, found, _next_to(where, result, contact))

    def _final_date(self, tokens: Sequence[Token]) -> _DateFound | None:
        """The longest run of final words that is a day, keeping at least one word before it.

        When no final run is a day but one looks like a date ("32/13"), it is returned with
        ``day=None`` so the caller can say ``bad_date`` instead of filing it in a name.
        """
        mistyped: _DateFound | None = None
        for run in final_runs(tokens, _MAX_DATE_WORDS):
            phrase = join(run)
            span = past_span(phrase, today=self.today, languages=self.languages)
            if span is not None and span[0] != span[1]:
                return _DateFound(None, tuple(run), several_days=True)
            day = parse_day_any(phrase, today=self.today, languages=self.languages)
            day = day if day is not None else self._time_today(run)
            if day is not None:
                return _DateFound(day, tuple(run))
            if mistyped is None and looks_like_date(phrase):
                mistyped = _DateFound(None, tuple(run))
        return mistyped

    def _time_today(self, words: Sequence[Token]) -> date | None:
        """Today, when the words are only a time of day ("à 10h", "vers midi", "at 3pm").

        A time alone is read as the next such time: from midnight it is today, from 23:59
        tomorrow, at the same hour (a duration, "dans 2 heures", moves with the moment).
        """
        if find_date_phrase(words) != (0, len(words)):
            return None  # not all date words: not worth reading ("proposition hier")
        phrase = join(words)
        midnight = datetime.combine(self.today, time(0, 0))
        first = parse_when(phrase, now_local=midnight, languages=self.languages)
        if first is None or first.date() != self.today:
            return None
        late = parse_when(phrase, now_local=midnight.replace(hour=23, minute=59), languages=self.languages)
        same_time_tomorrow = datetime.combine(self.today + timedelta(days=1), first.time())
        return self.today if late == same_time_tomorrow else None

    def _is_date(self, tokens: Sequence[Token]) -> bool:
        """True when all these words together are a day, or clearly try to be one."""
        if len(tokens) > _MAX_DATE_WORDS or any(t.quoted for t in tokens):
            return False
        return looks_like_date(join(tokens)) or self._time_today(tokens) is not None

    def _account(self, tokens: Sequence[Token], result: str | None) -> str:
        account = name(tokens)
        if not account:
            raise self.fail("missing_account")
        if not has_letter_or_digit(account):
            raise self.fail("invalid_account", account)
        if len(account) > MAX_ACCOUNT_LENGTH:
            raise self.fail("account_too_long", account)
        self.understood["account"] = account
        if result is not None:
            self.understood["result"] = result
        return account

    def _contact(self, parts: _Parts) -> tuple[str | None, str | None]:
        name_tokens, function = _contact(parts.contact)
        self.refuse_unread_date(name_tokens, parts.read_after("contact"), field="contact")
        contact: str | None = name(name_tokens)
        contact = contact if contact and has_letter_or_digit(contact) else None
        if contact is not None:
            self.understood["contact"] = contact
        if function is not None:
            self.understood["contact_function"] = function
        return contact, function

    def _day(self, found: _DateFound | None) -> tuple[date, str | None]:
        """The day the action happened: the date read, or today when none was typed."""
        if found is None:
            return self.today, None
        if found.several_days:
            raise self.fail("which_day", found.phrase)
        if found.day is None:
            raise self.fail("bad_date", found.phrase)
        if found.day > self.today:
            raise self.fail("future_date", found.phrase)
        self.understood["date_phrase"] = found.phrase
        self.understood["occurred_on"] = found.day.isoformat()
        return found.day, found.phrase


def _next_to(where: str, result: str | None, contact: Sequence[Token]) -> str:
    """What a date read at ``where`` (line, head, account) stands right after."""
    if where == "line" and contact:
        return "contact"
    return "account" if where == "account" or result is None else ""


def _final_result(tokens: Sequence[Token]) -> tuple[str | None, list[Token]]:
    """Split off the longest result keyword ending ``tokens``, keeping one word of account."""
    for run in final_runs(tokens, vocabulary.result_max_words()):
        found = vocabulary.match_result([t.text for t in run], 0)
        if found is not None and found[1] == len(run):
            return found[0], list(tokens[: len(tokens) - len(run)])
    return None, list(tokens)


def _contact(tokens: Sequence[Token]) -> tuple[list[Token], str | None]:
    """The contact name's words and the function code, from the words after with/avec."""
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
                name_tokens = [*tokens[:j], *([Token(before, False)] if before else [])]
                if has_letter_or_digit(word):
                    function = _function(word)
            break
    return name_tokens, function


def _function(words: str) -> str:
    """Function code for the words in parentheses: "(chef des achats)" is a buyer."""
    found = vocabulary.lookup_function(words)
    if found is None:
        found = next(
            (code for w in words.split() if (code := vocabulary.lookup_function(w))), None
        )
    # The member named a function we have no code for: keep that there was one.
    return found or "other"
