"""find_account / get_account: exact folded matches, fuzzy suggestions, never across workspaces."""

from __future__ import annotations

import pytest

from bot.services.accounts import (
    MAX_SUGGESTIONS,
    create_account,
    find_account,
    get_account,
)
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member

W1_NAMES = ["Gamma", "Alpha Industries", "Société Générale", "Beta Conseil"]
W2_NAMES = ["Gamba", "Delta Énergie", "Gamma"]


@pytest.fixture
def accounts(session_factory) -> dict[str, dict[str, int]]:
    """Two workspaces with their accounts; returns {team: {name: id}}."""
    out: dict[str, dict[str, int]] = {}
    for team, names in (("T1", W1_NAMES), ("T2", W2_NAMES)):
        ws_id, _ = add_member(session_factory, team, "U1")
        with session_factory() as session, session.begin():
            out[team] = {"_ws": ws_id}
            for name in names:
                account = create_account(session, ws_id, name, owner_id=None, now=TEST_NOW)
                session.flush()
                out[team][name] = account.id
    return out


EXACT = {
    "Gamma": "Gamma",
    "GAMMA": "Gamma",
    "  gamma ": "Gamma",
    "societe generale": "Société Générale",
    "SOCIÉTÉ   GÉNÉRALE": "Société Générale",
    "alpha industries": "Alpha Industries",
}


def test_exact_match_ignores_case_accents_and_spaces(session_factory, accounts):
    with session_factory() as session:
        for typed, expected in EXACT.items():
            match = find_account(session, accounts["T1"]["_ws"], typed)
            assert match.exact is not None, typed
            assert match.exact.id == accounts["T1"][expected], typed
            assert match.suggestions == []


def test_a_typo_gets_the_close_name_as_first_suggestion(session_factory, accounts):
    with session_factory() as session:
        match = find_account(session, accounts["T1"]["_ws"], "Gama")
        assert match.exact is None
        assert match.suggestions, "Gama should suggest Gamma"
        assert match.suggestions[0].id == accounts["T1"]["Gamma"]
        assert len(match.suggestions) <= MAX_SUGGESTIONS


def test_a_prefix_suggests_the_full_name(session_factory, accounts):
    with session_factory() as session:
        match = find_account(session, accounts["T1"]["_ws"], "Alpha")
        assert match.exact is None
        assert [a.name for a in match.suggestions][:1] == ["Alpha Industries"]


def test_nonsense_gets_no_suggestion(session_factory, accounts):
    with session_factory() as session:
        for typed in ("zzqxw", "xkcdqp", "Qwerty Ltd"):
            match = find_account(session, accounts["T1"]["_ws"], typed)
            assert match.exact is None, typed
            assert match.suggestions == [], typed


def test_an_empty_workspace_gets_nothing(session_factory, accounts):
    ws_id, _ = add_member(session_factory, "T3", "U1")
    with session_factory() as session:
        match = find_account(session, ws_id, "Gamma")
        assert match.exact is None and match.suggestions == []


def test_another_workspaces_accounts_are_never_matched_nor_suggested(session_factory, accounts):
    w1, w2 = accounts["T1"], accounts["T2"]
    w2_ids = {v for k, v in w2.items() if k != "_ws"}
    with session_factory() as session:
        # "Gamba" exists only in T2: in T1 it is a typo of Gamma, never T2's Gamba.
        gamba = find_account(session, w1["_ws"], "Gamba")
        assert gamba.exact is None
        assert [a.id for a in gamba.suggestions] == [w1["Gamma"]]
        # "Delta Énergie" exists only in T2.
        delta = find_account(session, w1["_ws"], "Delta Energie")
        assert delta.exact is None
        assert not {a.id for a in delta.suggestions} & w2_ids
        # Both have a Gamma: each workspace gets its own.
        assert find_account(session, w1["_ws"], "gamma").exact.id == w1["Gamma"]
        assert find_account(session, w2["_ws"], "gamma").exact.id == w2["Gamma"]
        for typed in ("Gama", "Alpha", "Gamm", "Societe", "Beta"):
            match = find_account(session, w1["_ws"], typed)
            assert all(a.workspace_id == w1["_ws"] for a in match.suggestions), typed


def test_get_account_refuses_another_workspaces_id(session_factory, accounts):
    w1, w2 = accounts["T1"], accounts["T2"]
    with session_factory() as session:
        assert get_account(session, w1["_ws"], w1["Gamma"]).name == "Gamma"
        assert get_account(session, w1["_ws"], w2["Gamba"]) is None
        assert get_account(session, w1["_ws"], 10**9) is None
