"""The /log modal submitted (view_submission, callback_id "log.form")."""

from __future__ import annotations

import json
import time


from tests.handlers.conftest import button, message_text, rows, snapshot
from tests.support.messages import says, word
from tests.support.slack_requests import date_value, external_select_value, select_value, text_value

METADATA = json.dumps({"channel": "C42"})


def values(**overrides) -> dict:
    """A complete, valid form: visit at Gamma, proposal, with Mme Roux (buyer), on Friday.

    The account is what Slack's type-ahead sends: ``id:N`` for a known account, ``new:Name``
    for the "Create" option; typed text (the console's way) is accepted too."""
    v = {
        "action_type": select_value("visit"),
        "account": text_value("Gamma"),
        "result": select_value("proposal"),
        "contact": text_value("Mme Roux"),
        "contact_function": select_value("buyer"),
        "date": date_value("2026-11-20"),
        "note": text_value("prix validé"),
    }
    v.update(overrides)
    return v


def submit(slack, **overrides):
    return slack.submit(callback_id="log.form", values=values(**overrides), private_metadata=METADATA)


def test_valid_form_closes_and_confirms_in_the_channel(runtime, slack, fake_slack, gamma):
    response = submit(slack)
    assert response.status_code == 200
    assert response.content == b""  # an empty ack closes the modal

    [post] = fake_slack.wait_for("chat.postEphemeral")
    assert (post.params["channel"], post.params["user"]) == ("C42", "U1")
    assert post.token == "xoxb-test-token"
    text = message_text(post.params)
    assert says(text, "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert "20 nov. 2026" in text and "prix validé" in text
    assert button(post.params, "log.undo:")

    [action] = rows(runtime, "action")
    assert (action["account_id"], action["action_type"], action["result"]) == (gamma, "visit", "proposal")
    assert (str(action["occurred_on"]), action["note"], action["contact_function"]) == ("2026-11-20", "prix validé", "buyer")
    assert [c["name"] for c in rows(runtime, "contact")] == ["Mme Roux"]


def test_form_without_metadata_confirms_by_direct_message(runtime, slack, fake_slack, gamma):
    response = slack.submit(callback_id="log.form", values=values())
    assert response.status_code == 200 and response.content == b""
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "U1"
    assert says(message_text(post.params), "log.saved", account="Gamma")


def test_the_type_ahead_pick_of_a_known_account(runtime, slack, fake_slack, gamma):
    response = submit(slack, account=external_select_value(f"id:{gamma}", "Gamma"))
    assert response.status_code == 200 and response.content == b""
    fake_slack.wait_for("chat.postEphemeral")
    [action] = rows(runtime, "action")
    assert action["account_id"] == gamma
    assert [a["name"] for a in rows(runtime, "account")] == ["Gamma"]


def test_the_create_option_creates_the_account(runtime, slack, fake_slack, gamma):
    response = submit(slack, account=external_select_value("new:Gama", "➕ Créer « Gama »"))
    assert response.status_code == 200 and response.content == b""
    [post] = fake_slack.wait_for("chat.postEphemeral")
    assert says(message_text(post.params), "log.saved_new_account", account="Gama")
    assert sorted(a["name"] for a in rows(runtime, "account")) == ["Gama", "Gamma"]


INVALID = {
    "future date": ({"date": date_value("2026-11-24")}, {"date": "Une action notée ne peut pas être dans le futur."}),
    "unknown account, a near one": (
        {"account": text_value("Gama")},
        {
            "account": "Pas de société « Gama ». Vouliez-vous dire Gamma ? Pour l'ajouter, choisissez « ➕ Créer »"
            " (dans la console, tapez +Gama)."
        },
    ),
    "unknown account": (
        {"account": text_value("Zorglub")},
        {"account": "Pas de société « Zorglub ». Pour l'ajouter, choisissez « ➕ Créer » (dans la console, tapez +Zorglub)."},
    ),
    "forged account id": ({"account": external_select_value("id:999999", "?")}, {"account": "Choisissez l'une des options."}),
    "create with no name": ({"account": external_select_value("new: ?!", "?")}, {"account": "Un nom de société doit contenir au moins une lettre ou un chiffre."}),
    "punctuation": ({"account": text_value("?!")}, {"account": "Un nom de société doit contenir au moins une lettre ou un chiffre."}),
    "5,000-character note": ({"note": text_value("n" * 5000)}, {"note": "Trop long (1000 caractères au plus)."}),
    "missing type": ({"action_type": select_value(None)}, {"action_type": "Obligatoire."}),
    "forged type": ({"action_type": select_value("teleport")}, {"action_type": "Choisissez l'une des options."}),
    "missing account": ({"account": text_value(None)}, {"account": "Obligatoire."}),
    "several": (
        {"action_type": select_value(None), "date": date_value("2027-01-01"), "account": text_value("   ")},
        {"action_type": "Obligatoire.", "date": "Une action notée ne peut pas être dans le futur.", "account": "Obligatoire."},
    ),
}


def test_invalid_fields_keep_the_form_open(runtime, slack, fake_slack, gamma):
    before = snapshot(runtime)
    for case, (overrides, errors) in INVALID.items():
        response = submit(slack, **overrides)
        assert response.status_code == 200, case
        assert response.json() == {"response_action": "errors", "errors": errors}, case
    assert snapshot(runtime) == before
    time.sleep(0.2)
    assert fake_slack.calls("chat.postEphemeral") == []  # the errors are beside the fields, not in a message


def test_resubmitted_form_is_stored_once(runtime, slack, fake_slack, gamma):
    """Slack retrying the same submission (same view, same values) must not log twice."""
    first = slack.submit(callback_id="log.form", values=values(), private_metadata=METADATA, view_id="V9")
    retry = slack.submit(callback_id="log.form", values=values(), private_metadata=METADATA, view_id="V9", retry_num=1)
    assert first.status_code == retry.status_code == 200
    assert first.content == retry.content == b""
    fake_slack.wait_for("chat.postEphemeral")
    time.sleep(0.3)
    assert len(rows(runtime, "action")) == 1
    assert len(fake_slack.calls("chat.postEphemeral")) == 1


def test_modal_opened_by_log_then_submitted(runtime, slack, fake_slack, gamma):
    """The whole round trip: /log alone, then the view Carnet opened comes back filled in."""
    slack.command("/log", "", channel_id="C77")
    [opened] = fake_slack.wait_for("views.open")
    view = opened.params["view"]
    response = slack.submit(
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values=values(date=date_value(next(b for b in view["blocks"] if b["block_id"] == "date")["element"]["initial_date"])),
    )
    assert response.status_code == 200 and response.content == b""
    [post] = fake_slack.wait_for("chat.postEphemeral")
    assert post.params["channel"] == "C77"
    assert str(rows(runtime, "action")[0]["occurred_on"]) == "2026-11-23"
