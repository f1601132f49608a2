"""The two-pass fuzzy match (``nearest``) against ``WRatio`` over every name, on thousands of names.

Issue 11: ``WRatio`` over every account name made ``/log`` slower as the workspace grew; the
first pass now keeps a few hundred names by the cheap ``ratio`` (names as written, and with their
words sorted) and ``WRatio`` ranks those. Names and misspellings are seeded random (the same on
every run). The reference is the full pass with the same tie-break (``WRatio``, then ``ratio``,
then position), so any difference comes from a name the first pass dropped.
"""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz, process

from bot.grammar.normalize import fold
from bot.services.accounts import (
    CANDIDATES,
    MAX_SUGGESTIONS,
    SUGGESTION_CUTOFF,
    AccountNameIndex,
    NameList,
    create_account,
    find_account,
    nearest,
)
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member

_WORDS = [
    "alpha", "atlas", "boréal", "cobalt", "delta", "dune", "élan", "fjord", "granit", "hélios", "iris", "jade",
    "kappa", "lumen", "mistral", "nova", "orion", "pégase", "quartz", "rivage", "sirius", "titan", "ulysse", "vega",
    "wagram", "xénon", "zéphyr", "garnier", "fontaine", "moreau", "lefèvre", "chevalier", "girard", "blanc", "roux",
    "faure", "durand", "martin", "bernard", "thomas", "petit", "richard", "dubois", "laurent", "simon", "michel",
]
_TRADES = [
    "industries", "logistique", "santé", "énergie", "distribution", "bâtiment", "conseil", "agro", "médical",
    "transports", "services", "automation", "pharma", "textile", "menuiserie", "boulangerie", "garage", "imprimerie",
    "nettoyage", "sécurité", "informatique", "paysages", "froid", "électricité", "plomberie", "chauffage",
]
_FORMS = ["", "", "", " sa", " sas", " sarl", " et fils", " frères"]


def generated_names(count: int, seed: int) -> list[str]:
    """``count`` distinct company names shaped like real ones (seeded)."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        shape = rng.random()
        if shape < 0.4:
            name = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)}"
        elif shape < 0.7:
            name = f"{rng.choice(_TRADES)} {rng.choice(_WORDS)}{rng.choice(_FORMS)}"
        elif shape < 0.9:
            name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_TRADES)}"
        else:
            name = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)} {rng.randint(2, 99)}"
        names[name.title()] = None
    return list(names)


def _typo(rng: random.Random, text: str) -> str:
    """One letter dropped, doubled, swapped with the next, or replaced."""
    i = rng.randrange(len(text))
    move = rng.choice(["drop", "double", "swap", "replace"])
    if move == "drop":
        return text[:i] + text[i + 1:]
    if move == "double":
        return text[:i] + text[i] + text[i:]
    if move == "swap":
        return text[:i] + text[i + 1:i + 2] + text[i] + text[i + 2:]
    return text[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + text[i + 1:]


def queries(names: list[str], count: int, seed: int, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, folded text) pairs: what a rep types for one of ``names``."""
    rng = random.Random(seed)
    known = {fold(n) for n in names}  # a typo that spells another name is an exact match, not a query
    out = []
    for _ in range(count):
        key = fold(rng.choice(names))
        words = key.split()
        kind = rng.choice(kinds)
        if kind == "typo":
            typed = _typo(rng, key)
        elif kind == "two typos":
            typed = _typo(rng, _typo(rng, key))
        elif kind == "prefix":
            typed = key[: max(4, len(key) * 2 // 3)]
        elif kind == "first word":
            typed = words[0]
        elif kind == "word missing":
            typed = " ".join(words[:-1])
        else:  # "words swapped"
            typed = " ".join(words[1:] + words[:1])
        if typed.strip() and typed not in known:
            out.append((kind, typed))
    return out


def full_pass(key: str, keys: list[str]) -> list[int]:
    """``WRatio`` over every name, ranked as ``nearest`` ranks (the reference)."""
    found = process.extract(key, keys, scorer=fuzz.WRatio, limit=None, score_cutoff=SUGGESTION_CUTOFF)  # best first
    if len(found) > MAX_SUGGESTIONS:  # only names scoring at least the third best can be among the first three
        found = [f for f in found if f[1] >= found[MAX_SUGGESTIONS - 1][1]]
    ranked = sorted((-score, -fuzz.ratio(key, keys[i]), i) for _name, score, i in found)
    return [i for *_s, i in ranked[:MAX_SUGGESTIONS]]


EVERY_TIME = ("typo", "prefix", "first word", "word missing", "words swapped")


@pytest.mark.parametrize("count", [2_000, 8_000])
def test_the_first_suggestion_is_the_full_passs_on_every_query(count):
    names = generated_names(count, seed=count)
    assert len(names) > 4 * CANDIDATES  # the first pass really cuts
    index = NameList(list(range(len(names))), [fold(n) for n in names])
    asked = queries(names, 250, seed=7, kinds=EVERY_TIME)
    assert {kind for kind, _ in asked} == set(EVERY_TIME)
    differ = [(kind, typed) for kind, typed in asked if nearest(typed, index)[:1] != full_pass(typed, index.keys)[:1]]
    assert differ == []


def test_two_typos_in_one_name_the_first_suggestion_is_the_full_passs_nearly_always():
    names = generated_names(8_000, seed=3)
    index = NameList(list(range(len(names))), [fold(n) for n in names])
    asked = queries(names, 250, seed=9, kinds=("two typos",))
    same = sum(nearest(typed, index)[:1] == full_pass(typed, index.keys)[:1] for _kind, typed in asked)
    # Measured: 400/400 here, 498/500 on the demo's names; a miss is a name WRatio's partial match
    # puts a point above the one meant (e.g. "roion agor 36" → "epsilon industries 36", not "orion agro 36").
    assert same >= 0.98 * len(asked)


def test_a_small_workspace_is_scored_whole():
    keys = [fold(n) for n in generated_names(2 * CANDIDATES, seed=1)]
    index = NameList(list(range(len(keys))), keys)
    for _kind, typed in queries(list(keys), 100, seed=2, kinds=EVERY_TIME + ("two typos",)):
        assert nearest(typed, index) == full_pass(typed, keys), typed


def test_find_account_suggests_from_thousands_of_accounts(session_factory):
    """Through the database and the per-process name cache, on both backends."""
    names = generated_names(1_500, seed=5)
    ws_id, _ = add_member(session_factory, "TMANY", "U1")
    with session_factory() as session, session.begin():
        ids = {create_account(session, ws_id, name, owner_id=None, now=TEST_NOW).name: None for name in names}
        session.flush()
    assert len(ids) == len(names)
    index = AccountNameIndex()
    with session_factory() as session:
        keys = index.names(session, ws_id).keys  # in the order the database gave them: ties go by position
        assert sorted(keys) == sorted(fold(n) for n in names)
        for kind, typed in queries(names, 60, seed=4, kinds=EVERY_TIME):
            match = find_account(session, ws_id, typed, index=index)
            assert match.exact is None, typed
            assert [fold(a.name) for a in match.suggestions][:1] == [keys[i] for i in full_pass(typed, keys)][:1], (kind, typed)
            assert all(a.workspace_id == ws_id for a in match.suggestions)
