"""/pipeline through signed HTTP requests: my weighted pipeline by stage, what closes this period,
stalled deals, and who may see whose figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import TEST_NOW
from tests.handlers.conftest import add_account
from tests.handlers.test_opp_http import register_people, say, set_member

LONG_AGO = TEST_NOW - timedelta(days=30)  # Saturday 24 October 2026


@pytest.fixture
def people(fake_slack, slack) -> None:
    register_people(fake_slack, slack)


def lines_with(shown: str, word: str) -> list[str]:
    return [line for line in shown.splitlines() if word in line]


@pytest.fixture
def alice_pipeline(runtime, slack, people, clock) -> None:
    """Alice's carnet: two deals made a month ago (one touched since by a visit), one made today;
    bob has a deal of his own."""
    for name in ("Gamma", "Delta", "Epsilon", "Omega"):
        add_account(runtime, name)
    clock.set(LONG_AGO)
    say(slack, 'new Epsilon "Vieux dossier" 8k 40%')
    say(slack, 'new Delta "Audit" 25k negotiation 50% close 30/11')
    say(slack, "visite Epsilon", command="/log")  # a month ago too: Epsilon stays stalled
    clock.set(TEST_NOW)
    say(slack, "visite Delta", command="/log")  # today: Delta is alive even though the deal is old
    say(slack, 'new Gamma "Contrat maintenance" 12k€ 30% close 15/12')
    say(slack, 'new Omega "Chez Bob" 99k close 30/11', user="U2")


def test_my_pipeline_by_stage_with_weighted_amounts_closing_and_stalled(runtime, slack, alice_pipeline):
    _body, shown = say(slack, "", command="/pipeline")

    assert "Pipeline — alice* (1 nov. 2026 → 30 nov. 2026)" in shown
    [proposal] = lines_with(shown, "*proposition*")
    assert proposal == "• *proposition* : 2 affaire(s) · 20 000 € · pondéré 6 800 €"  # 12k×30 % + 8k×40 %
    [negotiation] = lines_with(shown, "*négociation*")
    assert negotiation == "• *négociation* : 1 affaire(s) · 25 000 € · pondéré 12 500 €"
    [closing] = lines_with(shown, "À conclure cette période")
    assert closing == "À conclure cette période : 1 affaire(s), 25 000 € (pondéré 12 500 €)"  # Gamma closes in December
    assert "1 affaire(s) sans action ni changement d'étape" in shown
    [stalled] = lines_with(shown, "Vieux dossier")
    assert stalled == "• *Epsilon* — Vieux dossier (proposition, 8 000 €) — 30 jours"
    assert "Audit (" not in shown  # Delta had a visit today
    assert "Omega" not in shown and "99 000" not in shown  # bob's


def test_the_stalled_threshold_is_a_workspace_setting(runtime, slack, alice_pipeline):
    _body, shown = say(slack, "settings stalled 40", user="UBOSS", command="/carnet")
    assert "Réglage enregistré" in shown

    _body, shown = say(slack, "", command="/pipeline")

    assert "Vieux dossier" not in shown and "sans action" not in shown
    assert lines_with(shown, "*proposition*") == ["• *proposition* : 2 affaire(s) · 20 000 € · pondéré 6 800 €"]


def test_an_update_revives_a_stalled_deal(runtime, slack, alice_pipeline):
    say(slack, "Epsilon 45%")
    _body, shown = say(slack, "", command="/pipeline")
    assert "Vieux dossier" not in shown and "sans action" not in shown


@pytest.fixture
def two_teams(runtime, slack, people) -> None:
    """mia manages bob, max manages carol; alice is a rep; each rep has one deal."""
    for name in ("Gamma", "Omega", "Zeta"):
        add_account(runtime, name)
    say(slack, 'new Gamma "Chez Alice" 12k 30%', user="U1")
    say(slack, 'new Omega "Chez Bob" 99k 50% close 30/11', user="U2")
    say(slack, 'new Zeta "Chez Carol" 44k', user="U3")
    say(slack, "", user="UM1")
    say(slack, "", user="UM2")
    set_member(runtime, "UM1", role="manager")
    set_member(runtime, "UM2", role="manager")
    set_member(runtime, "U2", manager="UM1")
    set_member(runtime, "U3", manager="UM2")


def test_a_rep_asking_for_someone_elses_pipeline_is_refused_politely(runtime, slack, two_teams):
    _body, shown = say(slack, "<@U2|bob>", user="U1", command="/pipeline")

    assert "Seuls bob, son manager ou un admin peuvent voir le pipeline de bob." in shown
    assert "Omega" not in shown and "Chez Bob" not in shown
    assert not re.search(r"\d[\d ]* €", shown)  # not one figure


def test_a_rep_asking_for_the_team_pipeline_is_refused(runtime, slack, two_teams):
    for words in ("team", "équipe"):
        _body, shown = say(slack, words, user="U1", command="/pipeline")
        assert "Le pipeline d'équipe est réservé aux managers" in shown
        assert not re.search(r"\d[\d ]* €", shown)


def test_a_manager_sees_their_rep_and_their_team_but_not_another_managers_rep(runtime, slack, two_teams):
    _body, shown = say(slack, "<@U2|bob>", user="UM1", command="/pipeline")
    assert "Pipeline — bob*" in shown
    assert lines_with(shown, "*proposition*") == ["• *proposition* : 1 affaire(s) · 99 000 € · pondéré 49 500 €"]
    assert "À conclure cette période : 1 affaire(s), 99 000 € (pondéré 49 500 €)" in shown

    _body, shown = say(slack, "<@U3|carol>", user="UM1", command="/pipeline")
    assert "Seuls carol, son manager ou un admin peuvent voir le pipeline de carol." in shown
    assert "44 000" not in shown and "Zeta" not in shown

    _body, shown = say(slack, "team", user="UM1", command="/pipeline")
    assert "Pipeline de l'équipe — 1 personnes" in shown
    assert "• *bob* : 1 en cours, pondéré 49 500 €, à conclure 49 500 €, gagné 0 €" in shown
    assert "carol" not in shown and "44 000" not in shown
    assert "alice" not in shown and "12 000" not in shown

    # carol's own manager does see her.
    _body, shown = say(slack, "<@U3|carol>", user="UM2", command="/pipeline")
    assert "Pipeline — carol*" in shown and "44 000 €" in shown
