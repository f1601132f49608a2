"""/pipeline through signed HTTP requests: my weighted pipeline by stage, what closes this period,
stalled deals, and who may see whose figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.messages import counted, translate
from tests.support.fixtures import TEST_NOW
from tests.handlers.conftest import add_account, say, set_member
from tests.support.messages import says, word

LONG_AGO = TEST_NOW - timedelta(days=30)  # Saturday 24 October 2026


PROPOSAL = f"*{word('stage.proposal')}*"  # the proposal stage's line is found by its bold name


def lines_with(shown: str, part: str) -> list[str]:
    return [line for line in shown.splitlines() if part in line]


def stage_line(stage: str, deals: int, amount: str, weighted: str) -> str:
    """A stage's line of a pipeline, as the catalogue writes it (amounts with plain spaces)."""
    return translate("fr", "pipeline.stage_line", stage=word(stage), deals=counted("fr", deals, "deals"), amount=amount, weighted=weighted)


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

    assert says(shown, "pipeline.title", name="alice", start="1 nov. 2026", end="30 nov. 2026")
    [proposal] = lines_with(shown, PROPOSAL)
    assert proposal == stage_line("stage.proposal", 2, "20 000 €", "6 800 €")  # 12k×30 % + 8k×40 %
    [negotiation] = lines_with(shown, f"*{word('stage.negotiation')}*")
    assert negotiation == stage_line("stage.negotiation", 1, "25 000 €", "12 500 €")
    [closing] = [line for line in shown.splitlines() if says(line, "pipeline.closing")]
    assert closing == translate("fr", "pipeline.closing", totals=translate(
        "fr", "pipeline.deals_amount", deals="1 affaire", amount="25 000 €", weighted="12 500 €"))  # Gamma closes in December
    assert says(shown, "pipeline.stalled", count=1)
    [stalled] = lines_with(shown, "Vieux dossier")
    assert stalled == translate("fr", "pipeline.stalled_deal", account="Epsilon", title="Vieux dossier",
                                stage=word("stage.proposal"), amount="8 000 €", days=30)
    assert "Audit (" not in shown  # Delta had a visit today
    assert "Omega" not in shown and "99 000" not in shown  # bob's


def test_the_stalled_threshold_is_a_workspace_setting(runtime, slack, alice_pipeline):
    _body, shown = say(slack, "settings stalled 40", user="UBOSS", command="/carnet")
    assert says(shown, "settings.saved")

    _body, shown = say(slack, "", command="/pipeline")

    assert "Vieux dossier" not in shown and not says(shown, "pipeline.stalled") and not says(shown, "settings.stalled")
    assert lines_with(shown, PROPOSAL) == [stage_line("stage.proposal", 2, "20 000 €", "6 800 €")]


def test_an_update_revives_a_stalled_deal(runtime, slack, alice_pipeline):
    say(slack, "Epsilon 45%")
    _body, shown = say(slack, "", command="/pipeline")
    assert "Vieux dossier" not in shown and not says(shown, "pipeline.stalled") and not says(shown, "settings.stalled")


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

    assert says(shown, "pipeline.refused", name="bob")
    assert "Omega" not in shown and "Chez Bob" not in shown
    assert not re.search(r"\d[\d ]* €", shown)  # not one figure


def test_a_rep_asking_for_the_team_pipeline_is_refused(runtime, slack, two_teams):
    for words in ("team", "équipe"):
        _body, shown = say(slack, words, user="U1", command="/pipeline")
        assert says(shown, "pipeline.team_refused")
        assert not re.search(r"\d[\d ]* €", shown)


def test_a_manager_sees_their_rep_and_their_team_but_not_another_managers_rep(runtime, slack, two_teams):
    _body, shown = say(slack, "<@U2|bob>", user="UM1", command="/pipeline")
    assert says(shown, "pipeline.title", name="bob")
    assert lines_with(shown, PROPOSAL) == [stage_line("stage.proposal", 1, "99 000 €", "49 500 €")]
    assert says(shown, "pipeline.closing", totals=translate(
        "fr", "pipeline.deals_amount", deals="1 affaire", amount="99 000 €", weighted="49 500 €"))

    _body, shown = say(slack, "<@U3|carol>", user="UM1", command="/pipeline")
    assert says(shown, "pipeline.refused", name="carol")
    assert "44 000" not in shown and "Zeta" not in shown

    _body, shown = say(slack, "team", user="UM1", command="/pipeline")
    assert says(shown, "pipeline.team_title", count=1)
    assert says(shown, "pipeline.rep_line", name="bob", deals=1, weighted="49 500 €", closing="49 500 €", won="0 €")
    assert "carol" not in shown and "44 000" not in shown
    assert "alice" not in shown and "12 000" not in shown

    # carol's own manager does see her.
    _body, shown = say(slack, "<@U3|carol>", user="UM2", command="/pipeline")
    assert says(shown, "pipeline.title", name="carol") and "44 000 €" in shown


def test_a_manager_of_managers_opens_any_rep_below_them_and_nobody_else_does(runtime, slack, two_teams):
    """N+1: max (carol's manager) reports to mia. mia opens carol, two levels down; max still may
    not open bob (his peer's rep); a rep opens nobody; the team pipeline counts everyone below."""
    set_member(runtime, "UM2", manager="UM1")

    _body, shown = say(slack, "<@U3|carol>", user="UM1", command="/pipeline")
    assert says(shown, "pipeline.title", name="carol") and "44 000 €" in shown

    _body, shown = say(slack, "<@U2|bob>", user="UM2", command="/pipeline")
    assert says(shown, "pipeline.refused", name="bob") and "99 000" not in shown

    _body, shown = say(slack, "<@U3|carol>", user="U2", command="/pipeline")
    assert says(shown, "pipeline.refused", name="carol") and "44 000" not in shown

    _body, shown = say(slack, "team", user="UM1", command="/pipeline")
    assert says(shown, "pipeline.rep_line", name="carol", deals=1, weighted="17 600 €", closing="0 €", won="0 €")
    assert "bob" in shown and "12 000" not in shown  # alice reports to nobody here


def test_a_cycle_in_the_manager_links_does_not_loop_and_opens_nothing_more(runtime, slack, two_teams):
    set_member(runtime, "U2", manager="U3")  # bob → carol → max, and max ↔ carol: a cycle
    set_member(runtime, "U3", manager="UM2")
    set_member(runtime, "UM2", manager="U3")
    _body, shown = say(slack, "<@U2|bob>", user="UM1", command="/pipeline")  # mia is above nobody now
    assert says(shown, "pipeline.refused", name="bob") and "99 000" not in shown
    _body, shown = say(slack, "<@U2|bob>", user="UM2", command="/pipeline")
    assert says(shown, "pipeline.title", name="bob")
