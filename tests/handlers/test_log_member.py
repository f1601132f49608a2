"""A member is learnt from Slack's users.info on first use: language and time zone."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from bot.messages import translate
from tests.handlers.conftest import add_account, message_text, rows
from tests.support.messages import says, word

# 03:00 UTC: already Monday 23 in Paris (04:00), still Sunday 22 in New York (22:00).
BETWEEN_DAYS = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def test_new_member_in_new_york_gets_english_and_new_york_days(runtime, slack, fake_slack):
    fake_slack.add_user("U5", name="john", real_name="John Doe", tz="America/New_York", locale="en-US")
    add_account(runtime, "Gamma")
    runtime.clock.set(BETWEEN_DAYS)

    body = slack.command("/log", "visit Gamma proposal yesterday", user_id="U5", user_name="john").json()
    text = message_text(body)
    assert says(text, "log.saved", "en", action_type=word("action_type.visit", "en"), account="Gamma")
    assert says(text, "log.undo_hint", "en")
    assert "Nov 21, 2026" in text  # yesterday in New York, not in Paris
    [action] = rows(runtime, "action")
    assert str(action["occurred_on"]) == "2026-11-21"

    [call] = fake_slack.calls("users.info")
    assert call.params["user"] == "U5"
    [member] = [m for m in rows(runtime, "member") if m["slack_user_id"] == "U5"]
    assert (member["tz"], member["locale"], member["display_name"]) == ("America/New_York", "en", "john")

    # known now: users.info is not asked again, and French words are still understood
    body = slack.command("/log", "appel Gamma hier", user_id="U5").json()
    assert says(message_text(body), "log.saved", "en", action_type=word("action_type.call", "en"), account="Gamma")
    assert len(fake_slack.calls("users.info")) == 1
    assert [str(a["occurred_on"]) for a in rows(runtime, "action")] == ["2026-11-21", "2026-11-21"]


def test_paris_member_at_the_same_instant(runtime, slack, fake_slack):
    fake_slack.add_user("U6", tz="Europe/Paris", locale="fr-FR")
    add_account(runtime, "Gamma")
    runtime.clock.set(BETWEEN_DAYS)
    body = slack.command("/log", "visite Gamma hier", user_id="U6").json()
    assert says(message_text(body), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert "22 nov. 2026" in message_text(body)
    assert str(rows(runtime, "action")[0]["occurred_on"]) == "2026-11-22"


def test_english_errors_and_today_in_new_york(runtime, slack, fake_slack):
    fake_slack.add_user("U5", tz="America/New_York", locale="en-US")
    runtime.clock.set(BETWEEN_DAYS)
    add_account(runtime, "Gamma")
    # 2026-11-23 is today in Paris but tomorrow in New York
    text = message_text(slack.command("/log", "visit Gamma 2026-11-23", user_id="U5").json())
    assert says(text, "log.error.future_date", "en", word="2026-11-23") and says(text, "error.nothing_stored", "en")
    text = message_text(slack.command("/log", "vissit Gamma", user_id="U5").json())
    assert says(text, "log.error.suggest", "en", suggestion=re.compile("visite?"))
    assert rows(runtime, "action") == []


def test_english_form_for_an_english_member(runtime, slack, fake_slack):
    fake_slack.add_user("U5", tz="America/New_York", locale="en-US")
    runtime.clock.set(BETWEEN_DAYS)
    slack.command("/log", "", user_id="U5")
    [call] = fake_slack.wait_for("views.open")
    view = call.params["view"]
    assert view["title"]["text"] == translate("en", "form.log.title")
    date_block = next(b for b in view["blocks"] if b["block_id"] == "date")
    assert date_block["element"]["initial_date"] == "2026-11-22"  # today in New York


def test_unreachable_profile_falls_back_to_the_defaults(runtime, slack, fake_slack):
    """users.info failing (unknown user, Slack down) must not cost the rep their action."""
    fake_slack.fail_next("users.info", status=500)
    add_account(runtime, "Gamma")
    body = slack.command("/log", "visite Gamma", user_id="U8").json()
    assert says(message_text(body), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    [member] = [m for m in rows(runtime, "member") if m["slack_user_id"] == "U8"]
    assert (member["tz"], member["locale"]) == ("Europe/Paris", "fr")
