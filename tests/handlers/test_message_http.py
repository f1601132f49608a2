"""The app's Messages tab through Events API requests as Slack sends them: a rep's message gets a
proposal in the DM, Confirm stores it once, retries and bot messages propose nothing, an edit
withdraws the earlier proposal. Replies are read where Slack shows them (chat.postMessage to the
DM, the click's response_url, views.open) and checked as Block Kit with slack_sdk's models."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.manifest import build_manifest
from storage.models import Action, Opportunity, Plan
from tests.handlers.conftest import add_account, button, message_text, rows
from tests.support.messages import flat, says
from tests.support.slack_requests import bot_message_event, message_changed_event, message_event

EXAMPLE = "vu Gamma Industries ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier"


def dm_posts(fake_slack, user: str = "U1") -> list:
    return [c for c in fake_slack.delivered("chat.postMessage") if c.params.get("channel") == user]


def valid(message: dict) -> dict:
    """The message, once each of its blocks is valid Block Kit."""
    for block in message.get("blocks") or []:
        Block.parse(block).validate_json()
    return message


def write(slack, fake_slack, event: dict, *, event_id: str, user: str = "U1", **kwargs) -> dict:
    """Send a message event and return the proposal Carnet posts in that rep's DM."""
    before = len(dm_posts(fake_slack, user))
    response = slack.event(event, event_id=event_id, **kwargs)
    assert response.status_code == 200
    deadline = time.monotonic() + 5
    while len(dm_posts(fake_slack, user)) <= before:
        assert time.monotonic() < deadline, fake_slack.methods()
        time.sleep(0.02)
    return valid(dm_posts(fake_slack, user)[-1].params)


def stored(runtime, model) -> list:
    with runtime.session_factory() as session:
        found = list(session.query(model).order_by(model.id))
        session.expunge_all()
        return found


def test_the_manifest_subscribes_to_the_messages_tab():
    manifest = build_manifest(public_url="https://x.example")
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


def test_a_message_gets_a_proposal_in_the_dm_and_confirm_stores_it_once(runtime, slack, people, fake_slack, clicks):
    add_account(runtime, "Gamma Industries")
    proposal = write(slack, fake_slack, message_event(EXAMPLE, user="U1"), event_id="EvMSG1")

    shown = flat(message_text(proposal))
    assert says(shown, "message.proposal")
    for fact in ("Gamma Industries", "visite", "proposition", "Mme Z (ingénieur)", "12 000 €, conclusion prévue le 31 janv. 2027"):
        assert fact in shown, fact
    assert stored(runtime, Action) == [] and stored(runtime, Opportunity) == []

    confirm = button(proposal, "message.confirm:")
    answer = clicks.click(confirm)
    assert answer["replace_original"] is True
    valid(answer)
    assert says(flat(message_text(answer)), "log.saved", account="Gamma Industries")
    [action] = stored(runtime, Action)
    assert (action.action_type, action.result, action.contact_function, action.occurred_on) == ("visit", "proposal", "engineer", date(2026, 11, 23))
    [deal] = stored(runtime, Opportunity)
    assert (deal.amount, deal.expected_close_on) == (Decimal("12000.00"), date(2027, 1, 31))

    again = clicks.click(confirm)  # the same button once more: nothing more is stored
    assert says(message_text(again), "choice.expired")
    assert len(stored(runtime, Action)) == 1 and len(stored(runtime, Opportunity)) == 1
    assert len(stored(runtime, Plan)) == 1  # the automatic relance shown in the proposal


def test_a_retried_event_proposes_nothing_twice(runtime, slack, people, fake_slack):
    add_account(runtime, "Alpha Industries")
    event = message_event("called Alpha Industries yesterday, no need for now, follow up in 3 months", user="U1")
    write(slack, fake_slack, event, event_id="EvMSG2")

    # Slack did not see the ack in time and sends the same event again, twice.
    assert slack.event(event, event_id="EvMSG2", retry_num=1).status_code == 200
    assert slack.event(event, event_id="EvMSG2", retry_num=2, retry_reason="http_error").status_code == 200
    # Another rep writes afterwards: once that proposal is posted, the retries were handled.
    write(slack, fake_slack, message_event("appelé Alpha Industries hier", user="U2"), event_id="EvMSG3", user="U2")
    time.sleep(0.2)
    assert len(dm_posts(fake_slack, "U1")) == 1
    assert rows(runtime, "pending_command") and len(rows(runtime, "pending_command")) == 2


def test_bot_messages_and_other_events_are_ignored(runtime, slack, people, fake_slack):
    add_account(runtime, "Gamma Industries")
    for n, event in enumerate([
        bot_message_event("vu Gamma Industries hier"),
        bot_message_event("vu Gamma Industries hier", subtype=None),  # posted with a bot token
        {**message_event("vu Gamma Industries hier"), "subtype": "file_share"},
        message_event("vu Gamma Industries hier", channel="C1", channel_type="channel"),
        {**message_changed_event(message_event("vu Gamma Industries hier"), "vu Gamma Industries hier"),
         "message": {**message_event("vu Gamma Industries hier"), "attachments": [{"title": "unfurled"}]}},
    ]):
        assert slack.event(event, event_id=f"EvIGN{n}").status_code == 200
    write(slack, fake_slack, message_event("vu Gamma Industries hier", user="U2"), event_id="EvREAL", user="U2")
    time.sleep(0.2)
    assert [c.params["channel"] for c in fake_slack.delivered("chat.postMessage")] == ["U2"]
    assert len(rows(runtime, "pending_command")) == 1


def test_an_edit_withdraws_the_first_proposal_and_proposes_again(runtime, slack, people, fake_slack, clicks):
    add_account(runtime, "Gamma Industries")
    add_account(runtime, "Beta")
    original = message_event("vu Gamma Industries hier", user="U1")
    first = write(slack, fake_slack, original, event_id="EvED1")

    edit = message_changed_event(original, "vu Beta hier, pas de besoin")
    second = write(slack, fake_slack, edit, event_id="EvED2")
    shown = flat(message_text(second))
    assert says(shown, "message.edit_replaces")
    assert "Beta" in shown and "pas de besoin" in shown
    slack.event(edit, event_id="EvED2", retry_num=1)  # a retried edit: no third proposal

    assert says(message_text(clicks.click(button(first, "message.confirm:"))), "message.withdrawn")
    assert stored(runtime, Action) == []
    clicks.click(button(second, "message.confirm:"))
    [action] = stored(runtime, Action)
    assert (action.action_type, action.result) == ("visit", "no_need")
    time.sleep(0.2)
    assert len(dm_posts(fake_slack, "U1")) == 2


def test_edit_opens_the_log_form_prefilled(runtime, slack, people, fake_slack, clicks):
    add_account(runtime, "Gamma Industries")
    proposal = write(slack, fake_slack, message_event(EXAMPLE, user="U1"), event_id="EvEDIT")
    edit = button(proposal, "message.edit:")

    trigger = "4242.4242.0123456789abcdef0123456789abcdef"
    response = slack.action(action_id=edit["action_id"], block_id="carnet.choices", value=edit["value"], trigger_id=trigger,
                            response_url=fake_slack.response_url("edit"))
    assert response.status_code == 200
    [opened] = fake_slack.wait_for("views.open")
    view = opened.params["view"]
    assert opened.params["trigger_id"] == trigger and view["callback_id"] == "log.form"
    initial = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        value = element.get("initial_value") or element.get("initial_date") or (element.get("initial_option") or {}).get("value")
        if value:
            initial[block["block_id"]] = value
    assert initial["action_type"] == "visit" and initial["result"] == "proposal"
    assert initial["contact"] == "Mme Z" and initial["contact_function"] == "engineer"
    assert initial["date"] == "2026-11-23" and initial["account"].startswith("id:")
    assert stored(runtime, Action) == []
