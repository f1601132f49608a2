"""The /opp grammar: the carnet commercial's deals, typed in French or English.

::

    /opp                                   my open deals (kind "list"; also "list", "liste")
    /opp new <account> ["title"] <amount> [<pct>%] [<stage>] [close <date>] [next <date>]
    /opp <account> [<amount>] [<pct>%] [<stage>] [close <date>] [next <date>]   (any order)
    /opp <account> won [note]              /opp <account> lost [reason words…]

How a line is read (decisions for the ambiguous cases):

- Quotes: ``"…"``, ``«…»`` and typographic ``“…”`` delimit a name or a title, as in /log;
  a quote that never closes is ``unclosed_quote``. Keywords ignore case and accents.
- The account is the first quoted text, or the unquoted words up to the first word
  Carnet recognises: an amount (:mod:`bot.grammar.amounts`), a percentage, a stage
  keyword, a close-date or next-step keyword, won/lost, a quoted title, or a word within
  a typo of a stage name ("Gamma negociaton" is the account Gamma and a mistyped stage).
  The account always keeps its first word ("3M 50%" is the account 3M), unless that word
  is a percentage. The weak keywords "pour", "fin", "due", "next", "suivi" end the
  account only when a day follows them ("Pour Tous 50%" is the account "Pour Tous").
  Names that contain such words must be quoted: ``/opp "Gamma 2000" 50%``.
- ``new``: the title is the quoted text after the account, or the unquoted words between
  the account and the first recognised word. When nothing is quoted the account is the
  first word and the rest is the title (``new Gamma Contrat maintenance 12k``), so a
  multi-word account with an unquoted title needs quotes: ``new "Alpha Industries"
  Contrat 12k`` — or quote the title: ``new Alpha Industries "Contrat" 12k``. With no
  title, ``title`` is None and the caller names the deal (e.g. after the account). The
  amount is required (``missing_amount``); stage and probability are None when not typed
  (the caller applies the lead stage and the stage's default odds). A close date in the
  past is ``close_in_past``. An optional noun may follow the keyword ("nouvelle affaire",
  "new deal"). An account named like a "new" keyword must be quoted.
- Updates: any of amount, percentage, stage, ``close <date>``, ``next <date>`` and a quoted
  title (to pick one of several deals on the account) in any order; each at most once
  (a repeated one is ``unknown_word``). Nothing to change is ``nothing_to_change``. Close
  and next-step dates of updates may be in the past (the caller decides).
- Dates follow a close keyword (close, clôture, closing date, échéance, due, pour (le),
  fin) or a next-step keyword (next, next step, suivi, prochaine étape) and are read
  forwards by :func:`bot.grammar.when.parse_future_day`: ``close 15/12`` said on
  2026-11-23 is 2026-12-15, ``close 15/01`` is 2027-01-15; "fin décembre", "fin du
  mois", "next friday" work whole. A keyword followed by no day is ``bad_date``. A bare
  day with no keyword is ``unknown_word`` with the suggestion "clôture 15/12" (or
  "close 15/12" when English comes first).
- Percentages: ``30%``, ``30 %``, ``12,5%`` (rounded half up to a whole percent), or a
  probability keyword and a number (``proba 30``). Outside 0–100 is ``bad_probability``.
- Amounts: see :mod:`bot.grammar.amounts`; its errors keep their codes (``not_amount``
  is ``bad_amount``). A second amount that is a whole number up to 100 gets the
  suggestion ``"<n>%"`` (``Gamma 15k 30`` probably meant 30 %).
- ``won``/``lost`` (gagné, signé, perdu…) come right after the account (or its quoted
  title); the rest of the line, as typed, is the note or the reason (None when empty).
- An update that changes nothing, whose unquoted account ends in a day or in a word close
  to a keyword ("Gamma 15 décembre", "Gamma wonn"), is reported as an error about those
  words with the account before them; otherwise ``nothing_to_change`` ("Gamma blabla"
  is the account "Gamma blabla" with nothing to change).
- Unknown words: a word close to a stage name is ``unknown_stage`` with the nearest stage
  keyword as ``suggestion``; close to won/lost/new, ``unknown_word`` with that keyword as
  suggestion; otherwise ``unknown_word``. ``detail`` holds the words (40 characters at
  most) and ``understood`` what was read before them, as strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.grammar import vocabulary
from bot.grammar.amounts import AmountError, Money, parse_amount
from bot.grammar.normalize import fold, has_letter_or_digit
from bot.grammar.reading import LINE_ERRORS, MAX_TEXT_LENGTH, Failure, ParseError, Reading, answer, language_order, words_of
from bot.grammar.tokens import Token
from bot.grammar.tokens import join as _join
from bot.grammar.when import looks_like_future_day, parse_future_day

__all__ = ["ERROR_CODES", "MAX_TEXT_LENGTH", "OppCommand", "OppParseError", "parse_opp"]

_MAX_DATE_WORDS = 6
_MAX_AMOUNT_WORDS = 7  # "EUR 1 000 000 000 000"
# A word this close to a stage keyword ends an unquoted account ("Gamma negociaton").
_STRICT_STAGE_CUTOFF = 85.0
_LOOSE_STAGE_CUTOFF = 75.0
_MIN_TYPO_LENGTH = 5

ERROR_CODES: tuple[str, ...] = (
    *LINE_ERRORS, "unknown_word", "unknown_stage", "bad_probability", "bad_amount",
    "unknown_currency", "negative_amount", "absurd_amount", "bad_date", "close_in_past",
    "nothing_to_change", "missing_amount",
)

_PERCENT = re.compile(r"(?P<number>[-+\u2212]?\d+(?:[.,]\d+)?)\s*%")
_NUMBER = re.compile(r"[-+\u2212]?\d+(?:[.,]\d+)?")
# Keywords that end an unquoted account only when a day follows them.
_WEAK_KEYWORDS = frozenset({"pour", "pour le", "fin", "due", "next", "suivi"})
_CONNECTORS = frozenset({"au", "by", "for", "at", "a", ":", "="})
_REASON_LEADERS = " -\u2014\u2013:,;"
_AMOUNT_ERRORS = {
    "not_amount": "bad_amount",
    "unknown_currency": "unknown_currency",
    "negative_amount": "negative_amount",
    "absurd_amount": "absurd_amount",
}


@dataclass(frozen=True)
class OppCommand:
    """An /opp line that was fully understood."""

    kind: str  # list | new | update | won | lost
    account: str | None = None  # as typed
    title: str | None = None
    amount: Money | None = None
    probability: int | None = None
    stage: str | None = None  # canonical open stage code (vocabulary.OPEN_STAGES)
    close_on: date | None = None
    close_phrase: str | None = None
    next_step_on: date | None = None
    reason: str | None = None  # for lost (and won: optional note)


# The error every grammar returns; the old name stays for the dialogue and the tests.
OppParseError = ParseError


def parse_opp(
    text: str, *, today: date, languages: Sequence[str] = ("fr", "en")
) -> OppCommand | ParseError:
    """Read the words after ``/opp``; never raises, whatever the text."""
    return answer(lambda: _Parser(today, language_order(languages)).parse(text), "opp")


@dataclass
class _Item:
    """One recognised thing at a position: its role, what it means, how many words."""

    role: str  # title | amount | probability | stage | close | next | won | lost
    size: int
    value: object = None
    phrase: str | None = None
    error: ParseError | None = None


@dataclass
class _Fields:
    """What the words after the account set; None where nothing was typed."""

    title: str | None = None
    title_seen: bool = False
    amount: Money | None = None
    probability: int | None = None
    stage: str | None = None
    close_on: date | None = None
    close_phrase: str | None = None
    next_step_on: date | None = None

    def changes_something(self) -> bool:
        values = (self.amount, self.probability, self.stage, self.close_on, self.next_step_on)
        return any(value is not None for value in values)

    def command(self, kind: str, account: str, title: str | None) -> OppCommand:
        """The new deal or the update these fields make."""
        return OppCommand(
            kind,
            account=account,
            title=title,
            amount=self.amount,
            probability=self.probability,
            stage=self.stage,
            close_on=self.close_on,
            close_phrase=self.close_phrase,
            next_step_on=self.next_step_on,
        )


# Which field each role fills, to refuse a second one.
_ROLE_FIELDS = {
    "title": "title_seen",
    "amount": "amount",
    "probability": "probability",
    "stage": "stage",
    "close": "close_on",
    "next": "next_step_on",
}


class _Parser(Reading):
    def __init__(self, today: date, languages: tuple[str, ...]) -> None:
        super().__init__()
        self.today = today
        self.languages = languages
        self.tokens: list[Token] = []

    # --- the line ---------------------------------------------------------------------

    def parse(self, text: str) -> OppCommand:
        split = words_of(text, notes=False)  # /opp has no note
        self.tokens = [t for t in split.tokens if t.text or t.quoted]
        self.refuse_unclosed_quote(split, typed=False)
        if not self.tokens:
            return OppCommand("list")
        return self._line()

    def _line(self) -> OppCommand:
        first = self._keyword(0)
        if first is not None and first[0] == "list" and first[1] == len(self.tokens):
            return OppCommand("list")
        if first is not None and first[0] == "new":
            start = first[1]
            # "nouvelle affaire Gamma …": the noun is skipped when an account follows it.
            if (
                self._plain(start)
                and vocabulary.is_opp_new_noun(self.tokens[start].text)
                and start + 1 < len(self.tokens)
                and (self.tokens[start + 1].quoted or self._item(start + 1, strict=True) is None)
            ):
                start += 1
            self.understood["kind"] = "new"
            return self._new(start)
        return self._existing(0)

    # --- the three forms ----------------------------------------------------------------

    def _new(self, start: int) -> OppCommand:
        if start >= len(self.tokens) or (
            self._plain(start) and _PERCENT.fullmatch(self.tokens[start].text)
        ):
            raise self.fail("missing_account")
        account_end = self._account_end(start)
        words = self.tokens[start:account_end]
        title: str | None = None
        stopped_on_title = account_end < len(self.tokens) and self.tokens[account_end].quoted
        if words[0].quoted:
            account = words[0].text
            rest = words[1:]
            if not rest and not stopped_on_title:
                # new "Alpha" Contrat maintenance 12k: unquoted words up to the next item.
                stop = self._next_item_index(account_end)
                rest = self.tokens[account_end:stop]
                account_end = stop
            title = _join(rest) or None
        elif stopped_on_title or len(words) == 1:
            account = _join(words)
        else:
            account, title = words[0].text, _join(words[1:])
        account = self._set_account(account)
        if title is not None:
            self.understood["title"] = title

        fields = self._items(account_end, title_taken=title is not None, is_new=True)
        if fields.title is not None:
            title = fields.title
        if fields.amount is None:
            raise self.fail("missing_amount")
        return fields.command("new", account, title)

    def _existing(self, start: int) -> OppCommand:
        if self._plain(start) and _PERCENT.fullmatch(self.tokens[start].text):
            raise self.fail("missing_account")
        account_end = self._account_end(start)
        account = self._set_account(_join(self.tokens[start:account_end]))
        position = account_end
        title: str | None = None
        if position < len(self.tokens) and self.tokens[position].quoted:
            after = self._keyword(position + 1)
            if after is not None and after[0] in ("won", "lost"):
                title = self.tokens[position].text
                self.understood["title"] = title
                position += 1
        keyword = self._keyword(position)
        if keyword is not None and keyword[0] in ("won", "lost"):
            kind, size = keyword
            reason = _join(self.tokens[position + size :]).lstrip(_REASON_LEADERS).strip()
            return OppCommand(kind, account=account, title=title, reason=reason or None)

        self.understood["kind"] = "update"
        fields = self._items(position, title_taken=False, is_new=False)
        if not fields.changes_something():
            raise self._nothing_to_change(start, account_end)
        return fields.command("update", account, fields.title)

    def _nothing_to_change(self, start: int, account_end: int) -> Failure:
        """``nothing_to_change`` — unless the account's last words were meant as a change.

        "Gamma wonn", "Gamma 15/12", "Gamma negociation" typed with a typo in a stage
        the strict test missed: the words are read as an error about them, with the
        account before them.
        """
        words = self.tokens[start:account_end]
        if len(words) > 1 and not words[0].quoted:
            for size in range(min(_MAX_DATE_WORDS, len(words) - 1), 0, -1):
                tail = start + len(words) - size
                day = self._day_at(tail)
                if day is not None and day[1] == size:
                    self.understood["account"] = _join(words[: len(words) - size])
                    return self._unknown(tail, _Fields())
            last = words[-1].text
            if vocabulary.nearest_opp_keyword(last) or (
                len(fold(last)) >= 4 and vocabulary.nearest_stage(last, _LOOSE_STAGE_CUTOFF)
            ):
                self.understood["account"] = _join(words[:-1])
                return self._unknown(start + len(words) - 1, _Fields())
        return self.fail("nothing_to_change")

    def _set_account(self, account: str) -> str:
        """The account as typed, without a separating comma ("Gamma, 50%")."""
        account = account.strip().rstrip(",;:").strip()
        if not has_letter_or_digit(account):
            raise self.fail("missing_account")
        self.understood["account"] = account
        return account

    # --- the words after the account -----------------------------------------------------

    def _items(self, start: int, *, title_taken: bool, is_new: bool) -> _Fields:
        """Read amount, probability, stage, dates and title in any order, each once."""
        fields = _Fields(title_seen=title_taken)
        i = start
        while i < len(self.tokens):
            item = self._item(i, strict=False)
            if item is None:
                raise self._unknown(i, fields)
            if item.error is not None:
                raise Failure(item.error)
            words = _join(self.tokens[i : i + item.size])
            slot = _ROLE_FIELDS.get(item.role)
            if slot is None or getattr(fields, slot):
                small = self._small_number(words)
                if item.role == "amount" and small is not None and fields.probability is None:
                    raise self.fail("bad_amount", words, f"{small}%")
                raise self.fail("unknown_word", words)
            self._store(item, fields, is_new=is_new)
            i += item.size
        return fields

    def _store(self, item: _Item, fields: _Fields, *, is_new: bool) -> None:
        value = item.value
        if item.role == "title" and isinstance(value, str):
            fields.title, fields.title_seen = value, True
            self.understood["title"] = value
        elif item.role == "amount" and isinstance(value, Money):
            fields.amount = value
            self.understood["amount"] = str(value.amount)
            if value.currency:
                self.understood["currency"] = value.currency
        elif item.role == "probability" and isinstance(value, int):
            fields.probability = value
            self.understood["probability"] = str(value)
        elif item.role == "stage" and isinstance(value, str):
            fields.stage = value
            self.understood["stage"] = value
        elif item.role == "close" and isinstance(value, date):
            if is_new and value < self.today:
                raise self.fail("close_in_past", item.phrase)
            fields.close_on, fields.close_phrase = value, item.phrase
            self.understood["close_on"] = value.isoformat()
            self.understood["close_phrase"] = item.phrase or ""
        elif item.role == "next" and isinstance(value, date):
            fields.next_step_on = value
            self.understood["next_step_on"] = value.isoformat()

    def _unknown(self, i: int, fields: _Fields) -> Failure:
        """The most helpful error for an unrecognised word at ``i``."""
        token = self.tokens[i]
        if not token.quoted:
            day = self._day_at(i)
            if day is not None:
                phrase = _join(self.tokens[i : i + day[1]])
                close_word = "close" if self.languages[0] == "en" else "clôture"
                return self.fail("unknown_word", phrase, f"{close_word} {phrase}")
            if len(fold(token.text)) >= 4 and fields.stage is None:
                stage = vocabulary.nearest_stage(token.text, _LOOSE_STAGE_CUTOFF)
                if stage is not None:
                    return self.fail("unknown_stage", token.text, stage)
            keyword = vocabulary.nearest_opp_keyword(token.text)
            if keyword is not None:
                return self.fail("unknown_word", token.text, keyword)
        return self.fail("unknown_word", token.text)

    # --- recognising one thing at a position ------------------------------------------------

    def _plain(self, i: int) -> bool:
        return i < len(self.tokens) and not self.tokens[i].quoted

    def _keyword(self, i: int) -> tuple[str, int] | None:
        words: list[str] = []
        for token in self.tokens[i : i + 4]:
            if token.quoted:
                break
            words.append(token.text)
        return vocabulary.match_opp_keyword(words, 0) if words else None

    def _account_end(self, start: int) -> int:
        """Index of the first recognised word after the account's first word."""
        if self.tokens[start].quoted:
            return start + 1
        i = start + 1
        while i < len(self.tokens) and self._item(i, strict=True) is None:
            i += 1
        return i

    def _next_item_index(self, start: int) -> int:
        i = start
        while i < len(self.tokens) and self._item(i, strict=True) is None:
            i += 1
        return i

    def _item(self, i: int, *, strict: bool) -> _Item | None:
        """What the words at ``i`` are, or None. ``strict`` is the account-ending test."""
        token = self.tokens[i]
        if token.quoted:
            return _Item("title", 1, token.text)
        if (item := self._probability(i)) is not None:
            return item
        keyword = self._keyword(i)
        if keyword is not None:
            role, size = keyword
            if role in ("close", "next"):
                return self._date_item(i, role, size, strict=strict)
            if role in ("won", "lost"):
                return _Item(role, size)
            if role == "probability":
                # A probability keyword with no number; "chance(s)" may be part of a name.
                if strict and fold(token.text).startswith("chance"):
                    return None
                typed = _join(self.tokens[i : i + size + 1])
                return _Item("probability", size, error=self._error_at("bad_probability", typed))
        stage = vocabulary.match_stage([t.text for t in self.tokens[i : i + 3] if not t.quoted], 0)
        if stage is not None and not any(t.quoted for t in self.tokens[i : i + stage[1]]):
            return _Item("stage", stage[1], stage[0])
        if (item := self._bare_day(i, strict=strict)) is not None:
            return item
        if (item := self._amount(i)) is not None:
            return item
        typo = (
            strict
            and len(fold(token.text)) >= _MIN_TYPO_LENGTH
            and vocabulary.nearest_stage(token.text, _STRICT_STAGE_CUTOFF) is not None
        )
        return _Item("typo", 1) if typo else None

    def _bare_day(self, i: int, *, strict: bool) -> _Item | None:
        """A day typed without a close keyword ("Gamma 15/12", "Gamma 15 décembre").

        Only digits that cannot be an amount are tried: "15/12", "2026-12-15", "15 déc".
        """
        text = self.tokens[i].text
        if not text[:1].isdigit():
            return None
        day = self._day_at(i)
        if day is None or (day[1] == 1 and not any(mark in text for mark in "/-")):
            return None
        if strict:
            return _Item("typo", day[1])
        phrase = _join(self.tokens[i : i + day[1]])
        keyword = "close" if self.languages[0] == "en" else "clôture"
        return _Item("day", day[1], error=self._error_at("unknown_word", phrase, f"{keyword} {phrase}"))

    def _error_at(self, code: str, detail: str | None, suggestion: str | None = None) -> ParseError:
        return self.error(code, detail or None, suggestion)

    def _probability(self, i: int) -> _Item | None:
        token = self.tokens[i].text
        size = 1
        match = _PERCENT.fullmatch(token)
        if match is None and _NUMBER.fullmatch(token) and self._plain(i + 1) and self.tokens[i + 1].text == "%":
            match, size = _NUMBER.fullmatch(token), 2
        keyword = self._keyword(i)
        if match is None and keyword is not None and keyword[0] == "probability":
            j = i + keyword[1]
            if self._plain(j) and self.tokens[j].text in (":", "="):
                j += 1
            if self._plain(j):
                match = _PERCENT.fullmatch(self.tokens[j].text) or _NUMBER.fullmatch(
                    self.tokens[j].text
                )
                if match is not None:
                    size = j + 1 - i
                    if self._plain(j + 1) and self.tokens[j + 1].text == "%":
                        size += 1
        if match is None:
            return None
        typed = _join(self.tokens[i : i + size])
        number = match.group(0).rstrip("% ").replace(",", ".").replace("\u2212", "-")
        try:
            value = Decimal(number).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return _Item("probability", size, error=self._error_at("bad_probability", typed))
        if not 0 <= value <= 100:
            return _Item("probability", size, error=self._error_at("bad_probability", typed))
        return _Item("probability", size, int(value))

    def _amount(self, i: int) -> _Item | None:
        for size in range(min(_MAX_AMOUNT_WORDS, len(self.tokens) - i), 0, -1):
            window = self.tokens[i : i + size]
            if any(t.quoted for t in window):
                continue
            phrase = _join(window)
            found = parse_amount(phrase)
            if found is None or (
                size > 1 and isinstance(found, AmountError) and found.code == "not_amount"
            ):
                continue
            if isinstance(found, Money):
                return _Item("amount", size, found)
            code = _AMOUNT_ERRORS.get(found.code, "bad_amount")
            detail = found.detail if found.code == "unknown_currency" else phrase
            return _Item("amount", size, error=self._error_at(code, detail))
        return None

    def _day_at(self, i: int) -> tuple[date, int] | None:
        """The longest run of words at ``i`` that reads as a day: ``(day, size)``."""
        for size in range(min(_MAX_DATE_WORDS, len(self.tokens) - i), 0, -1):
            window = self.tokens[i : i + size]
            if any(t.quoted for t in window):
                continue
            day = parse_future_day(_join(window), today=self.today, languages=self.languages)
            if day is not None:
                return day, size
        return None

    def _date_item(self, i: int, role: str, size: int, *, strict: bool) -> _Item | None:
        keyword_text = fold(_join(self.tokens[i : i + size]))
        # "fin du mois", "fin décembre", "next friday": the keyword is part of the day.
        whole = self._day_at(i)
        if whole is not None and whole[1] > size:
            day, used = whole
            return _Item(role, used, day, _join(self.tokens[i : i + used]))
        j = i + size
        if self._plain(j) and fold(self.tokens[j].text) in _CONNECTORS:
            j += 1
        after = self._day_at(j) if j < len(self.tokens) else None
        if after is not None:
            day, used = after
            return _Item(role, j + used - i, day, _join(self.tokens[j : j + used]))
        if strict and vocabulary.keyword_key(keyword_text) in _WEAK_KEYWORDS:
            return None
        code = "bad_date"
        # The words that tried to be a day, or the first word after the keyword.
        tried = None
        for n in range(min(_MAX_DATE_WORDS, len(self.tokens) - j), 0, -1):
            phrase = _join(self.tokens[j : j + n])
            if not any(t.quoted for t in self.tokens[j : j + n]) and looks_like_future_day(phrase):
                tried = phrase
                break
        if tried is None and j < len(self.tokens):
            tried = self.tokens[j].text
        return _Item(role, max(1, j - i), error=self._error_at(code, tried))

    def _small_number(self, words: str) -> int | None:
        if re.fullmatch(r"\d{1,3}", words) and int(words) <= 100:
            return int(words)
        return None

