"""The buttons of a /log reply: "Did you mean Gamma?" (pick / create / cancel) and Undo.

Buttons are clicked as Slack does (a signed block_actions payload carrying the value read from
the ack's blocks); the answer arrives asynchronously at the click's response_url.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.messages import translate
from tests.handlers.conftest import add_account, button, buttons, message_text, rows, snapshot
from tests.support.messages import says, word


def ask_about_gama(slack, **kwargs) -> dict:
    response = slack.command("/log", "visite Gama proposition avec Mme Roux (acheteur) hier -- prix validé", **kwargs)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def gamma(runtime) -> int:
    add_account(runtime, "Alpha Industries")
    return add_account(runtime, "Gamma")


def test_unknown_account_offers_the_nearest_and_stores_nothing(runtime, slack, gamma):
    before = snapshot(runtime)
    body = ask_about_gama(slack)
    assert says(message_text(body), "ask.account", typed="Gama")
    labels = [b["text"]["text"] for b in buttons(body)]
    assert labels == ["Gamma", translate("fr", "choice.create_account", name="Gama"), translate("fr", "choice.cancel")]
    pick, create, cancel = buttons(body)
    assert pick["value"].startswith("log.pick_account:") and pick["value"].endswith(f":{gamma}")
    assert create["style"] == "primary" and cancel["style"] == "danger"
    assert len({b["action_id"] for b in buttons(body)}) == 3  # Slack wants distinct action ids
    assert snapshot(runtime) == before


def test_pick_the_suggestion_stores_the_whole_line(runtime, slack, gamma, clicks):
    body = ask_about_gama(slack)
    answer = clicks.click(button(body, "log.pick_account:"))
    assert answer["replace_original"] is True  # the question is replaced by the confirmation
    text = message_text(answer)
    assert says(text, "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert "22 nov. 2026" in text and "Mme Roux (acheteur)" in text
    assert button(answer, "log.undo:")

    [action] = rows(runtime, "action")
    assert action["account_id"] == gamma
    assert (action["action_type"], action["result"], str(action["occurred_on"])) == ("visit", "proposal", "2026-11-22")
    assert (action["note"], action["contact_function"]) == ("prix validé", "buyer")
    [contact] = rows(runtime, "contact")
    assert (contact["name"], contact["account_id"], contact["function"]) == ("Mme Roux", gamma, "buyer")
    assert [a["name"] for a in rows(runtime, "account")] == ["Alpha Industries", "Gamma"]  # none created


def test_create_makes_the_typed_account(runtime, slack, gamma, clicks):
    body = ask_about_gama(slack)
    answer = clicks.click(button(body, "log.create_account:"))
    text = message_text(answer)
    assert says(text, "log.saved", action_type=word("action_type.visit"), account="Gama")
    assert says(text, "log.saved_new_account", account="Gama")
    accounts = {a["name"]: a for a in rows(runtime, "account")}
    assert set(accounts) == {"Alpha Industries", "Gamma", "Gama"}
    assert accounts["Gama"]["status"] == "prospect"
    [action] = rows(runtime, "action")
    assert action["account_id"] == accounts["Gama"]["id"]
    member = rows(runtime, "member")[0]
    assert accounts["Gama"]["owner_id"] == member["id"] == action["member_id"]


def test_cancel_stores_nothing(runtime, slack, gamma, clicks):
    before = snapshot(runtime)
    body = ask_about_gama(slack)
    answer = clicks.click(button(body, "log.cancel:"))
    assert answer["replace_original"] is True
    assert says(message_text(answer), "log.cancelled")
    assert buttons(answer) == []
    assert snapshot(runtime) == before


def test_a_consumed_choice_has_expired(runtime, slack, gamma, clicks):
    for first, second in (("pick_account", "pick_account"), ("cancel", "create_account"), ("create_account", "pick_account")):
        body = ask_about_gama(slack)
        clicks.click(button(body, f"log.{first}:"))
        after_first = snapshot(runtime)
        answer = clicks.click(button(body, f"log.{second}:"))
        assert says(message_text(answer), "choice.expired"), (first, second)
        assert snapshot(runtime) == after_first, (first, second)


def test_a_question_expires_after_an_hour(runtime, slack, gamma, clicks):
    before = snapshot(runtime)
    body = ask_about_gama(slack)
    runtime.clock.advance(timedelta(hours=1, minutes=1))
    answer = clicks.click(button(body, "log.pick_account:"))
    assert says(message_text(answer), "choice.expired")
    assert snapshot(runtime) == before


def test_another_users_click_is_refused_and_the_owner_can_still_choose(runtime, slack, fake_slack, gamma, clicks):
    before = snapshot(runtime)
    body = ask_about_gama(slack, user_id="U1")
    refused = clicks.click(button(body, "log.pick_account:"), user_id="U2", user_name="bob")
    assert says(message_text(refused), "choice.not_yours")
    assert refused.get("replace_original") is not True  # the owner's question stays
    assert snapshot(runtime) == before

    clicks.click(button(body, "log.pick_account:"), user_id="U1")
    assert len(rows(runtime, "action")) == 1


def test_forged_choice_values_are_answered_and_store_nothing(runtime, slack, gamma, clicks):
    before = snapshot(runtime)
    body = ask_about_gama(slack)
    pending = button(body, "log.cancel:")["value"].split(":")[1]
    for value in ("log.pick_account:abc:1", f"log.pick_account:{pending}:999999", "nope.x:1", "log.undo:zz", "log.fly:1"):
        answer = clicks.click({"action_id": "carnet.choice.0", "value": value})
        text = message_text(answer)
        assert not says(text, "error.internal")
        assert says(text, "choice.expired") or says(text, "choice.unknown"), (value, text)
    assert snapshot(runtime) == before


# ----------------------------------------------------------------------------- undo


def log_gamma(slack) -> dict:
    response = slack.command("/log", "visite Gamma proposition")
    assert response.status_code == 200
    body = response.json()
    assert says(message_text(body), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    return body


def test_undo_within_ten_minutes_removes_the_action(runtime, slack, gamma, clicks):
    body = log_gamma(slack)
    [action] = rows(runtime, "action")
    undo = button(body, "log.undo:")
    assert undo["value"] == f"log.undo:{action['id']}" and undo["style"] == "danger"

    runtime.clock.advance(timedelta(minutes=9, seconds=59))
    answer = clicks.click(undo)
    assert answer["replace_original"] is True
    assert says(message_text(answer), "log.undone", action_type=word("action_type.visit"), account="Gamma")
    assert rows(runtime, "action") == []

    again = clicks.click(undo)
    assert says(message_text(again), "log.already_undone")


def test_undo_after_ten_minutes_is_refused_and_the_action_remains(runtime, slack, gamma, clicks):
    body = log_gamma(slack)
    before = snapshot(runtime)
    runtime.clock.advance(timedelta(minutes=11))
    answer = clicks.click(button(body, "log.undo:"))
    assert says(message_text(answer), "log.undo_expired")
    assert answer.get("replace_original") is not True  # the confirmation stays in place
    assert snapshot(runtime) == before


def test_undo_by_another_user_is_refused(runtime, slack, gamma, clicks):
    body = log_gamma(slack)
    before = snapshot(runtime)
    answer = clicks.click(button(body, "log.undo:"), user_id="U2", user_name="bob")
    assert says(message_text(answer), "choice.not_yours")
    assert snapshot(runtime) == before


def test_a_repeated_click_is_done_once(runtime, slack, fake_slack, gamma, clicks):
    """Slack may deliver the same click twice (same trigger_id): the work happens once."""
    body = ask_about_gama(slack)
    pick = button(body, "log.pick_account:")
    first = clicks.click(pick, trigger_id="9.9.same")
    assert says(message_text(first), "log.saved", account="Gamma")
    response = slack.action(
        action_id=pick["action_id"], block_id="carnet.choices", value=pick["value"], trigger_id="9.9.same",
        response_url=fake_slack.response_url("again"), retry_num=1,
    )
    assert response.status_code == 200
    time.sleep(0.5)  # the click is handled after its ack: give a second run the time to show
    assert len(rows(runtime, "action")) == 1
    for answer in fake_slack.responses("again"):  # if answered again, it is the same answer
        assert message_text(answer) == message_text(first)
