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
  whole). A line over ``MAX_TEXT_LENGTH`` characters, or not text, is ``invalid_text``.
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

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.grammar.tokens import Token as _Token
from bot.grammar.tokens import clean as _clean
from bot.grammar.tokens import join as _join
from bot.grammar.tokens import name as _name
from bot.grammar.tokens import split as _split
from bot.grammar import vocabulary
from bot.grammar.normalize import has_letter_or_digit
from bot.grammar.when import SUPPORTED_LANGUAGES, looks_like_when, parse_when, when_has_time

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
MAX_NOTE_LENGTH = 1000
FAR_AHEAD = timedelta(days=365)
# "vendredi de la semaine prochaine à 10h" has 7 words.
_MAX_WHEN_WORDS = 8
_DETAIL_LENGTH = 40

ERROR_CODES: tuple[str, ...] = (
    "invalid_text",
    "unclosed_quote",
    "unknown_type",
    "missing_account",
    "missing_when",
    "bad_when",
    "past_when",
    "note_too_long",
)

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
class PlanParseError:
    """Why a /plan or /relance line was refused, and what was understood before the problem."""

    code: str  # one of ERROR_CODES
    understood: dict[str, str] = field(default_factory=dict)
    detail: str | None = None
    suggestion: str | None = None  # the nearest action keyword for unknown_type


@dataclass(frozen=True)
class _When:
    due: datetime | None  # None when the words look like a when but are not one
    phrase: str
    size: int


def parse_plan(
    text: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> PlanCommand | PlanParseError:
    """Read the words after ``/plan``; never raises, whatever the text."""
    try:
        return _parse(text, now_local, _languages(languages), command="plan")
    except Exception:  # a member must get an answer, never a stack trace
        logger.exception("unexpected failure while parsing a /plan line")
        return PlanParseError("invalid_text", {}, detail="internal")


def parse_relance(
    text: str, *, now_local: datetime, languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> PlanCommand | PlanParseError:
    """Read the words after ``/relance`` (a follow-up to plan); never raises."""
    try:
        return _parse(text, now_local, _languages(languages), command="relance")
    except Exception:  # a member must get an answer, never a stack trace
        logger.exception("unexpected failure while parsing a /relance line")
        return PlanParseError("invalid_text", {}, detail="internal")


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    if isinstance(languages, str):
        languages = (languages,)
    return tuple(languages) or SUPPORTED_LANGUAGES


def _parse(
    text: str, now: datetime, languages: tuple[str, ...], *, command: str
) -> PlanCommand | PlanParseError:
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH or not isinstance(now, datetime):
        return PlanParseError("invalid_text")
    split = _split(_clean(text))
    tokens = split.tokens
    understood: dict[str, str] = {}

    if command == "relance":
        action_type, rest = "follow_up", tokens
    else:
        if split.unclosed is None and (not tokens or _is_list(tokens)):
            return PlanCommand(kind="list", action_type=None, account=None, due_local=None)
        found_type = _action_type(tokens)
        if found_type is None and split.unclosed is None:
            word = tokens[0].text
            return PlanParseError(
                "unknown_type",
                {},
                detail=_short(word),
                suggestion=vocabulary.nearest_action_type(word),
            )
        action_type, used = found_type or ("", 0)
        rest = tokens[used:]
    if action_type:
        understood["action_type"] = action_type
    if split.unclosed is not None:
        return PlanParseError("unclosed_quote", understood, detail=_short(split.unclosed))

    if not rest:
        return PlanParseError("missing_account", understood)
    whole = _when_of(rest, now, languages)
    if whole is not None:
        if whole.due is not None:
            understood["when_phrase"] = whole.phrase
            understood["due_local"] = _iso(whole.due)
            return PlanParseError("missing_account", understood)
        return PlanParseError("missing_account", understood, detail=_short(whole.phrase))

    found = _trailing_when(rest, now, languages)
    account_tokens = rest if found is None else rest[: len(rest) - found.size]
    account = _name(account_tokens)
    if not has_letter_or_digit(account):
        return PlanParseError("missing_account", understood, detail=_short(account) or None)
    understood["account"] = account

    if found is None:
        return PlanParseError("missing_when", understood)
    if found.due is None:
        return PlanParseError("bad_when", understood, detail=_short(found.phrase))
    understood["when_phrase"] = found.phrase
    understood["due_local"] = _iso(found.due)
    wall_now = now.replace(tzinfo=None)
    if found.due <= wall_now:
        return PlanParseError("past_when", understood, detail=_short(found.phrase))

    note = split.note
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        # The whole note, so the reply can say how long it is; it is never stored cut.
        return PlanParseError("note_too_long", understood, detail=note)

    return PlanCommand(
        kind="plan",
        action_type=action_type,
        account=account,
        due_local=found.due,
        has_time=when_has_time(found.phrase),
        when_phrase=found.phrase,
        note=note,
        far_ahead=found.due > wall_now + FAR_AHEAD,
    )






def _short(text: str) -> str:
    return text[:_DETAIL_LENGTH]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _is_list(tokens: Sequence[_Token]) -> bool:
    if len(tokens) > 3 or any(t.quoted for t in tokens):
        return False
    return vocabulary.keyword_key(_join(tokens)) in _LIST_KEYS


def _action_type(tokens: Sequence[_Token]) -> tuple[str, int] | None:
    words: list[str] = []
    for token in tokens[:3]:
        if token.quoted:
            break
        words.append(token.text)
    return vocabulary.match_action_type(words, 0) if words else None


def _when_of(tokens: Sequence[_Token], now: datetime, languages: tuple[str, ...]) -> _When | None:
    """These words as a when: read (``due`` set), shaped like one (``due`` None), or None."""
    if not tokens or len(tokens) > _MAX_WHEN_WORDS or any(t.quoted for t in tokens):
        return None
    phrase = _join(tokens)
    if not phrase:
        return None
    due = parse_when(phrase, now_local=now, languages=languages)
    if due is not None:
        return _When(due, phrase, len(tokens))
    if looks_like_when(phrase):
        return _When(None, phrase, len(tokens))
    return None


def _trailing_when(
    tokens: Sequence[_Token], now: datetime, languages: tuple[str, ...]
) -> _When | None:
    """The longest run of final words that reads or looks like a when, keeping one word."""
    for size in range(min(_MAX_WHEN_WORDS, len(tokens) - 1), 0, -1):
        found = _when_of(tokens[len(tokens) - size :], now, languages)
        if found is not None:
            return found
    return None
