"""Canonical codes of the grammar and the French and English keywords that mean them.

Every table maps a canonical code (what is stored) to the keywords a member may type
(what is read). Keywords are written here as people type them, accents included;
matching is done on folded keys (see :func:`keyword_key`), so case, accents, hyphens
and surrounding punctuation never matter. The tables are the one place to add a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.grammar.normalize import fold

ACTION_TYPES: dict[str, tuple[str, ...]] = {
    "visit": ("visit", "visite"),
    "call": ("call", "appel", "phone", "tel", "téléphone"),
    "email": ("email", "mail", "e-mail", "courriel"),
    "meeting": ("meeting", "rdv", "rendez-vous", "réunion"),
    "video": ("video", "visio", "visioconférence"),
    "demo": ("demo", "démo", "démonstration"),
    "negotiation": ("negotiation", "négociation", "nego"),
    "follow_up": ("follow-up", "followup", "relance"),
    "social": ("social", "linkedin", "réseaux sociaux", "réseau social"),
}

RESULTS: dict[str, tuple[str, ...]] = {
    "proposal": ("proposal", "proposition", "devis", "quote"),
    "no_need": ("no need", "pas de besoin", "pas besoin"),
    "revise_proposal": ("revise proposal", "revoir la proposition", "revoir proposition"),
    "meeting_booked": ("meeting booked", "rdv pris"),
    "order": ("order", "commande"),
    "won": ("won", "gagné", "signé", "signed"),
    "lost": ("lost", "perdu"),
    "to_follow_up": ("to follow up", "à relancer"),
    "send_documentation": ("send documentation", "envoyer documentation", "envoi doc", "doc"),
}

CONTACT_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "buyer": ("buyer", "acheteur", "acheteuse", "purchasing", "achats"),
    "director": ("director", "directeur", "directrice", "dg", "ceo", "manager"),
    "engineer": ("engineer", "ingénieur", "ingénieure"),
    "technician": ("technician", "technicien", "technicienne"),
    "assistant": ("assistant", "assistante"),
    "owner": ("owner", "gérant", "gérante", "patron"),
    "other": ("other", "autre"),
}

# The words that introduce the contact in /log ("avec Mr. X", "with Jane").
WITH_WORDS: tuple[str, ...] = ("with", "avec")

# Punctuation people glue to a keyword ("proposition," "visite:") that must not hide it.
_EDGE_PUNCTUATION = ".,;:!?"


@lru_cache(maxsize=4096)
def keyword_key(text: str) -> str:
    """Return the matching key of ``text``: folded, hyphens as spaces, edge punctuation off.

    ``keyword_key("Rendez-Vous")`` is ``"rendez vous"``, so "follow-up", "follow up"
    and "FOLLOW-UP," all read the same.
    """
    words = fold(text).replace("-", " ").replace("_", " ").split()
    cleaned = [w.strip(_EDGE_PUNCTUATION) for w in words]
    return " ".join(w for w in cleaned if w)


class _Index(dict[str, str]):
    """Keyword key -> canonical code, knowing its longest keyword in words."""

    max_words = 1


def _index(table: Mapping[str, Sequence[str]]) -> _Index:
    """Map each keyword key to its canonical code (codes themselves are keywords too)."""
    index = _Index()
    for code, keywords in table.items():
        for word in (code.replace("_", " "), *keywords):
            key = keyword_key(word)
            # A keyword listed under two codes would make the grammar ambiguous.
            assert index.get(key, code) == code, f"keyword {word!r} is ambiguous"
            index[key] = code
    index.max_words = max(len(key.split()) for key in index)
    return index


_ACTION_INDEX = _index(ACTION_TYPES)
_RESULT_INDEX = _index(RESULTS)
_FUNCTION_INDEX = _index(CONTACT_FUNCTIONS)
_WITH_KEYS = frozenset(keyword_key(w) for w in WITH_WORDS)


def _suggestions(table: Mapping[str, Sequence[str]], codes: Sequence[str] | None = None) -> dict[str, str]:
    """Keyword key -> the keyword as a member types it (accents kept), for fuzzy suggestions."""
    suggestions: dict[str, str] = {}
    for code in codes if codes is not None else list(table):
        for word in table[code]:
            suggestions.setdefault(keyword_key(word), word)
    return suggestions


_ACTION_SUGGESTIONS = _suggestions(ACTION_TYPES)

SUGGESTION_CUTOFF = 70.0




def lookup_action_type(word: str) -> str | None:
    """Canonical action type for a keyword (``"Négociation"`` → ``"negotiation"``), else None."""
    return _ACTION_INDEX.get(keyword_key(word))


def lookup_result(phrase: str) -> str | None:
    """Canonical result for a whole phrase (``"pas de besoin"`` → ``"no_need"``), else None."""
    return _RESULT_INDEX.get(keyword_key(phrase))


def lookup_function(word: str) -> str | None:
    """Canonical contact function for a keyword (``"Acheteuse"`` → ``"buyer"``), else None."""
    return _FUNCTION_INDEX.get(keyword_key(word))


def is_with_word(word: str) -> bool:
    """True for the words that introduce a contact: "with", "avec" (any case)."""
    return keyword_key(word) in _WITH_KEYS


def _match_at(index: _Index, words: Sequence[str], start: int) -> tuple[str, int] | None:
    # Longest first: "revoir la proposition" must win over "proposition".
    for size in range(min(index.max_words, len(words) - start), 0, -1):
        chosen = words[start : start + size]
        # Each word must count: "visite ???" is the type "visite" and an account "???".
        if not all(keyword_key(word) for word in chosen):
            continue
        code = index.get(keyword_key(" ".join(chosen)))
        if code is not None:
            return code, size
    return None


def match_action_type(words: Sequence[str], start: int = 0) -> tuple[str, int] | None:
    """Longest action keyword starting at ``words[start]``: ``(code, words used)`` or None."""
    return _match_at(_ACTION_INDEX, words, start)


def match_result(words: Sequence[str], start: int = 0) -> tuple[str, int] | None:
    """Longest result keyword starting at ``words[start]``: ``(code, words used)`` or None."""
    return _match_at(_RESULT_INDEX, words, start)


def result_max_words() -> int:
    """How many words the longest result keyword has (bounds suffix searches)."""
    return _RESULT_INDEX.max_words


def nearest_action_type(word: str) -> str | None:
    """The action keyword the member most likely meant (``"visitte"`` → ``"visite"``), or None.

    Returns the keyword as written in :data:`ACTION_TYPES`, not the code, so a reply
    can echo it in the member's words.
    """
    key = keyword_key(word)
    if not key:
        return None
    best = process.extractOne(
        key, list(_ACTION_SUGGESTIONS), scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF
    )
    if best is None:
        return None
    return _ACTION_SUGGESTIONS[best[0]]


# --- /opp: stages of a deal and the keywords of the opportunity grammar -----------------

# Open stages, in pipeline order; "won" and "lost" close a deal and are /opp kinds.
STAGES: dict[str, tuple[str, ...]] = {
    "lead": ("lead", "piste", "prospect"),
    "qualification": ("qualification", "qualif", "découverte", "discovery"),
    "proposal": ("proposal", "proposition", "offre", "devis", "quote"),
    "negotiation": ("negotiation", "négociation", "nego", "négo"),
    "closing": ("closing", "conclusion", "signature", "finalisation", "finalization"),
}
OPEN_STAGES: tuple[str, ...] = tuple(STAGES)

# Each code is a role a word plays in an /opp line.
OPP_KEYWORDS: dict[str, tuple[str, ...]] = {
    "new": ("new", "nouveau", "nouvelle", "créer", "creer", "create", "add", "ajouter"),
    "won": ("won", "win", "gagné", "gagnée", "signé", "signée", "signed"),
    "lost": ("lost", "perdu", "perdue"),
    "close": (
        "close",
        "close date",
        "closing date",
        "expected close",
        "clôture",
        "date de clôture",
        "pour le",
        "pour",
        "fin",
        "échéance",
        "due",
        "due date",
    ),
    "next": ("next", "next step", "suivi", "prochaine étape", "étape suivante"),
    "probability": ("proba", "probabilité", "probability", "prob", "chance", "chances"),
    "list": ("list", "liste", "ls"),
}
# Nouns people put after the "new" keyword: "nouvelle affaire Gamma …", "new deal Gamma …".
OPP_NEW_NOUNS: tuple[str, ...] = ("affaire", "deal", "opp", "oppo", "opportunité", "opportunity")

_STAGE_INDEX = _index(STAGES)
_OPP_INDEX = _index(OPP_KEYWORDS)
_OPP_NOUN_KEYS = frozenset(keyword_key(w) for w in OPP_NEW_NOUNS)
_STAGE_SUGGESTIONS = _suggestions(STAGES)
_OPP_SUGGESTIONS = _suggestions(OPP_KEYWORDS, ("new", "won", "lost"))


def lookup_stage(word: str) -> str | None:
    """Canonical open stage for a keyword (``"Négo"`` → ``"negotiation"``), else None."""
    return _STAGE_INDEX.get(keyword_key(word))


def match_stage(words: Sequence[str], start: int = 0) -> tuple[str, int] | None:
    """Longest stage keyword starting at ``words[start]``: ``(code, words used)`` or None."""
    return _match_at(_STAGE_INDEX, words, start)


def match_opp_keyword(words: Sequence[str], start: int = 0) -> tuple[str, int] | None:
    """Longest /opp keyword at ``words[start]``: ``(role, words used)`` or None.

    Roles are the keys of :data:`OPP_KEYWORDS`: new, won, lost, close, next,
    probability, list.
    """
    return _match_at(_OPP_INDEX, words, start)


def is_opp_new_noun(word: str) -> bool:
    """True for "affaire", "deal", "opp"… the optional noun after a "new" keyword."""
    return keyword_key(word) in _OPP_NOUN_KEYS


def _nearest(word: str, suggestions: Mapping[str, str], cutoff: float) -> str | None:
    key = keyword_key(word)
    if not key:
        return None
    best = process.extractOne(key, list(suggestions), scorer=fuzz.ratio, score_cutoff=cutoff)
    return suggestions[best[0]] if best is not None else None


def nearest_stage(word: str, cutoff: float = SUGGESTION_CUTOFF) -> str | None:
    """The stage keyword the member most likely meant (``"negociaton"`` → ``"négociation"``).

    Returns the keyword as written in :data:`STAGES` (accents kept), or None.
    """
    return _nearest(word, _STAGE_SUGGESTIONS, cutoff)


def nearest_opp_keyword(word: str, cutoff: float = SUGGESTION_CUTOFF) -> str | None:
    """The new/won/lost keyword the member most likely meant (``"perdue"`` ← ``"perdeu"``)."""
    return _nearest(word, _OPP_SUGGESTIONS, cutoff)
