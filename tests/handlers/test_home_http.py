"""The App Home tab through Events API requests as Slack sends them, and its buttons."""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.handlers.conftest import add_account, deals, message_text, say
from tests.support.messages import flat, says, word
from tests.support.slack_requests import app_home_opened_event, modal_view


def publishes(fake_slack, user_id: str) -> list:
    return [c for c in fake_slack.delivered("views.publish") if c.params.get("user_id") == user_id]


def home_outbox(runtime) -> list[dict]:
    with runtime.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload for r in rows if r.payload.get("destination", {}).get("type") == "home"]


def test_opening_the_home_tab_publishes_my_deals_once_even_when_slack_retries(runtime, slack, people, fake_slack):
    add_account(runtime, "Gamma")
    add_account(runtime, "Omega")
    say(slack, 'new Gamma "Contrat maintenance" 12k€ 30% close 15/12')
    say(slack, 'new Omega "Chez Bob" 99k', user="U2")
    say(slack, "visite Gamma", command="/log")

    response = slack.event(app_home_opened_event("U1"), event_id="EvHOME1")
    assert response.status_code == 200

    [published] = fake_slack.wait_for("views.publish")
    assert published.params["user_id"] == "U1"
    view = published.params["view"]
    assert view["type"] == "home"
    shown = flat(message_text(view))
    assert says(shown, "home.title", name="alice")
    assert says(shown, "home.deals")
    assert says(shown, "pipeline.stage_line", stage=word("stage.proposal"), deals="1 affaire", amount="12 000 €", weighted="3 600 €")
    assert says(shown, "home.progress", weighted="3 600 €", actions="1 action notée")
    assert f"{word('action_type.visit')} — Gamma" in shown  # today's activity
    assert "Omega" not in shown and "99 000" not in shown  # bob's deal
    values = [e["value"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == ["log.open_form", "opp.open_form"]

    # Slack did not see the ack in time and sends the same event again.
    retry = slack.event(app_home_opened_event("U1"), event_id="EvHOME1", retry_num=1)
    assert retry.status_code == 200
    # Another member opens their home afterwards: once it is published, the retry was handled.
    slack.event(app_home_opened_event("U2"), event_id="EvHOME2")
    fake_slack.wait_for("views.publish", count=2)
    time.sleep(0.2)
    assert len(publishes(fake_slack, "U1")) == 1
    assert len(publishes(fake_slack, "U2")) == 1
    assert says(flat(message_text(publishes(fake_slack, "U2")[0].params["view"])), "home.title", name="bob")
    assert "99 000 €" in flat(message_text(publishes(fake_slack, "U2")[0].params["view"]))
    assert [p["destination"]["user"] for p in home_outbox(runtime)] == ["U1", "U2"]


def test_the_messages_tab_publishes_nothing(runtime, slack, people, fake_slack):
    slack.event(app_home_opened_event("U1", tab="messages"), event_id="EvMSG1")
    slack.event(app_home_opened_event("U2"), event_id="EvHOME2")
    fake_slack.wait_for("views.publish")
    time.sleep(0.1)
    assert publishes(fake_slack, "U1") == []


def test_the_home_add_deal_button_opens_the_deal_form(runtime, slack, people, fake_slack):
    slack.event(app_home_opened_event("U1"), event_id="EvHOME1")
    [published] = fake_slack.wait_for("views.publish")
    home = published.params["view"]
    add = next(e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"] == "opp.open_form")

    trigger = "4242.4242.0123456789abcdef0123456789abcdef"
    response = slack.action(
        action_id=add["action_id"],
        block_id="carnet.choices",
        value=add["value"],
        trigger_id=trigger,
        view=modal_view(type="home", view_id=published.response["view"]["id"]),
    )

    assert response.status_code == 200
    [opened] = fake_slack.wait_for("views.open")
    assert opened.params["trigger_id"] == trigger
    assert opened.params["view"]["callback_id"] == "opp.form"
    assert deals(runtime) == []
