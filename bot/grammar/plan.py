"""The /plan and /relance grammars: planned visits, calls and follow-ups, in French or English.

::

    /plan                                   what is planned this week (kind "list"; also
                                            "list", "liste", "semaine", "week", "cette
                                            semaine", "this week")
    /plan <type> <account> <when> [-- <note>]
    /relance <account> <when> [-- <note>]   the same, with the type "follow_up"

How a line is read (decisions for the ambiguous cases):

- Quotes, notes and control characters work as in /log: ``"…"``, ``«…»`` and ``“…”``
  delimit a name; a quote that never closes is ``unclosed_quote``; the note starts at the
  first ``--`` (or a phone's lone ``—`` / ``–``) that begins a word outside quotes, and a
  note over ``MAX_NOTE_LENGTH`` characters is ``note_too_long`` (``detail`` holds it
  whole). A line over ``MAX_TEXT_LENGTH`` characters, or not text, is ``invalid_text``
  (the limit and the error type are shared: see :mod:`bot.grammar.reading`).
- The type is the first word (or two: "follow up"), as in /log; keywords ignore case and
  accents. An unknown one is ``unknown_type`` with the nearest keyword as ``suggestion``
  (``"visitte"`` → ``"visite"``), or None when nothing is close.
- The when is read by :func:`bot.grammar.when.parse_when` (see its decisions: weekdays
  and "le 15" are the next such day, a day alone is at 09:00, "14h" alone is today or
  tomorrow…). It is the **longest run of final words** (at most ``_MAX_WHEN_WORDS``,
  never a quoted word, and leaving at least one word for the account) that either reads
  as a when or has the shape of one. When the longest such run has the shape of a when
  but does not read ("32/13", "25h", "mardi 26h", "le 32 à 10h"), the line is
  ``bad_when``: a mistyped time is never filed in the account name. No such run at all is
  ``missing_when``.
- The account is the words before the when, as typed (quotes removed, a trailing
  ``,;:`` dropped). It must contain a letter or a digit, else ``missing_account``. Words
  after the type that are only a when (or only look like one) are ``missing_account``.
  Whether the account exists is the dialogue's business, not the parser's.
- Names that end in words of a when must be quoted: ``visite "Café du Matin" demain``,
  ``visite "Canal Midi" jeudi``, ``visite "Pressing 24h" demain``. Unquoted, "du matin",
  "midi" and "24h demain" are read as (part of) the when.
- A moment nobody said is never planned: words of a date or a time that the when did
  not take (:mod:`bot.grammar.datewords`) left in the account make the line
  ``unread_date``, with ``detail`` the whole date as typed ("samedi 5 à 18h" when only
  "à 18h" reads) and the account before it understood. It comes before
  ``missing_when`` and ``bad_when``: "visite Gamma lundi 11" is not the account "Gamma
  lundi 11" with no when.
- ``has_time`` is True when the words give a time of day: "10h", "2pm", "14:30",
  "midi"/"noon", or a duration ("dans 2 heures"). A day alone (09:00) and a part of the
  day ("demain matin" 09:00, "ce soir" 18:00, "après-midi" 14:00) leave it False: the
  dialogue may show "mardi matin" rather than a precise hour. "aujourd'hui" after 09:00
  (the next whole hour) has no time either.
- ``due_local`` is the naive wall time in the member's zone. When it is at or before
  ``now_local`` ("hier", "yesterday", "lundi dernier", "15/12/2025", "aujourd'hui 8h"
  said at 10:00, "ce soir" said at 18:00) the line is ``past_when``. When it is more
  than 365 days after ``now_local`` the command is returned with ``far_ahead=True``: the
  dialogue asks to confirm. An aware ``now_local`` is compared by its wall time.
- ``/relance`` with no words is ``missing_account`` (nothing to list there: ``/plan``
  lists). ``/plan`` with no words (a note alone included) lists.
- Errors carry in ``understood`` what was read before the problem, as strings:
  ``action_type``, ``account``, ``when_phrase``, ``due_local`` (ISO, minutes).
  ``detail`` holds the offending words (40 characters at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.grammar import vocabulary
from bot.grammar.normalize import has_letter_or_digit
from bot.grammar.reading import LINE_ERRORS, MAX_NOTE_LENGTH, MAX_TEXT_LENGTH, Failure, ParseError, Reading, answer, language_order, words_of
from bot.grammar.tokens import Token, final_runs, join, name
from bot.grammar.when import SUPPORTED_LANGUAGES, looks_like_when, parse_when, when_has_time

__all__ = [
    "ERROR_CODES",
    "FAR_AHEAD",
    "LIST_WORDS",
    "MAX_NOTE_LENGTH",
    "MAX_TEXT_LENGTH",
    "PlanCommand",
    "PlanParseError",
    "parse_plan",
    "parse_relance",
]

FAR_AHEAD = timedelta(days=365)
# "vendredi de la semaine prochaine à 10h" has 7 words.
_MAX_WHEN_WORDS = 8

ERROR_CODES: tuple[str, ...] = (
    *LINE_ERRORS, "unknown_type", "missing_when", "bad_when", "past_when", "note_too_long",
    "unread_date",
)

# The error every grammar returns; the old name stays for the dialogue and the tests.
PlanParseError = ParseError

# Whole lines that ask for this week's plan.
LIST_WORDS: tuple[str, ...] = (
    "list",
    "liste",
    "ls",
    "semaine",
    "week",
    "cette semaine",
    "la semaine",
    "ma semaine",
    "this week",
    "my week",
)
_LIST_KEYS = frozenset(vocabulary.keyword_key(w) for w in LIST_WORDS)


@dataclass(frozen=True)
class PlanCommand:
    """A /plan or /relance line that was fully understood."""

    kind: str  # "list" | "plan"
    action_type: str | None  # canonical code (vocabulary.ACTION_TYPES); "follow_up" for /relance
    account: str | None  # as typed, quotes removed
    due_local: datetime | None  # naive wall time in the member's zone
    has_time: bool = False  # the words gave an hour ("mardi 10h"), not only a day or part of it
    when_phrase: str | None = None  # the words read as the when, as typed
    note: str | None = None  # after "--"
    far_ahead: bool = False  # more than 365 days after now_local: the dialogue asks to confirm


@dataclass(frozen=True)
class _When:
    due: datetime | None  # None when the words look like a when but are not one
    phrase: str
    size: int


def parse_plan(
    text: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> PlanCommand | ParseError:
    """Read the words after ``/plan``; never raises, whatever the text."""
    reading = _PlanReading(now_local, language_order(languages), relance=False)
    return answer(lambda: reading.read(text), "plan")


def parse_relance(
    text: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> PlanCommand | ParseError:
    """Read the words after ``/relance`` (a follow-up to plan); never raises."""
    reading = _PlanReading(now_local, language_order(languages), relance=True)
    return answer(lambda: reading.read(text), "relance")


class _PlanReading(Reading):
    def __init__(self, now: datetime, languages: tuple[str, ...], *, relance: bool) -> None:
        super().__init__()
        self.now = now
        self.languages = languages
        self.relance = relance

    def read(self, text: str) -> PlanCommand:
        if not isinstance(self.now, datetime):
            raise Failure(ParseError("invalid_text"))
        split = words_of(text)
        tokens = split.tokens
        if self.relance:
            self.understood["action_type"] = "follow_up"
        elif split.unclosed is None and (not tokens or _is_list(tokens)):
            return PlanCommand(kind="list", action_type=None, account=None, due_local=None)
        self.refuse_unclosed_quote(split)
        rest = tokens if self.relance else tokens[self.action_type(tokens) :]
        account, found = self._account_and_when(rest)
        due = self._due(found)
        note = self.note(split.note)
        return PlanCommand(
            kind="plan",
            action_type=self.understood["action_type"],
            account=account,
            due_local=due,
            has_time=when_has_time(found.phrase),
            when_phrase=found.phrase,
            note=note,
            far_ahead=due > self.now.replace(tzinfo=None) + FAR_AHEAD,
        )

    def _account_and_when(self, rest: list[Token]) -> tuple[str, _When]:
        """The account, then the when: the longest run of final words that reads as one."""
        if not rest:
            raise self.fail("missing_account")
        whole = self._when_of(rest)
        if whole is not None:
            if whole.due is None:
                raise self.fail("missing_account", whole.phrase)
            self._understood_when(whole)
            raise self.fail("missing_account")
        runs = final_runs(rest, _MAX_WHEN_WORDS)
        found = next((when for run in runs if (when := self._when_of(run)) is not None), None)
        cut = len(rest) - (found.size if found is not None else 0)
        self.refuse_unread_date(rest[:cut], rest[cut:])
        account = name(rest[:cut])
        if not has_letter_or_digit(account):
            raise self.fail("missing_account", account or None)
        self.understood["account"] = account
        if found is None:
            raise self.fail("missing_when")
        if found.due is None:
            raise self.fail("bad_when", found.phrase)
        return account, found

    def _when_of(self, tokens: Sequence[Token]) -> _When | None:
        """These words as a when: read (``due`` set), shaped like one (``due`` None), or None."""
        if not tokens or len(tokens) > _MAX_WHEN_WORDS or any(t.quoted for t in tokens):
            return None
        phrase = join(tokens)
        if not phrase:
            return None
        due = parse_when(phrase, now_local=self.now, languages=self.languages)
        if due is not None:
            return _When(due, phrase, len(tokens))
        if looks_like_when(phrase):
            return _When(None, phrase, len(tokens))
        return None

    def _understood_when(self, found: _When) -> None:
        assert found.due is not None
        self.understood["when_phrase"] = found.phrase
        self.understood["due_local"] = found.due.isoformat(timespec="minutes")

    def _due(self, found: _When) -> datetime:
        """The planned moment; ``past_when`` when it is not after now (wall time)."""
        assert found.due is not None
        self._understood_when(found)
        if found.due <= self.now.replace(tzinfo=None):
            raise self.fail("past_when", found.phrase)
        return found.due


def _is_list(tokens: Sequence[Token]) -> bool:
    if len(tokens) > 3 or any(t.quoted for t in tokens):
        return False
    return vocabulary.keyword_key(join(tokens)) in _LIST_KEYS
