"""``/compte`` and ``/account`` through signed HTTP requests (issue 15 A): the card, who may change an
account (its owner, a manager of the owner's line, an admin; anyone else is refused and nothing is
stored), the form, and merging two accounts behind a confirmation button. Block Kit validated with
slack_sdk's models."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from storage.models import Account, Action, Member
from tests.handlers.conftest import PEOPLE, button, buttons, rows, say, set_member, snapshot
from tests.support.messages import says, word
from tests.support.slack_requests import select_value, text_value

STORED = ("account", "action", "opportunity", "plan", "contact")


def valid_message(body: dict) -> None:
    """The message is Block Kit slack_sdk accepts."""
    assert body["blocks"]
    for block in body["blocks"]:
        Block.parse(block).validate_json()


@pytest.fixture
def team(runtime, slack, people) -> dict[str, int]:
    """mia manages alice (U1) and bob (U2); max manages carol (U3). Gamma is alice's, with one visit."""
    for user in PEOPLE:  # everyone has used Carnet once (UBOSS first: the admin)
        assert slack.command("/carnet", "help", user_id=user).status_code == 200
    set_member(runtime, "UM1", role="manager")
    set_member(runtime, "UM2", role="manager")
    for rep, manager in (("U1", "UM1"), ("U2", "UM1"), ("U3", "UM2")):
        set_member(runtime, rep, manager=manager)
    with runtime.session_factory() as s, s.begin():
        ws = get_or_create_workspace(s, "T1", now=runtime.clock.now())
        alice = s.scalar(select(Member).where(Member.slack_user_id == "U1"))
        gamma = create_account(s, ws.id, "Gamma", owner_id=alice.id, now=runtime.clock.now())
        gamma.segment = "silver"
        gama = create_account(s, ws.id, "Gama", owner_id=None, now=runtime.clock.now())
        s.flush()
        for account in (gamma, gama):
            s.add(Action(workspace_id=ws.id, member_id=alice.id, account_id=account.id, action_type="visit",
                         channel="in_person", occurred_on=date(2026, 11, 20), logged_at=runtime.clock.now(), source="slack"))
        return {"gamma": gamma.id, "gama": gama.id}


def account(runtime, account_id: int) -> dict:
    [found] = [a for a in rows(runtime, "account") if a["id"] == account_id]
    return found


def test_the_card_shows_status_segment_owner_capital_visits_and_actions(runtime, slack, team):
    body, shown = say(slack, "Gamma", user="U3", command="/compte")

    valid_message(body)
    assert "Gamma" in shown and "alice" in shown
    assert word("account.status.prospect") in shown and word("account.segment.silver") in shown
    # a prospect has no capital of its own: its visits count toward alice's prospection budget
    assert says(shown, "account.capital.prospect", visits="1 visite")
    assert "20 nov. 2026" in shown  # the last visit and the last action
    assert says(shown, "account.card.no_deals")
    assert not [b for b in buttons(body) if b["value"].startswith("account.edit:")]  # carol may not change it


def test_the_english_command_and_an_unknown_name_with_suggestions(runtime, slack, team):
    before = snapshot(runtime, STORED)
    body, shown = say(slack, "Gammma", user="U1", command="/account")
    valid_message(body)
    assert says(shown, "account.unknown_suggest", name="Gammma")
    assert {b["text"]["text"] for b in buttons(body)} >= {"Gamma"}
    assert snapshot(runtime, STORED) == before


ALLOWED = ["U1", "UM1", "UBOSS"]  # the owner, her manager, the admin
REFUSED = ["U2", "U3", "UM2"]  # another rep of the same manager, a rep elsewhere, another manager


@pytest.mark.parametrize("user", ALLOWED)
def test_the_owner_her_manager_and_an_admin_change_the_account_in_words(runtime, slack, team, user):
    body, shown = say(slack, "Gamma statut client segment gold ville Saint-Étienne cp 42000 capital 10 responsable <@U2|bob>",
                      user=user, command="/compte")
    valid_message(body)
    assert says(shown, "account.saved", name="Gamma")
    bob = next(m["id"] for m in rows(runtime, "member") if m["slack_user_id"] == "U2")
    gamma = account(runtime, team["gamma"])
    assert (gamma["status"], gamma["segment"], gamma["city"], gamma["postcode"], gamma["visits_per_year"], gamma["owner_id"]) == (
        "client", "gold", "Saint-Étienne", "42000", 10, bob)


@pytest.mark.parametrize("user", REFUSED)
def test_anyone_else_is_refused_and_nothing_is_stored(runtime, slack, team, user):
    before = snapshot(runtime, STORED)
    body, shown = say(slack, "Gamma segment gold", user=user, command="/compte")
    valid_message(body)
    assert says(shown, "account.refused", name="Gamma") and says(shown, "error.nothing_stored")
    assert snapshot(runtime, STORED) == before


BAD_WORDS = [
    ("Gamma segment platine", "account.error.bad_segment", {"value": "platine"}),
    ("Gamma statut bientôt", "account.error.bad_status", {"value": "bientôt"}),
    ("Gamma capital 400", "account.error.bad_capital", {"value": "400"}),
    ("Gamma ville", "account.error.missing_value", {"field": "Ville"}),
    ("Gamma ville Lyon ville Paris", "account.error.twice", {"word": "ville"}),
    ("Gamma responsable @nobody", "account.error.unknown_owner", {"value": "@nobody"}),
    ("Gamma cp 69?01", "account.error.bad_postcode", {"value": "69?01"}),
]


@pytest.mark.parametrize(("text", "key", "values"), BAD_WORDS, ids=[k.rpartition(".")[2] + str(i) for i, (_t, k, _v) in enumerate(BAD_WORDS)])
def test_a_bad_change_is_said_and_nothing_is_stored(runtime, slack, team, text, key, values):
    before = snapshot(runtime, STORED)
    body, shown = say(slack, text, user="U1", command="/compte")
    valid_message(body)
    assert says(shown, key, **values)
    assert says(shown, "error.nothing_stored")
    assert snapshot(runtime, STORED) == before


def test_a_manager_gives_an_account_only_to_someone_of_her_line(runtime, slack, team):
    before = snapshot(runtime, STORED)
    _body, shown = say(slack, "Gamma responsable <@U3|carol>", user="UM1", command="/compte")
    assert says(shown, "account.error.owner_outside_team", name="carol")
    assert snapshot(runtime, STORED) == before


# --------------------------------------------------------------------------- the form


def form_values(**overrides) -> dict:
    values = {"status": select_value("client"), "segment": select_value("gold"), "owner": text_value("alice"),
              "visits_per_year": text_value("8"), "city": text_value("Lyon"), "postcode": text_value("69001")}
    values.update(overrides)
    return values


def test_the_edit_button_opens_the_form_and_its_submission_saves(runtime, slack, fake_slack, team, clicks):
    body, _shown = say(slack, "Gamma", user="U1", command="/compte")
    edit = button(body, "account.edit:")
    clicks.click(edit, expect_answer=False, trigger_id="12345.98765.abcdef")
    [opened] = fake_slack.wait_for("views.open")
    view = opened.params["view"]
    View(**view).validate_json()
    assert view["callback_id"] == "account.form"
    status = next(b for b in view["blocks"] if b["block_id"] == "status")
    assert status["element"]["initial_option"]["value"] == "prospect"

    response = slack.submit(callback_id="account.form", values=form_values(), private_metadata=view["private_metadata"])
    assert response.status_code == 200 and response.content == b""
    [post] = fake_slack.wait_for("chat.postEphemeral")  # to the channel the command came from
    assert says(post.params["text"] + json.dumps(post.params.get("blocks"), ensure_ascii=False), "account.saved", name="Gamma")
    gamma = account(runtime, team["gamma"])
    assert (gamma["status"], gamma["segment"], gamma["visits_per_year"], gamma["city"], gamma["postcode"]) == (
        "client", "gold", 8, "Lyon", "69001")


def test_a_bad_form_keeps_it_open_with_its_errors_and_stores_nothing(runtime, slack, team):
    before = snapshot(runtime, STORED)
    metadata = json.dumps({"account": team["gamma"]})
    response = slack.submit(callback_id="account.form", private_metadata=metadata,
                            values=form_values(visits_per_year=text_value("beaucoup"), owner=text_value("personne inconnue")))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"visits_per_year", "owner"}
    assert snapshot(runtime, STORED) == before


def test_a_form_submitted_by_someone_refused_stores_nothing(runtime, slack, fake_slack, team):
    before = snapshot(runtime, STORED)
    metadata = json.dumps({"account": team["gamma"]})
    response = slack.submit(callback_id="account.form", private_metadata=metadata, values=form_values(), user_id="U3")
    assert response.status_code == 200
    assert snapshot(runtime, STORED) == before


# --------------------------------------------------------------------------- merging


def test_a_manager_merges_two_accounts_after_confirming(runtime, slack, team, clicks):
    body, shown = say(slack, "merge Gama into Gamma", user="UM1", command="/account")
    valid_message(body)
    assert says(shown, "account.merge.confirm", source="Gama", target="Gamma", actions="1 action", deals="0 affaire")
    assert len(rows(runtime, "account")) == 2  # nothing yet
    answer = clicks.click(button(body, "account.merge:"), user_id="UM1")
    assert says(answer["text"] + json.dumps(answer.get("blocks"), ensure_ascii=False), "account.merge.done", source="Gama", target="Gamma")
    assert [a["name"] for a in rows(runtime, "account")] == ["Gamma"]
    assert {a["account_id"] for a in rows(runtime, "action")} == {team["gamma"]}
    assert len(rows(runtime, "action")) == 2


def test_cancelling_a_merge_and_a_rep_asking_one_change_nothing(runtime, slack, team, clicks):
    before = snapshot(runtime, STORED)
    body, _shown = say(slack, "fusionner Gama dans Gamma", user="UM1", command="/compte")
    answer = clicks.click(button(body, "account.merge_cancel:"), user_id="UM1")
    assert says(answer["text"], "account.merge.cancelled")
    body, shown = say(slack, "fusionner Gama dans Gamma", user="U1", command="/compte")
    assert says(shown, "account.merge.refused")
    assert not buttons(body)
    assert snapshot(runtime, STORED) == before
