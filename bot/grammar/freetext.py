"""A message written to Carnet as to a colleague, read into the rows it would store.

``vu Gamma ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier``
``called Alpha Industries yesterday, no need for now, follow up in 3 months``

:func:`read_message` is a pure function: it finds, in any order, the parts it knows and leaves
the other words where they were. No network model — rules, the vocabulary tables and the date
and amount readers of the other grammars:

- the **action**: its type, from a verb as people write it ("vu", "appelé", "called", "met",
  :data:`ACTION_VERBS`) or a noun of the vocabulary ("visite", "rdv"); a result ("proposition",
  "no need", :data:`RESULT_PHRASES` and the vocabulary's); a contact after ``avec``/``with`` or
  a title ("Mme Z", "Mr Smith"), its function in parentheses or as a word ("l'acheteur"); the
  day it happened (``when.parse_day_any``: "ce matin", "yesterday", "lundi dernier"), today when
  none is written. An action whose day is ahead ("visite Gamma mardi 10h") is a plan instead;
- a **deal** when an amount is written with a currency, a multiplier or four digits ("12k",
  "12 000 €", "$8,500"; a bare "3" is never money), and its close date after it ("pour fin
  janvier", "by end of March");
- a **plan** asked for: a relance ("follow up in 3 months", "relancer Gamma dans 2 semaines",
  :data:`PLAN_WORDS`) read by ``when.parse_when`` in the member's zone;
- the **note**, after ``--``, as in /log.

The grammar cannot know account names: the words it could not place stay as *runs* (words
together between the parts and the commas), and :attr:`FreeTextReading.account_hint` says where
the account most likely is (a quoted name, the words after "chez"/"at", after the verb). The
dialog tries the runs against the workspace's accounts; what is left is quoted back
(:meth:`FreeTextReading.unplaced`), small words ("ils", "the", "for now") left out.
Never raises, whatever the text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.grammar import vocabulary
from bot.grammar.amounts import AmountError, Money, parse_amount
from bot.grammar.normalize import fold, has_letter_or_digit
from bot.grammar.tokens import clean, split
from bot.grammar.vocabulary import keyword_key
from bot.grammar.when import looks_like_date, parse_day_any, parse_future_day, parse_when, when_has_time

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
MAX_NOTE_LENGTH = 1000
MAX_CONTACT_WORDS = 4
_MAX_DATE_WORDS = 7
_MAX_AMOUNT_WORDS = 4
_MAX_ACCOUNT_WORDS = 8
_PLAN_GAP = 3  # words allowed between "relancer" and its date: "relancer Gamma dans 3 mois"

# --------------------------------------------------------------------------- tables

# Verbs as reps write them (past forms mostly); the vocabulary's nouns are read too.
ACTION_VERBS: dict[str, tuple[str, ...]] = {
    "visit": (
        "vu", "vue", "vus", "vues", "visité", "visitée", "visités", "rendu visite", "passé voir",
        "passée voir", "passé chez", "passée chez", "suis passé", "suis passée", "été voir", "allé voir", "allée voir", "rencontré",
        "rencontrée", "rencontrés", "saw", "seen", "visited", "met", "dropped by", "stopped by",
        "went to see", "popped in",
    ),
    "call": (
        "appelé", "appelée", "téléphoné", "eu au téléphone", "eu au tel", "eu au tél", "called",
        "phoned", "rang", "spoke to", "spoke with", "talked to", "talked with",
    ),
    "email": (
        "envoyé un mail", "envoyé un email", "envoyé un e-mail", "envoyé un courriel", "mailé", "emailé",
        "écrit à", "emailed", "mailed", "e-mailed", "wrote to", "sent an email", "sent a mail",
    ),
    "video": ("fait une visio", "had a video call", "video call"),
    "demo": (
        "fait une démo", "fait une démonstration", "démontré", "demoed", "demo'd", "gave a demo", "did a demo",
    ),
    "negotiation": ("négocié", "négociée", "negotiated"),
    "follow_up": ("relancé", "relancée", "relancés", "followed up", "chased"),
}  # fmt: skip

# Results as reps write them, beyond the vocabulary's own keywords.
RESULT_PHRASES: dict[str, tuple[str, ...]] = {
    "proposal": ("offre", "une offre", "propale", "propal", "a proposal", "a quote"),
    "no_need": (
        "pas intéressé", "pas intéressée", "pas intéressés", "pas intéressées", "not interested",
        "aucun besoin", "no interest", "pas de projet", "no project", "no need for now",
    ),
    "revise_proposal": ("revoir l'offre", "revise the proposal", "nouvelle proposition", "new proposal"),
    "meeting_booked": (
        "rdv fixé", "rendez-vous pris", "rendez-vous fixé", "booked a meeting", "meeting set", "meeting scheduled",
    ),
    "order": ("commandé", "a commandé", "ont commandé", "passé commande", "ordered", "placed an order"),
    "won": ("gagnée", "signée", "deal signé", "closed the deal"),
    "lost": ("perdue", "lost the deal", "went with a competitor"),
    "send_documentation": (
        "envoyer la doc", "envoyer de la doc", "documentation", "brochure", "send the brochure", "send info",
    ),
    "to_follow_up": ("à rappeler", "à suivre"),
}  # fmt: skip

# Words that ask for a plan, and its type: they must be followed by when (within a few words).
PLAN_WORDS: dict[str, tuple[str, ...]] = {
    "follow_up": (
        "relancer", "relance", "à relancer", "relance prévue", "rappeler", "à rappeler", "recontacter",
        "reprendre contact", "follow up", "follow-up", "followup", "to follow up", "call back",
        "call them back", "check back", "get back to them", "touch base", "chase",
    ),
    "visit": (
        "repasser", "repasser les voir", "retourner voir", "on se revoit", "se revoir", "revoir le client",
        "visit again", "see them again", "go back",
    ),
}  # fmt: skip

# Words between an amount's keyword and the close date of the deal.
CLOSE_WORDS: tuple[str, ...] = (
    "pour", "pour le", "d'ici", "d'ici le", "avant", "avant le", "au plus tard", "clôture", "closing",
    "close", "signature", "signature prévue", "à signer", "for", "by", "before", "due", "to close", "to sign",
)  # fmt: skip
# Words just before an amount that belong to it ("une proposition à 12k", "worth $8k").
AMOUNT_LEADS: tuple[str, ...] = (
    "à", "a", "de", "d'un montant de", "montant de", "budget de", "pour", "montant", "budget", "environ", "of",
    "for", "at", "worth", "budget of", "about", "around", "~",
)  # fmt: skip
# Nouns between an amount and its close date: "5k deal closing next month".
DEAL_NOUNS: tuple[str, ...] = (
    "deal", "affaire", "contrat", "contract", "opportunité", "opportunity", "ht", "ttc", "hors taxes",
)  # fmt: skip
# Words that introduce the account ("passé chez Gamma", "meeting at Alpha").
ACCOUNT_LEADS: tuple[str, ...] = ("chez", "at", "@")
TITLES: tuple[str, ...] = (
    "m", "m.", "mr", "mr.", "mme", "mme.", "mlle", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "me",
    "monsieur", "madame", "mademoiselle",
)  # fmt: skip
# Small words a message is full of: never quoted back as "not placed", never a name on their own.
SMALL_WORDS: frozenset[str] = frozenset(
    keyword_key(w)
    for w in (
        # French
        "le la les l' un une des du de d' et ou à au aux ce cet cette ces il ils elle elles on nous "
        "je j' j'ai ai a ont avons est sont été suis leur leurs lui son sa ses mon ma mes notre nos "
        "pour par sur en y qui que qu' ne n' pas très bien bon bonne donc mais car ok alors aussi "
        "encore déjà puis vraiment plutôt veulent veut voudrait voudraient souhaite souhaitent "
        "demande demandent attendent attend besoin avoir fait faire être cela ça ca tout tous "
        "instant moment maintenant pour l'instant pour le moment tard affaire"
        # English
        " the a an and or to of in on at for with we i i've they he she it is are was were be been "
        "have has had their them our my his her its this that these those so but very good well ok "
        "also again already then really want wants would like asked ask need needs now for now "
        "at the moment later just some any about regarding concernant sujet re deal"
    ).split()
)

_TITLE_KEYS = frozenset(keyword_key(t) for t in TITLES)
_ARTICLES = frozenset(keyword_key(w) for w in "le la les l' un une the their leur son sa his her our notre a an".split())
_ELISIONS = ("l'", "d'", "j'", "s'", "n'", "qu'", "c'", "m'")
_CLAUSE_END = ",;.!?:"
_OPENERS = "(["
_CLOSERS = ")]"
_DASHES = ("-", "\u2014", "\u2013", "/", "|")
_MULTIPLIER = re.compile(r"\d\s*(?:k|m|mn|mio|md|mds|mrd|bn|keur|mille|thousand|millions?|milliards?)\b")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _index(*tables: dict[str, tuple[str, ...]], codes: bool = False) -> dict[str, str]:
    """Matching key → code for the phrases of ``tables`` (and the codes themselves, as the
    vocabulary reads them: "no need" is ``no_need``)."""
    index: dict[str, str] = {}
    for table in tables:
        for code, phrases in table.items():
            for phrase in ((code, *phrases) if codes else phrases):
                key = keyword_key(phrase)
                assert index.get(key, code) == code, f"phrase {phrase!r} is ambiguous"
                index[key] = code
    return index


# The vocabulary's keywords and this module's phrases, in one index each (read word by word).
_ACTION_INDEX = {**_index(vocabulary.ACTION_TYPES, codes=True), **_index(ACTION_VERBS)}
_RESULT_INDEX = _index(vocabulary.RESULTS, RESULT_PHRASES, codes=True)
_PLAN_INDEX = _index(PLAN_WORDS)
# Spelled numbers an amount may start with ("dix mille euros"): with a digit or a currency sign in
# its first two words, the only spans given to the amount reader, which decides.
NUMBER_WORDS: frozenset[str] = frozenset(
    "un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt "
    "trente quarante cinquante soixante cent cents mille one two three four five six seven eight nine ten "
    "eleven twelve fifteen twenty thirty forty fifty sixty hundred thousand half".split()
)
_CURRENCY_SIGNS = "€$£¥₹₪₩"
_CLOSE_INDEX = {keyword_key(w): "close" for w in CLOSE_WORDS}
_DEAL_NOUN_KEYS = frozenset(keyword_key(w) for w in DEAL_NOUNS)
_AMOUNT_LEAD_KEYS = frozenset(keyword_key(w) for w in AMOUNT_LEADS)
_ACCOUNT_LEAD_KEYS = frozenset(keyword_key(w) for w in ACCOUNT_LEADS)


# --------------------------------------------------------------------------- what is read


@dataclass(frozen=True)
class Span:
    """Words ``start``..``end`` (excluded) of the message, and their text as written."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ActionReading:
    """The action the message reports (its type may be missing: the reply then asks for it)."""

    action_type: str | None
    occurred_on: date
    date_phrase: str | None  # None: no day written, so today
    result: str | None = None
    contact: str | None = None
    contact_function: str | None = None
    contact_span: Span | None = None  # where the contact was read ("met with Alpha" may name the account)


@dataclass(frozen=True)
class DealReading:
    """A deal with its amount, and its close date when one follows it."""

    amount: Decimal
    currency: str | None
    phrase: str
    close_on: date | None = None
    close_phrase: str | None = None


@dataclass(frozen=True)
class PlanReading:
    """Something to do later: a relance asked for, or an action written with a day ahead."""

    action_type: str
    due_local: datetime  # naive wall time in the member's zone
    has_time: bool
    phrase: str


@dataclass(frozen=True)
class Issue:
    """Words that look like a part but cannot be one, and why (a catalogue key's last part)."""

    code: str  # future_date | other_date | unused_date | bad_date | bad_amount | close_in_past
    words: str


@dataclass(frozen=True)
class FreeTextReading:
    """Everything :func:`read_message` found, and the words it left where they were."""

    words: tuple[str, ...]
    action: ActionReading | None = None
    deal: DealReading | None = None
    plan: PlanReading | None = None
    note: str | None = None
    runs: tuple[Span, ...] = ()  # the words no part took, together as written
    account_hint: Span | None = None  # the likeliest account among them
    issues: tuple[Issue, ...] = ()
    too_long: bool = False

    @property
    def understood(self) -> bool:
        """Whether anything could be stored from it."""
        return self.action is not None or self.deal is not None or self.plan is not None

    def candidate_spans(self) -> list[Span]:
        """Every run's word spans that could be an account name, the hint's run first, longest first."""
        runs = list(self.runs)
        if self.action is not None and self.action.contact_span is not None:
            runs.append(self.action.contact_span)
        if self.account_hint is not None:
            runs.sort(key=lambda r: not (r.start <= self.account_hint.start < r.end))  # type: ignore[union-attr]
        spans: list[Span] = []
        for run in runs:
            for size in range(min(_MAX_ACCOUNT_WORDS, run.end - run.start), 0, -1):
                for start in range(run.start, run.end - size + 1):
                    span = self.span(start, start + size)
                    if has_letter_or_digit(span.text) and not all(_is_small(w) for w in self.words[start : start + size]):
                        spans.append(span)
        spans.sort(key=lambda s: -(s.end - s.start))  # stable: the hint's run first among equals
        return spans

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, " ".join(self.words[start:end]))

    def unplaced(self, account: Span | None = None) -> list[str]:
        """The runs (less the account's words) that hold more than small words, as written, without
        the small words at their ends."""
        pieces: list[str] = []
        for run in self.runs:
            parts = [(run.start, run.end)]
            if account is not None and account.start < run.end and run.start < account.end:
                parts = [(run.start, account.start), (account.end, run.end)]
            for start, end in parts:
                while start < end and _is_small(self.words[start]):
                    start += 1
                while end > start and _is_small(self.words[end - 1]):
                    end -= 1
                if end > start:
                    pieces.append(" ".join(self.words[start:end]))
        return pieces


def read_message(text: str, *, now_local: datetime, languages: Sequence[str] = ("fr", "en")) -> FreeTextReading:
    """Read a message into an action, a deal, a plan and the words left; never raises.

    ``now_local`` is the member's wall time (naive or aware, in their zone): "ce matin" is its day,
    "in 3 months" counts from it."""
    try:
        if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
            return FreeTextReading(words=(), too_long=isinstance(text, str))
        return _Reader(text, now_local.replace(tzinfo=None, second=0, microsecond=0), tuple(languages) or ("fr", "en")).read()
    except Exception:  # noqa: BLE001 - a member must get an answer, never a stack trace
        logger.exception("unexpected failure while reading a message")
        return FreeTextReading(words=())


# --------------------------------------------------------------------------- the reader


@dataclass
class _Word:
    text: str  # as written, edge punctuation off
    key: str  # keyword_key of the text
    quoted: bool = False
    clause_end: bool = False  # a comma, a full stop… after it
    comma: bool = False  # only a comma after it: a date may go on ("Mon, February 18")
    opens: bool = False  # "(" before it
    closes: bool = False  # ")" after it


def _is_small(word: str) -> bool:
    if len(word) > 1 and word.isupper():
        return False  # "SA", "AG", "IBM": part of a name, whatever they spell
    return keyword_key(word) in SMALL_WORDS or not has_letter_or_digit(word)


def _unelided(key: str) -> str:
    """"l'acheteur" → "acheteur" (the vocabulary has no elided forms)."""
    for elision in _ELISIONS:
        if key.startswith(elision) and len(key) > len(elision):
            return key[len(elision) :]
    return key


def _words(text: str) -> list[_Word]:
    tokens = split(text, notes=False)
    if tokens.unclosed is not None:  # a stray quote: read the words without it
        tokens = split(re.sub(r"[\"\u201c\u201d\u201e\u00ab\u00bb]", " ", text), notes=False)
    words: list[_Word] = []
    for token in tokens.tokens:
        if token.quoted:
            if token.text:
                words.append(_Word(token.text, keyword_key(token.text), quoted=True))
            continue
        raw = token.text
        if raw in _DASHES or not raw.strip(_CLAUSE_END + _OPENERS + _CLOSERS + "".join(_DASHES)):
            if words:
                words[-1].clause_end = True
            continue
        opens = raw[0] in _OPENERS
        raw = raw.lstrip(_OPENERS)
        trailing = len(raw) - len(raw.rstrip(_CLAUSE_END + _CLOSERS))
        tail = raw[len(raw) - trailing :] if trailing else ""
        core = raw[: len(raw) - trailing] if trailing else raw
        if tail.startswith(".") and keyword_key(core + ".") in _TITLE_KEYS:
            core, tail = core + ".", tail[1:]  # "M." is a title, not the end of a sentence
        if not core:
            continue
        words.append(
            _Word(
                core,
                keyword_key(core),
                opens=opens,
                closes=any(ch in _CLOSERS for ch in tail),
                clause_end=any(ch in _CLAUSE_END for ch in tail),
                comma=tail.strip(_CLOSERS) == "," and not any(ch in _CLOSERS for ch in tail),
            )
        )
    return words


class _Reader:
    """One message being read: each word gets at most one role."""

    def __init__(self, text: str, now: datetime, languages: tuple[str, ...]) -> None:
        text = clean(text)
        body, dashes, note = text.partition("--")
        self.note = (" ".join(note.split()) or None) if dashes else None
        self.words = _words(body)
        self.keys = [w.key for w in self.words]
        self.role: list[str | None] = [None] * len(self.words)
        self.now = now
        self.today = now.date()
        self.languages = languages
        self.issues: list[Issue] = []
        self.hints: list[int] = []  # word positions where the account may start, best first
        self._days: dict[str, date | None] = {}

    # ------------------------------------------------------------------ helpers

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.words) and self.role[i] is None

    def text(self, start: int, end: int) -> str:
        """The words as written, with the commas inside ("Mon, February 18")."""
        return " ".join(w.text + ("," if w.comma and i < end - 1 else "") for i, w in enumerate(self.words[start:end], start))

    def take(self, start: int, end: int, role: str) -> None:
        for i in range(start, end):
            self.role[i] = role

    def clause_span(self, start: int, size: int, *, commas: bool = False) -> bool:
        """Words start..start+size are free, unquoted, and no clause ends inside them (a comma
        does not end one for a date: ``commas``)."""
        end = start + size
        if end > len(self.words):
            return False
        for i in range(start, end):
            word = self.words[i]
            if not self.free(i) or word.quoted:
                return False
            ends = word.clause_end and not (commas and word.comma)
            if i < end - 1 and (ends or word.closes or self.words[i + 1].opens):
                return False
        return True

    def match(self, index: dict[str, str], start: int, longest: int = 5) -> tuple[str, int] | None:
        """The longest phrase of ``index`` at ``start`` (free words of one clause)."""
        for size in range(longest, 0, -1):
            if self.clause_span(start, size):
                key = " ".join(self.keys[start : start + size])
                if key in index:
                    return index[key], size
        return None

    def longest(self, start: int, most: int, read: Callable[[str], object], *, commas: bool = False) -> tuple[object, int] | None:
        """The longest span at ``start`` that ``read`` accepts (anything but None)."""
        for size in range(most, 0, -1):
            if self.clause_span(start, size, commas=commas):
                found = read(self.text(start, start + size))
                if found is not None:
                    return found, size
        return None

    def may_be_amount(self, i: int) -> bool:
        """Whether an amount may start at word ``i``: a digit or a currency sign in its first two
        words ("12k", "EUR 12 000", "€ 8k"), or a spelled number."""
        first_two = "".join(w.text for w in self.words[i : i + 2])
        return any(ch.isdigit() or ch in _CURRENCY_SIGNS for ch in first_two) or self.keys[i] in NUMBER_WORDS

    def day(self, phrase: str) -> date | None:
        if phrase not in self._days:
            self._days[phrase] = parse_day_any(phrase, today=self.today, languages=self.languages)
        return self._days[phrase]

    def when(self, phrase: str) -> datetime | None:
        return parse_when(phrase, now_local=self.now, languages=self.languages)

    # ------------------------------------------------------------------ the passes

    def read(self) -> FreeTextReading:
        plan = self.plan_asked()
        deal = self.deal()
        result = self.result()
        day, day_span, ahead = self.action_day()
        date_phrase = self.text(*day_span) if day_span else None
        action_type, type_span = self.action_type()
        self.account_leads()
        contact, function, contact_span = self.contact()
        function = function or self.function_word()
        if ahead is not None:
            phrase = self.text(*ahead)
            due = self.when(phrase)
            planned_type = None
            if due is not None and due > self.now and plan is None:
                # "visite Gamma mardi 10h" is a plan; "rdv pris pour mardi" books one
                planned_type = action_type if day is None else ("meeting" if result == "meeting_booked" else None)
            if planned_type is not None:
                assert due is not None
                plan = PlanReading(planned_type, due, when_has_time(phrase), phrase)
                self.take(*ahead, "plan")
                if day is None and type_span is not None:
                    self.take(*type_span, "plan")
                    action_type = None
            else:
                self.issues.append(Issue("future_date", phrase))
                self.take(*ahead, "issue")
        action = None
        if action_type is not None or (plan is None and deal is None and (result or contact or function or date_phrase)):
            action = ActionReading(action_type, day or self.today, date_phrase, result, contact, function, contact_span)
        else:
            # "Gamma proposition 12k fin janvier": no action written; its words are quoted back,
            # and a day it named never goes back among the words that may be an account
            if day_span is not None:
                self.issues.append(Issue("unused_date", self.text(*day_span)))
                self.take(*day_span, "issue")
            self.release("action")
        runs = self.runs()
        return FreeTextReading(
            words=tuple(w.text for w in self.words),
            action=action,
            deal=deal,
            plan=plan,
            note=self.note,
            runs=tuple(runs),
            account_hint=self.hint(runs),
            issues=tuple(self.issues),
        )

    def release(self, role: str) -> None:
        """Give the words of a part that is not kept back to the runs."""
        self.role = [None if r == role else r for r in self.role]

    def plan_asked(self) -> PlanReading | None:
        """"follow up in 3 months", "relancer Gamma dans 2 semaines": the plan word, then when."""
        for i in range(len(self.words)):
            found = self.match(_PLAN_INDEX, i) if self.free(i) else None
            if found is None:
                continue
            action_type, size = found
            after = i + size
            for start in range(after, min(after + _PLAN_GAP, len(self.words)) + 1):
                if start > after and (self.words[start - 1].clause_end or not self.free(start - 1)):
                    break
                reading = self.longest(start, _MAX_DATE_WORDS, self.when, commas=True)
                if reading is None:
                    continue
                due, words = reading
                phrase = self.text(start, start + words)
                assert isinstance(due, datetime)
                if due <= self.now:
                    break  # "relance Gamma hier" is a relance done yesterday: the action's words
                self.take(i, i + size, "plan")
                self.hints.append(after)
                self.take(start, start + words, "plan")
                return PlanReading(action_type, due, when_has_time(phrase), phrase)
        return None

    def deal(self) -> DealReading | None:
        """The first amount worth a deal, the word that leads to it, and the close date after it."""
        for i in range(len(self.words)):
            if not self.free(i) or not self.may_be_amount(i):
                continue
            readings = [(parse_amount(self.text(i, i + size)), size)
                        for size in range(_MAX_AMOUNT_WORDS, 0, -1) if self.clause_span(i, size)]
            money = next(((m, size) for m, size in readings
                          if isinstance(m, Money) and _worth_a_deal(m, self.text(i, i + size))), None)
            if money is None:
                wrong = next((size for m, size in readings if isinstance(m, AmountError) and m.code != "not_amount"), 0)
                if wrong:  # "-12k", "12000 XYZ": an amount Carnet will not store
                    self.issues.append(Issue("bad_amount", self.text(i, i + wrong)))
                    self.take(i, i + wrong, "issue")
                continue
            amount, size = money
            assert isinstance(amount, Money)
            phrase = self.text(i, i + size)
            # "une proposition à 12k", "budget de dix mille euros": the words leading to it are the deal's
            lead = next((n for n in range(min(4, i), 0, -1)
                         if self.clause_span(i - n, n + 1) and " ".join(self.keys[i - n : i]) in _AMOUNT_LEAD_KEYS), 0)
            self.take(i - lead, i + size, "deal")
            close_on, close_phrase = self.close_date(i + size)
            return DealReading(amount.amount, amount.currency, phrase, close_on, close_phrase)
        return None

    def close_date(self, after: int) -> tuple[date | None, str | None]:
        if after == 0 or self.words[after - 1].clause_end:
            return None, None
        start = after
        if self.clause_span(start, 1) and self.keys[start] in _DEAL_NOUN_KEYS:
            start += 1  # "5k deal closing next month"
        lead = self.match(_CLOSE_INDEX, start, 3)
        if lead is not None:
            start += lead[1]
        reading = self.longest(start, _MAX_DATE_WORDS, lambda p: parse_future_day(p, today=self.today, languages=self.languages),
                               commas=True)
        if reading is None:
            return None, None
        day, words = reading
        assert isinstance(day, date)
        phrase = self.text(start, start + words)
        if day < self.today:
            self.issues.append(Issue("close_in_past", phrase))
            self.take(after, start + words, "issue")
            return None, None
        self.take(after, start + words, "deal")
        return day, phrase

    def result(self) -> str | None:
        """The first result named; the same result said twice is read twice, another one is left."""
        chosen: str | None = None
        for i in range(len(self.words)):
            if not self.free(i):
                continue
            found = self.match(_RESULT_INDEX, i)
            if found is None:
                continue
            code, size = found
            if chosen is None or code == chosen:
                chosen = code
                self.take(i, i + size, "action")
        return chosen

    def action_type(self) -> tuple[str | None, tuple[int, int] | None]:
        """The first verb or action noun, and its words (the account often follows them)."""
        for i in range(len(self.words)):
            if not self.free(i):
                continue
            found = self.match(_ACTION_INDEX, i)
            if found is not None:
                code, size = found
                self.take(i, i + size, "action")
                self.hints.append(i + size)
                return code, (i, i + size)
        return None, None

    def account_leads(self) -> None:
        """"passé chez Gamma", "meeting at Alpha Industries": the account follows."""
        for i in range(len(self.words) - 1):
            if self.free(i) and self.free(i + 1) and self.keys[i] in _ACCOUNT_LEAD_KEYS and not self.words[i].clause_end:
                following = self.words[i + 1]
                if following.quoted or following.text[:1].isupper() or (self.keys[i] == "chez" and not _is_small(following.text)):
                    self.take(i, i + 1, "lead")
                    self.hints.insert(0, i + 1)

    def contact(self) -> tuple[str | None, str | None, Span | None]:
        """"avec Mme Z (ingénieur)", "with the buyer Jane Doe", "Mr Smith (CEO)"."""
        for i in range(len(self.words)):
            if not self.free(i) or self.words[i].clause_end:
                continue
            if vocabulary.is_with_word(self.words[i].text):
                start = i + 1
            elif self.keys[i] in _TITLE_KEYS and self.free(i + 1):
                start = i
            else:
                continue
            found = self.contact_at(start)
            if found is None:
                continue
            if start > i:
                self.take(i, start, "action")
            return found
        return None, None, None

    def contact_at(self, start: int) -> tuple[str | None, str | None, Span | None] | None:
        i, function = start, None
        while self.free(i) and self.keys[i] in _ARTICLES and not self.words[i].clause_end:
            i += 1
        if self.free(i) and not self.words[i].opens and (code := vocabulary.lookup_function(_unelided(self.keys[i]))):
            function, i = code, i + 1
        name_start = i
        while (
            self.free(i)
            and i - name_start < MAX_CONTACT_WORDS
            and not self.words[i].opens
            and not self.words[i].quoted
            and not (i > start and self.words[i - 1].clause_end)
            and self.keys[i] not in _ACCOUNT_LEAD_KEYS
            and not vocabulary.is_with_word(self.words[i].text)
            and (self.keys[i] in _TITLE_KEYS or not _is_small(self.words[i].text))
        ):
            i += 1
        name_end = i
        if self.free(i) and self.words[i].opens and not (i > start and self.words[i - 1].clause_end):
            close = next((j for j in range(i, min(i + 5, len(self.words))) if self.words[j].closes), None)
            if close is not None and all(self.free(j) for j in range(i, close + 1)):
                function = _function(" ".join(self.keys[i : close + 1]))
                i = close + 1
        name = self.text(name_start, name_end) if name_end > name_start else None
        if name is not None and all(k in _TITLE_KEYS for k in self.keys[name_start:name_end]):
            name = None  # "avec Mme" alone names nobody
        if name is None and function is None:
            return None
        self.take(start, i, "action")
        return name, function, (Span(name_start, name_end, name) if name else None)

    def function_word(self) -> str | None:
        """"vu l'acheteur", "met their CEO": a function word after an article, without a name."""
        for i in range(len(self.words)):
            if not self.free(i):
                continue
            key = _unelided(self.keys[i])
            previous_is_article = i > 0 and self.free(i - 1) and self.keys[i - 1] in _ARTICLES
            if (previous_is_article or key != self.keys[i]) and (code := vocabulary.lookup_function(key)):
                self.take(i - 1 if previous_is_article else i, i + 1, "action")
                return code
        return None

    def action_day(self) -> tuple[date | None, tuple[int, int] | None, tuple[int, int] | None]:
        """The first day written that is not ahead, and its words; the first one ahead (a plan, maybe)."""
        day: date | None = None
        span: tuple[int, int] | None = None
        ahead: tuple[int, int] | None = None
        for i in range(len(self.words)):
            if not self.free(i):
                continue
            found = self.longest(i, _MAX_DATE_WORDS, self.day, commas=True)
            if found is None:
                # A day that cannot be read has a number in it ("32/13", "31 février"): words alone read or not.
                size = next((s for s in range(_MAX_DATE_WORDS, 0, -1) if self.clause_span(i, s, commas=True)
                             and any(ch.isdigit() for ch in self.text(i, i + s)) and looks_like_date(self.text(i, i + s))), 0)
                if size:
                    self.issues.append(Issue("bad_date", self.text(i, i + size)))
                    self.take(i, i + size, "issue")
                continue
            found_day, size = found
            assert isinstance(found_day, date)
            if found_day <= self.today and day is None:
                day, span = found_day, (i, i + size)
                self.take(i, i + size, "action")
            elif found_day > self.today and ahead is None:
                ahead = (i, i + size)
                self.take(i, i + size, "ahead")
            else:
                self.issues.append(Issue("other_date", self.text(i, i + size)))
                self.take(i, i + size, "issue")
        return day, span, ahead

    # ------------------------------------------------------------------ what is left

    def runs(self) -> list[Span]:
        runs: list[Span] = []
        start: int | None = None
        for i, word in enumerate(self.words):
            if self.role[i] is not None:
                if start is not None:
                    runs.append(Span(start, i, self.text(start, i)))
                start = None
                continue
            if start is None:
                start = i
            if word.clause_end or word.closes or word.quoted or (i + 1 < len(self.words) and (self.words[i + 1].opens or self.words[i + 1].quoted)):
                runs.append(Span(start, i + 1, self.text(start, i + 1)))
                start = None
        if start is not None:
            runs.append(Span(start, len(self.words), self.text(start, len(self.words))))
        return runs

    def hint(self, runs: list[Span]) -> Span | None:
        """The likeliest account: a quoted name, the words after "chez"/"at" or after the verb,
        else the first run with a capital letter, else the first run of more than small words."""
        quoted = [r for r in runs if self.words[r.start].quoted]
        if quoted:
            return quoted[0]
        for position in self.hints:
            for run in runs:
                same_clause = not any(self.words[j].clause_end for j in range(max(position - 1, 0), run.start))
                if run.start >= position and same_clause and (trimmed := self.trim(run)) is not None:
                    return trimmed
        for prefer in (lambda r: any(w.text[:1].isupper() for w in self.words[r.start : r.end]), lambda r: True):
            for run in runs:
                trimmed = self.trim(run)
                if trimmed is not None and prefer(trimmed):
                    return trimmed
        return None

    def trim(self, run: Span) -> Span | None:
        """The run without its small words at either end, cut where small words lead to lower case."""
        start, end = run.start, run.end
        while start < end and _is_small(self.words[start].text):
            start += 1
        while end > start and _is_small(self.words[end - 1].text):
            end -= 1
        if start == end:
            return None
        for i in range(start + 1, end):
            if _is_small(self.words[i].text):
                following = next((j for j in range(i, end) if not _is_small(self.words[j].text)), end)
                if following == end or not self.words[following].text[:1].isupper():
                    end = i
                    break
        if end - start > _MAX_ACCOUNT_WORDS:
            end = start + _MAX_ACCOUNT_WORDS
        return Span(start, end, self.text(start, end))


def _function(words: str) -> str:
    """The function in parentheses: "(chef des achats)" is a buyer; an unknown one is ``other``."""
    key = keyword_key(words)
    found = vocabulary.lookup_function(key) or next(
        (code for w in key.split() if (code := vocabulary.lookup_function(_unelided(w)))), None
    )
    return found or "other"


def _worth_a_deal(money: Money, phrase: str) -> bool:
    """An amount with a currency or a multiplier, or of four digits that is not a year."""
    if money.currency is not None or _MULTIPLIER.search(fold(phrase)):
        return True
    digits = re.sub(r"\D", "", phrase)
    return money.amount >= 1000 and not _YEAR.fullmatch(digits)
